import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { Env, Inputs } from '../../src/common/constants.js'
import { InputDefaults, InputError } from '../../src/inputs/parse.js'
import { defaultName, readSettings, type Settings } from '../../src/inputs/settings.js'

interface ActionYaml {
  inputs: Record<string, { required?: boolean; default?: string }>
}
const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as ActionYaml

/** What the runner hands the step: action.yml's defaults, overridden by the workflow's `with:`. */
function runnerInputs(withInputs: Record<string, string>): (name: string) => string {
  const values: Record<string, string> = {}
  for (const [name, input] of Object.entries(action.inputs)) {
    const def = input.default ?? ''
    // The runner evaluates expressions in defaults; `${{ github.token }}` becomes the job's token.
    values[name] = def === '${{ github.token }}' ? 'ghs_jobtoken' : def
  }
  Object.assign(values, withInputs)
  return (name) => values[name] ?? ''
}

/** A reader that knows only the given inputs, as if the defaults were missing too. */
function bareInputs(values: Record<string, string>): (name: string) => string {
  return (name) => values[name] ?? ''
}

const githubEnv = {
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_WORKFLOW: 'CI',
  GITHUB_RUN_ID: '987654321',
  GITHUB_RUN_NUMBER: '42',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'dast'
}

function read(withInputs: Record<string, string>, env: NodeJS.ProcessEnv = githubEnv): Settings {
  return readSettings(runnerInputs({ token: 'node-token', ...withInputs }), env)
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected an InputError')
}

describe('readSettings: defaults', () => {
  it('keeps its defaults in step with action.yml', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([name, i]) => (i.default ?? '') !== '' && name !== Inputs.GithubToken)
        .map(([name, i]) => [name, i.default])
    )
    expect(InputDefaults).toEqual(declared)
  })

  it('reads the action.yml defaults as the runner passes them', () => {
    expect(read({ mode: 'record' })).toEqual({
      mode: 'record',
      token: 'node-token',
      ifNoToken: 'fail',
      api: { baseUrl: 'https://us1.api.wallarm.com', consoleUrl: 'https://us1.my.wallarm.com' },
      name: 'acme/shop · CI #42.1 · dast',
      description: 'https://github.com/acme/shop/actions/runs/987654321',
      policyId: undefined,
      testRecordName: undefined,
      testRecordId: undefined,
      testRunId: undefined,
      rps: undefined,
      rpsPerBaseline: undefined,
      inactivityTimeout: 600,
      stopOnFirstFail: false,
      skipDuplicatedBaselines: true,
      fileExtensionsToExclude: undefined,
      wait: true,
      waitTimeoutMs: 3_600_000,
      readyTimeoutMs: 300_000,
      pollIntervalMs: 30_000,
      stopGracePeriodMs: 3000,
      failOn: 'vulnerabilities',
      baselineFile: '.github/wallarm-fast-baseline.json',
      ignoreFile: '.github/wallarm-fast-ignore.yml',
      exclude: [],
      minThreat: 1,
      techFailTolerance: 0,
      autoStop: true,
      sarif: true,
      comment: false,
      githubToken: 'ghs_jobtoken',
      apiToken: undefined,
      warnings: []
    } satisfies Settings)
  })

  it('treats an input left empty like an unset one (the same defaults)', () => {
    for (const mode of ['record', 'stop', 'reuse', 'wait']) {
      const extra = {
        'test-run-id': mode === 'stop' || mode === 'wait' ? '5' : '',
        'test-record-id': mode === 'reuse' ? '7' : ''
      }
      const fromRunner = readSettings(
        runnerInputs({ mode, token: 't', 'github-token': '', ...extra }),
        githubEnv
      )
      const bare = readSettings(bareInputs({ mode, token: 't', ...extra }), githubEnv)
      expect(bare).toEqual(fromRunner)
    }
  })

  it('trims every value', () => {
    const s = read({
      mode: ' record ',
      rps: ' 10 ',
      'wait-timeout': ' 2h ',
      name: '  my run  ',
      token: '  tok\n'
    })
    expect(s).toMatchObject({
      mode: 'record',
      rps: 10,
      waitTimeoutMs: 7_200_000,
      name: 'my run',
      token: 'tok'
    })
  })

  it('reads every set input', () => {
    const s = read({
      mode: 'reuse',
      'if-no-token': 'skip',
      'api-host': 'https://wallarm-api.example.com',
      'console-url': 'https://console.example.com/',
      name: 'nightly',
      description: 'replay',
      'policy-id': '104',
      'test-record-id': '9058',
      rps: '1000',
      'rps-per-baseline': '500',
      'stop-on-first-fail': 'TRUE',
      'file-extensions-to-exclude': 'jpg|png|css|ico',
      wait: 'False',
      'wait-timeout': '1h30m',
      'ready-timeout': '90',
      'poll-interval': '1h',
      'fail-on': 'new-vulnerabilities',
      'baseline-file': 'security/known.json',
      'ignore-file': 'security/ignore.yml',
      exclude: 'POST ^/logout$\n/admin/.*',
      'min-threat': '100',
      'auto-stop': 'false',
      sarif: 'false',
      comment: 'true',
      'github-token': 'ghp_custom'
    })
    expect(s).toMatchObject({
      mode: 'reuse',
      ifNoToken: 'skip',
      api: { baseUrl: 'https://wallarm-api.example.com', consoleUrl: 'https://console.example.com' },
      name: 'nightly',
      description: 'replay',
      policyId: 104,
      testRecordId: '9058',
      rps: 1000,
      rpsPerBaseline: 500,
      stopOnFirstFail: true,
      fileExtensionsToExclude: 'jpg|png|css|ico',
      wait: false,
      waitTimeoutMs: 5_400_000,
      readyTimeoutMs: 90_000,
      pollIntervalMs: 3_600_000,
      failOn: 'new-vulnerabilities',
      baselineFile: 'security/known.json',
      ignoreFile: 'security/ignore.yml',
      exclude: [
        { methods: ['POST'], path: /^(?:^\/logout$)$/, text: 'POST ^/logout$' },
        { methods: undefined, path: /^(?:\/admin\/.*)$/, text: '/admin/.*' }
      ],
      minThreat: 100,
      autoStop: false,
      sarif: false,
      comment: true,
      githubToken: 'ghp_custom',
      // A replay attacks every baseline, whatever exclude says.
      warnings: [expect.stringMatching(/^Input "exclude" keeps nothing from the FAST node in a replay/)]
    })
  })
})

describe('readSettings: errors name the input, the value and what is allowed', () => {
  it.each([
    [Inputs.Mode, '', /one of record, stop, reuse, wait, scan, summarize \(the input is required\)/],
    [Inputs.Mode, 'start', /one of record, stop, reuse, wait, scan, summarize/],
    [Inputs.Mode, 'Record', /in lowercase: use "record"/],
    [Inputs.IfNoToken, 'ignore', /one of fail, skip/],
    [Inputs.IfNoToken, 'SKIP', /in lowercase: use "skip"/],
    [Inputs.FailOn, 'any', /one of vulnerabilities, new-vulnerabilities, never/],
    [Inputs.Exclude, 'REMOVE /x', /"REMOVE" is not an HTTP method/],
    [Inputs.Exclude, '/a[', /not a valid regular expression/],
    [Inputs.ApiHost, 'ftp://x', /us, eu, a host name .* or an http\(s\) URL/],
    [Inputs.ApiHost, 'us1 api.wallarm.com', /us, eu, a host name/],
    [Inputs.ApiHost, 'https://', /http\(s\) URL/],
    [Inputs.ApiHost, 'api_wallarm.com', /a host name/],
    [Inputs.ApiHost, '-bad.example.com', /a host name/],
    [Inputs.ConsoleUrl, 'my.wallarm.com', /an http\(s\) URL/],
    [Inputs.ConsoleUrl, 'javascript:alert(1)', /an http\(s\) URL/],
    [Inputs.PolicyId, '0', /a positive whole number/],
    [Inputs.PolicyId, 'abc', /a positive whole number/],
    [Inputs.TestRunId, '12.5', /a positive whole number/],
    [Inputs.Rps, '0', /from 1 to 1000/],
    [Inputs.Rps, '1001', /from 1 to 1000, or empty for no cap/],
    [Inputs.Rps, '12.5', /from 1 to 1000/],
    [Inputs.Rps, '1e3', /from 1 to 1000/],
    [Inputs.Rps, '0x10', /from 1 to 1000/],
    [Inputs.Rps, '-5', /from 1 to 1000/],
    [Inputs.Rps, '+5', /from 1 to 1000/],
    [Inputs.RpsPerBaseline, '501', /from 1 to 500/],
    [Inputs.InactivityTimeout, '299', /from 300 to 86400/],
    [Inputs.InactivityTimeout, '86401', /from 300 to 86400/],
    [Inputs.InactivityTimeout, '10m', /from 300 to 86400/],
    [Inputs.MinThreat, '0', /from 1 to 100/],
    [Inputs.MinThreat, '101', /from 1 to 100/],
    [Inputs.StopOnFirstFail, 'yes', /one of true, True, TRUE, false, False, FALSE/],
    [Inputs.SkipDuplicatedBaselines, 'on', /one of true, True, TRUE, false, False, FALSE/],
    [Inputs.Wait, 'tRUE', /one of true, True, TRUE, false, False, FALSE/],
    [Inputs.AutoStop, '1', /one of true/],
    [Inputs.Sarif, 'no', /one of true/],
    [Inputs.Comment, 'y', /one of true/],
    [Inputs.WaitTimeout, 'forever', /a duration such as 90s, 45m/],
    [Inputs.WaitTimeout, '0s', /from 1s to 120h/],
    [Inputs.ReadyTimeout, '500ms', /from 1s to 120h/],
    [Inputs.PollInterval, '0', /from 1s to 1h/],
    [Inputs.PollInterval, '2h', /from 1s to 1h/],
    [Inputs.StopGracePeriod, '6m', /at most 5m/],
    [Inputs.StopGracePeriod, '-1s', /not negative/],
    [Inputs.FileExtensionsToExclude, 'jpg; rm -rf', /extensions joined by \|/],
    [Inputs.FileExtensionsToExclude, 'jpg png', /letters, digits and the characters/]
  ])('%s = %j', (input, value, allowed) => {
    const mode = input === Inputs.Mode ? value : input === Inputs.TestRunId ? 'wait' : 'record'
    const error = errorOf(() => read({ mode, [input]: value }))
    expect(error.input).toBe(input)
    expect(error.value).toBe(value)
    expect(error.message).toContain(`Input "${input}" has the value ${JSON.stringify(value)}: `)
    expect(error.message).toMatch(allowed)
    expect(error.message.endsWith('.')).toBe(true)
    expect(error.message.endsWith('..')).toBe(false)
  })

  it('accepts the forms api-host documents', () => {
    for (const host of [
      'us',
      'eu',
      'us1.api.wallarm.com',
      'api.wallarm.com',
      'localhost',
      'wallarm-api.internal:8443',
      'https://wallarm-api.example.com',
      'http://127.0.0.1:8555',
      'https://wallarm-api.example.com/base/',
      // A fully qualified name: the rules are those of src/wallarm/hosts.ts, which resolves it too.
      'api.example.com.'
    ]) {
      expect(read({ mode: 'record', 'api-host': host }).api.baseUrl).toMatch(/^https?:\/\//)
    }
  })

  it('accepts the YAML 1.2 core booleans', () => {
    for (const [value, expected] of [
      ['true', true],
      ['True', true],
      ['TRUE', true],
      ['false', false],
      ['False', false],
      ['FALSE', false]
    ] as const) {
      expect(read({ mode: 'record', 'stop-on-first-fail': value }).stopOnFirstFail).toBe(expected)
    }
  })

  it('accepts the bounds of the ranges', () => {
    expect(
      read({
        mode: 'record',
        rps: '1',
        'rps-per-baseline': '1',
        'inactivity-timeout': '300',
        'min-threat': '1'
      })
    ).toMatchObject({
      rps: 1,
      rpsPerBaseline: 1,
      inactivityTimeout: 300,
      minThreat: 1
    })
    expect(
      read({ mode: 'record', 'inactivity-timeout': '86400', 'stop-grace-period': '0', 'poll-interval': '1s' })
    ).toMatchObject({
      inactivityTimeout: 86400,
      stopGracePeriodMs: 0,
      pollIntervalMs: 1000
    })
    expect(
      read({ mode: 'record', 'file-extensions-to-exclude': 'js,css|jp*g|pn?g|.' }).fileExtensionsToExclude
    ).toBe('js,css|jp*g|pn?g|.')
  })
})

describe('readSettings: URLs with credentials', () => {
  it.each([
    [Inputs.ApiHost, 'https://admin:hunter2@wallarm-api.example.com'],
    [Inputs.ConsoleUrl, 'https://admin:hunter2@console.example.com']
  ])('%s is refused without quoting the credentials', (input, value) => {
    const error = errorOf(() => read({ mode: 'record', [input]: value }))
    expect(error.message).toContain(`"${input}"`)
    expect(error.message).toContain('without credentials')
    expect(error.message).not.toContain('hunter2')
  })
})

describe('readSettings: the token', () => {
  it('comes from the input, else WALLARM_API_TOKEN, else is undefined', () => {
    expect(
      readSettings(runnerInputs({ mode: 'record', token: 'from-input' }), { [Env.Token]: 'from-env' }).token
    ).toBe('from-input')
    expect(readSettings(runnerInputs({ mode: 'record' }), { [Env.Token]: ' from-env\n' }).token).toBe(
      'from-env'
    )
    expect(readSettings(runnerInputs({ mode: 'record' }), {}).token).toBeUndefined()
    expect(readSettings(runnerInputs({ mode: 'record' }), { [Env.Token]: '  ' }).token).toBeUndefined()
  })

  it('rejects a token with whitespace inside without echoing it', () => {
    const secret = 'abc123SECRET def456'
    for (const [withInputs, env] of [
      [{ token: secret }, {}],
      [{ token: 'line1\nline2SECRET' }, {}],
      [{}, { [Env.Token]: secret }]
    ] as const) {
      const error = errorOf(() => readSettings(runnerInputs({ mode: 'record', ...withInputs }), env))
      expect(error.input).toBe(Inputs.Token)
      expect(error.value).toBe('***')
      expect(error.message).toContain('Input "token" has the value "***": ')
      expect(error.message).not.toMatch(/SECRET|abc123|line1/)
      expect(JSON.stringify(error)).not.toMatch(/SECRET/)
    }
  })
})

describe('readSettings: api-token', () => {
  it('is the input, trimmed; empty is undefined; never from WALLARM_API_TOKEN, the node token', () => {
    expect(readSettings(runnerInputs({ mode: 'record', 'api-token': ' api-tok \n' }), {}).apiToken).toBe(
      'api-tok'
    )
    expect(readSettings(runnerInputs({ mode: 'record' }), { [Env.Token]: 'node' }).apiToken).toBeUndefined()
  })

  it('rejects one with whitespace inside without echoing it', () => {
    const error = errorOf(() =>
      readSettings(runnerInputs({ mode: 'record', token: 't', 'api-token': 'abc SECRET' }), {})
    )
    expect(error.input).toBe('api-token')
    expect(error.message).toContain('Input "api-token" has the value "***": ')
    expect(JSON.stringify(error)).not.toMatch(/SECRET/)
  })
})

describe('readSettings: the default name and description', () => {
  it('tells jobs, attempts and runs apart', () => {
    const names = [
      githubEnv,
      { ...githubEnv, GITHUB_JOB: 'dast-eu' },
      { ...githubEnv, GITHUB_RUN_ATTEMPT: '2' },
      { ...githubEnv, GITHUB_RUN_NUMBER: '43' },
      { ...githubEnv, GITHUB_WORKFLOW: 'Nightly' },
      { ...githubEnv, GITHUB_REPOSITORY: 'acme/other' }
    ].map((env) => read({ mode: 'record' }, env).name)
    expect(new Set(names).size).toBe(names.length)
    expect(names[0]).toBe('acme/shop · CI #42.1 · dast')
    expect(names[2]).toBe('acme/shop · CI #42.2 · dast')
  })

  it('skips missing parts and falls back outside Actions', () => {
    expect(defaultName({})).toBe('wallarm-fast-action')
    expect(defaultName({ GITHUB_REPOSITORY: 'acme/shop' })).toBe('acme/shop')
    expect(defaultName({ GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_NUMBER: '7', GITHUB_JOB: 'e2e' })).toBe(
      'acme/shop · #7 · e2e'
    )
    expect(defaultName({ GITHUB_WORKFLOW: 'CI', GITHUB_RUN_ATTEMPT: '3' })).toBe('CI attempt 3')
    expect(read({ mode: 'record' }, {}).name).toBe('wallarm-fast-action')
  })

  it('links the description to the workflow run when it is known, GHES included', () => {
    expect(
      read({ mode: 'record' }, { ...githubEnv, GITHUB_SERVER_URL: 'https://ghe.acme.io/' }).description
    ).toBe('https://ghe.acme.io/acme/shop/actions/runs/987654321')
    expect(read({ mode: 'record' }, { GITHUB_REPOSITORY: 'acme/shop' }).description).toBe('')
    expect(read({ mode: 'record', description: 'mine' }).description).toBe('mine')
  })
})

describe('readSettings: modes', () => {
  it('stop and wait take the test run from the input, else from WALLARM_FAST_TEST_RUN_ID', () => {
    expect(read({ mode: 'stop', 'test-run-id': '5080' }, { [Env.TestRunId]: '1' }).testRunId).toBe('5080')
    expect(read({ mode: 'wait' }, { [Env.TestRunId]: '5081' }).testRunId).toBe('5081')
  })

  it('stop and wait without a test run is an error naming test-run-id and the variable', () => {
    for (const mode of ['stop', 'wait']) {
      const error = errorOf(() => read({ mode }, {}))
      expect(error.input).toBe(Inputs.TestRunId)
      expect(error.message).toContain('Input "test-run-id" has the value "": expected the id of a test run')
      expect(error.message).toContain(Env.TestRunId)
    }
  })

  it('keeps test run and record ids as their exact digits, above 2^53 too', () => {
    const big = '18446744073709551615'
    expect(read({ mode: 'wait' }, { [Env.TestRunId]: big }).testRunId).toBe(big)
    expect(read({ mode: 'stop', 'test-run-id': `00${big}` }).testRunId).toBe(big)
    expect(read({ mode: 'reuse', 'test-record-id': big }).testRecordId).toBe(big)
    expect(() => read({ mode: 'wait', 'test-run-id': '1'.repeat(41) })).toThrow(InputError)
  })

  it('ignores an unusable WALLARM_FAST_TEST_RUN_ID with a warning, then needs the input', () => {
    expect(() => read({ mode: 'wait' }, { [Env.TestRunId]: 'abc' })).toThrow(InputError)
    const s = read({ mode: 'wait', 'test-run-id': '9' }, { [Env.TestRunId]: 'abc' })
    expect(s.testRunId).toBe('9')
    const s2 = readSettings(runnerInputs({ mode: 'wait', 'if-no-token': 'skip' }), { [Env.TestRunId]: 'abc' })
    expect(s2.warnings).toEqual([
      `${Env.TestRunId} has the value "abc", which is not a test run id: ignored.`
    ])
  })

  it('reuse without a test record is an error naming test-record-id', () => {
    const error = errorOf(() => read({ mode: 'reuse' }))
    expect(error.input).toBe(Inputs.TestRecordId)
    expect(error.message).toMatch(
      /^Input "test-record-id" has the value "": expected the id of the test record .* reuse mode needs it\.$/
    )
  })

  it('without a token, leaves the mode requirements to the if-no-token decision', () => {
    for (const ifNoToken of ['skip', 'fail']) {
      for (const mode of ['stop', 'wait', 'reuse']) {
        const s = readSettings(runnerInputs({ mode, 'if-no-token': ifNoToken }), {})
        expect(s).toMatchObject({
          mode,
          token: undefined,
          ifNoToken,
          testRunId: undefined,
          testRecordId: undefined
        })
      }
    }
    // …but still rejects a malformed input.
    expect(() =>
      readSettings(runnerInputs({ mode: 'stop', 'if-no-token': 'skip', 'wait-timeout': 'x' }), {})
    ).toThrow(/wait-timeout/)
  })

  it.each(['wait-timeout', 'ready-timeout', 'poll-interval', 'stop-grace-period'])(
    '%s beyond any timer’s range (600h, 2^31 ms) is refused, naming the input and the limit',
    (input) => {
      for (const value of ['600h', `${2 ** 31}ms`]) {
        const error = errorOf(() => read({ mode: 'stop', 'test-run-id': '5', [input]: value }))
        expect(error.input).toBe(input)
        expect(error.message).toMatch(/expected a duration (from \S+ )?(to|of at most) \S+/)
      }
    }
  )

  it('wait-timeout and ready-timeout take up to 120h, as long as a job can run', () => {
    const s = read({ mode: 'stop', 'test-run-id': '5', 'wait-timeout': '120h', 'ready-timeout': '120h' })
    expect(s.waitTimeoutMs).toBe(120 * 3_600_000)
    expect(s.readyTimeoutMs).toBe(120 * 3_600_000)
    expect(errorOf(() => read({ mode: 'stop', 'test-run-id': '5', 'wait-timeout': '600h' })).message).toBe(
      'Input "wait-timeout" has the value "600h": expected a duration from 1s to 120h: no job runs longer ' +
        '(5 days on a self-hosted runner).'
    )
  })

  it('test-record-id in record mode is a contradiction', () => {
    const error = errorOf(() => read({ mode: 'record', 'test-record-id': '9058' }))
    expect(error.input).toBe(Inputs.TestRecordId)
    expect(error.message).toMatch(/use mode reuse/)
  })

  it('warns about inputs the mode ignores, and clears them', () => {
    const s = read({
      mode: 'wait',
      'test-run-id': '5',
      'test-record-id': '9',
      'test-record-name': 'rec',
      'inactivity-timeout': '900',
      'skip-duplicated-baselines': 'false',
      'stop-grace-period': '10s'
    })
    expect(s.testRecordId).toBeUndefined()
    expect(s.testRecordName).toBeUndefined()
    expect(s.warnings).toEqual([
      'Input "test-record-id" is used by reuse and scan modes only: ignored in wait mode.',
      'Input "test-record-name" is used by record mode only: ignored in wait mode.',
      'Input "inactivity-timeout" is used by record mode only: ignored in wait mode.',
      'Input "skip-duplicated-baselines" is used by record mode only: ignored in wait mode.',
      'Input "stop-grace-period" is used by stop mode only: ignored in wait mode.'
    ])

    const r = read({ mode: 'reuse', 'test-record-id': '9', 'test-run-id': '5' })
    expect(r.testRunId).toBeUndefined()
    expect(r.warnings).toEqual([
      'Input "test-run-id" is used by stop and wait modes only: reuse mode starts a new test run, so it is ignored.'
    ])
  })

  it('exclude in a replay (scan with test-record-id, reuse): one warning that the node still attacks every baseline; ignored in record mode', () => {
    const scan = read({ mode: 'scan', 'test-record-id': '9058', exclude: 'DELETE .*' })
    const reuse = read({ mode: 'reuse', 'test-record-id': '9058', exclude: 'DELETE .*\nPOST ^/logout$' })
    for (const s of [scan, reuse]) {
      const said = s.warnings.filter((w) => w.includes('"exclude"'))
      expect(said).toHaveLength(1)
      expect(said[0]).toContain('attacks every baseline of test record 9058')
      expect(said[0]).toContain('only sets their findings out of scope')
      expect(said[0]).toContain('record again with exclude')
      expect(s.exclude.length).toBeGreaterThan(0)
    }
    expect(scan.warnings.find((w) => w.includes('"exclude"'))).toContain('(scan mode with test-record-id)')
    expect(reuse.warnings.find((w) => w.includes('"exclude"'))).toContain('(reuse mode with test-record-id)')
    expect(read({ mode: 'record', exclude: 'DELETE .*' }).warnings).toEqual([
      expect.stringMatching(/^Input "exclude" is ignored in record mode/)
    ])
    // Where exclude does what it says, no warning: scan mode while it records, stop and wait.
    expect(
      read({ mode: 'scan', run: 'npm test', target: 'http://localhost:3000', exclude: 'DELETE .*' }).warnings
    ).toEqual([])
    expect(read({ mode: 'stop', 'test-run-id': '5', exclude: 'DELETE .*' }).warnings).toEqual([])
    expect(read({ mode: 'reuse', 'test-record-id': '9058' }).warnings).toEqual([])
  })

  it('does not warn about defaults, nor about a run id left in the environment by a record step', () => {
    expect(read({ mode: 'record' }, { ...githubEnv, [Env.TestRunId]: '5' }).warnings).toEqual([])
    expect(
      read({ mode: 'reuse', 'test-record-id': '1' }, { ...githubEnv, [Env.TestRunId]: '5' })
    ).toMatchObject({
      warnings: [],
      testRunId: undefined
    })
    expect(read({ mode: 'record', 'test-record-name': 'rec' }).testRecordName).toBe('rec')
  })
})

describe('readSettings: openapi and min-coverage', () => {
  it('keeps the spec path and the percentage in scan mode with run', () => {
    const scan = read({
      mode: 'scan',
      run: 'npm test',
      target: 'http://127.0.0.1:3000',
      openapi: 'api.yaml',
      'min-coverage': '80'
    })
    expect(scan).toMatchObject({ openapi: 'api.yaml', minCoverage: 80 })
    expect(read({ mode: 'record', openapi: 'api.yaml' })).toMatchObject({
      openapi: 'api.yaml',
      minCoverage: undefined
    })
  })

  it('keeps min-coverage in summarize mode: it applies to the union of the legs’ coverage', () => {
    expect(
      read({ mode: 'summarize', reports: 'r/*.json', openapi: 'api.yaml', 'min-coverage': '60' })
    ).toMatchObject({ openapi: 'api.yaml', minCoverage: 60 })
    // Still counted over the operations of an API description: the legs' and this step's.
    const without = errorOf(() => read({ mode: 'summarize', reports: 'r/*.json', 'min-coverage': '60' }))
    expect(without.message).toContain('without the openapi input')
  })

  it('refuses min-coverage outside 0..100, and without openapi', () => {
    const args = { mode: 'scan', run: 'npm test', target: 'http://127.0.0.1:3000', openapi: 'api.yaml' }
    expect(errorOf(() => read({ ...args, 'min-coverage': '101' })).message).toContain(
      'Input "min-coverage" has the value "101"'
    )
    expect(errorOf(() => read({ ...args, 'min-coverage': '50%' })).input).toBe('min-coverage')
    const without = errorOf(() => read({ ...args, openapi: '', 'min-coverage': '50' }))
    expect(without.message).toContain('without the openapi input')
  })

  it.each([
    ['record', {}, 'record mode'],
    ['reuse', { 'test-record-id': '5' }, 'reuse mode'],
    ['stop', { 'test-run-id': '5' }, 'stop mode'],
    ['wait', { 'test-run-id': '5' }, 'wait mode'],
    ['scan', { 'test-record-id': '5', target: 'http://127.0.0.1:3000' }, 'scan mode with test-record-id']
  ])(
    'refuses min-coverage in %s mode where the traffic cannot be known, naming the mode',
    (mode, extra, named) => {
      const err = errorOf(() => read({ mode, openapi: 'api.yaml', 'min-coverage': '50', ...extra }))
      expect(err.input).toBe('min-coverage')
      expect(err.message).toContain(named)
    }
  )
})
