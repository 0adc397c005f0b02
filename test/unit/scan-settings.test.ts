import { describe, expect, it } from 'vitest'
import { DEFAULT_NODE_IMAGE } from '../../src/common/constants.js'
import { InputError } from '../../src/inputs/parse.js'
import { readSettings } from '../../src/inputs/settings.js'

const read = (inputs: Record<string, string>) =>
  readSettings((name) => ({ token: 'node-token', ...inputs })[name] ?? '', {})

const errorOf = (inputs: Record<string, string>): InputError => {
  try {
    read(inputs)
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected an InputError')
}

const scan = { mode: 'scan', run: 'npm run test:api', target: 'http://localhost:3000' }

describe('scan mode inputs', () => {
  it('defaults: ALLOWED_HOSTS from the target, the node image, port 8080, failing tests fail', () => {
    const settings = read(scan)
    expect(settings.scan).toEqual({
      command: 'npm run test:api',
      target: 'http://localhost:3000',
      allowedHosts: 'localhost',
      nodeImage: DEFAULT_NODE_IMAGE,
      nodeUrl: undefined,
      proxyPort: 8080,
      testsMustPass: true
    })
    expect(settings.warnings).toEqual([])
  })

  it('takes every input as given', () => {
    expect(
      read({
        ...scan,
        target: 'https://[::1]:8443/api',
        'allowed-hosts': 'api.local,.example.com',
        'node-image': 'mirror.example.com/wallarm/fast@sha256:abc',
        'node-url': 'http://fast:8080',
        'proxy-port': '18080',
        'tests-must-pass': 'false',
        'test-record-name': 'shop',
        'stop-grace-period': '5s',
        'inactivity-timeout': '900'
      })
    ).toMatchObject({
      scan: {
        allowedHosts: 'api.local,.example.com',
        nodeImage: 'mirror.example.com/wallarm/fast@sha256:abc',
        nodeUrl: 'http://fast:8080',
        proxyPort: 18080,
        testsMustPass: false
      },
      // scan records and stops: the inputs of those modes apply, without a warning.
      testRecordName: 'shop',
      stopGracePeriodMs: 5000,
      inactivityTimeout: 900,
      warnings: []
    })
    expect(read({ ...scan, target: 'https://[::1]:8443/api' }).scan?.allowedHosts).toBe('[::1]')
  })

  it('creates the run with the API’s largest inactivity timeout unless one is given; record mode keeps 600', () => {
    expect(read(scan).inactivityTimeout).toBe(86400)
    expect(read({ ...scan, 'inactivity-timeout': '600' }).inactivityTimeout).toBe(600)
    expect(read({ mode: 'record' }).inactivityTimeout).toBe(600)
  })

  it.each([
    [
      { run: '' },
      'run',
      /"run" has the value "": expected the command that runs your tests.*\(or test-record-id, to replay a test record\)/
    ],
    [{ target: '' }, 'target', /"target" has the value "": expected the http\(s\) URL/],
    [{ target: 'localhost:3000' }, 'target', /"localhost:3000": expected the http\(s\) URL/],
    [{ target: 'http://user:pw@app' }, 'target', /"\*\*\*": expected a URL without credentials/],
    [
      { 'node-url': 'https://fast:8443' },
      'node-url',
      /expected empty \(start the node here\) or the http:\/\//
    ],
    [{ 'node-url': 'fast:8080' }, 'node-url', /"fast:8080"/],
    [{ 'node-image': 'wallarm/fast latest' }, 'node-image', /expected a Docker image reference/],
    [{ 'node-image': '--privileged' }, 'node-image', /expected a Docker image reference/],
    [{ 'proxy-port': '0' }, 'proxy-port', /expected a whole number from 1 to 65535/],
    [{ 'tests-must-pass': 'yes' }, 'tests-must-pass', /expected one of true/],
    [{ 'allowed-hosts': 'a\nb' }, 'allowed-hosts', /expected host names separated by commas/]
  ])('%j is refused, naming %s', (inputs, input, pattern) => {
    const err = errorOf({ ...scan, ...inputs })
    expect(err.input).toBe(input)
    expect(err.message).toMatch(pattern)
  })

  it('test-record-id: the node replays that record, with no command, no target and nothing recorded', () => {
    const settings = read({ mode: 'scan', 'test-record-id': '9058', 'policy-id': '4' })
    expect(settings.scan).toEqual({
      command: undefined,
      target: undefined,
      allowedHosts: '',
      nodeImage: DEFAULT_NODE_IMAGE,
      nodeUrl: undefined,
      proxyPort: 8080,
      testsMustPass: true
    })
    expect(settings).toMatchObject({ testRecordId: '9058', policyId: 4, testRecordName: undefined })
    expect(settings.warnings).toEqual([])
  })

  it('test-record-id together with run is refused, naming run and the way to either', () => {
    const err = errorOf({ ...scan, 'test-record-id': '9058' })
    expect(err.input).toBe('run')
    expect(err.message).toBe(
      'Input "run" has the value "npm run test:api": expected empty together with test-record-id (9058), which ' +
        'replays that test record on the node without running tests; to record a new test record while the ' +
        'tests run, leave test-record-id empty.'
    )
  })

  it('test-record-id: the inputs of recording are ignored with a warning each', () => {
    const settings = read({
      mode: 'scan',
      'test-record-id': '9058',
      target: 'http://localhost:3000',
      'allowed-hosts': 'localhost',
      'tests-must-pass': 'false',
      'test-record-name': 'shop',
      'inactivity-timeout': '900',
      'stop-grace-period': '5s'
    })
    expect(settings.testRecordName).toBeUndefined()
    expect(settings.warnings).toEqual([
      'Input "target" is ignored in scan mode with test-record-id, which runs no tests.',
      'Input "allowed-hosts" is ignored in scan mode with test-record-id, which runs no tests.',
      'Input "tests-must-pass" is ignored in scan mode with test-record-id, which runs no tests.',
      'Input "test-record-name" is used by record mode only: ignored in scan mode.',
      'Input "inactivity-timeout" is used by record mode only: ignored in scan mode.',
      'Input "stop-grace-period" is used by stop mode only: ignored in scan mode.'
    ])
  })

  it('a bad test-record-id is refused in scan mode as in reuse mode', () => {
    expect(errorOf({ mode: 'scan', 'test-record-id': 'abc' }).input).toBe('test-record-id')
  })

  it('wait: false is ignored with a warning: scan always waits for the verdict', () => {
    expect(read({ ...scan, wait: 'false' }).warnings).toEqual([
      'Input "wait" is ignored in scan mode, which always waits for the verdict: the node it starts must run until then.'
    ])
  })

  it('other modes ignore the scan inputs with a warning, and have no scan settings', () => {
    const settings = read({
      mode: 'record',
      run: 'npm test',
      'node-url': 'http://fast:8080',
      'proxy-port': '8080'
    })
    expect(settings.scan).toBeUndefined()
    expect(settings.warnings).toEqual([
      'Input "run" is used by scan mode only: ignored in record mode.',
      'Input "node-url" is used by scan mode only: ignored in record mode.'
    ])
  })
})
