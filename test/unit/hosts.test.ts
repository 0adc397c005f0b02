import { describe, expect, it } from 'vitest'
import { HostError, resolveApi, testRunUrl } from '../../src/wallarm/hosts.js'

describe('resolveApi', () => {
  it.each([
    ['us', 'https://us1.api.wallarm.com', 'https://us1.my.wallarm.com'],
    ['US', 'https://us1.api.wallarm.com', 'https://us1.my.wallarm.com'],
    ['eu', 'https://api.wallarm.com', 'https://my.wallarm.com'],
    [' eu ', 'https://api.wallarm.com', 'https://my.wallarm.com']
  ])('resolves the cloud alias %j', (input, baseUrl, consoleUrl) => {
    expect(resolveApi(input)).toEqual({ baseUrl, consoleUrl })
  })

  it.each([
    ['us1.api.wallarm.com', 'https://us1.api.wallarm.com', 'https://us1.my.wallarm.com'],
    ['api.wallarm.com', 'https://api.wallarm.com', 'https://my.wallarm.com'],
    ['API.Wallarm.com', 'https://api.wallarm.com', 'https://my.wallarm.com']
  ])('takes the known bare host %j and derives its console', (input, baseUrl, consoleUrl) => {
    expect(resolveApi(input)).toEqual({ baseUrl, consoleUrl })
  })

  it('takes an unknown bare host (with or without a port) over HTTPS, with no console', () => {
    expect(resolveApi('wallarm-api.corp.example')).toEqual({ baseUrl: 'https://wallarm-api.corp.example' })
    expect(resolveApi('wallarm-api.corp.example:8443')).toEqual({
      baseUrl: 'https://wallarm-api.corp.example:8443'
    })
    expect(resolveApi('localhost').consoleUrl).toBeUndefined()
  })

  it.each([
    ['http://127.0.0.1:8555', 'http://127.0.0.1:8555'],
    ['http://127.0.0.1:8555/', 'http://127.0.0.1:8555'],
    ['https://x.example/prefix/', 'https://x.example/prefix'],
    ['https://x.example/a/b//', 'https://x.example/a/b']
  ])('keeps the full URL %j without its trailing slash', (input, baseUrl) => {
    expect(resolveApi(input)).toEqual({ baseUrl })
  })

  it('derives the console for a full URL of a known host', () => {
    expect(resolveApi('https://us1.api.wallarm.com/')).toEqual({
      baseUrl: 'https://us1.api.wallarm.com',
      consoleUrl: 'https://us1.my.wallarm.com'
    })
  })

  it('lets an explicit console URL win', () => {
    expect(resolveApi('us', 'https://console.corp.example/')).toEqual({
      baseUrl: 'https://us1.api.wallarm.com',
      consoleUrl: 'https://console.corp.example'
    })
    expect(resolveApi('http://127.0.0.1:8555', 'http://127.0.0.1:8556')).toEqual({
      baseUrl: 'http://127.0.0.1:8555',
      consoleUrl: 'http://127.0.0.1:8556'
    })
    // An empty console-url input means "not set".
    expect(resolveApi('eu', '  ').consoleUrl).toBe('https://my.wallarm.com')
  })

  it.each([
    '',
    '   ',
    'us1 api.wallarm.com',
    'ftp://api.wallarm.com',
    'https://',
    'https://user:pass@api.wallarm.com',
    'https://api.wallarm.com/?x=1',
    'api.wallarm.com/v1',
    'api.wallarm.com:99999',
    '-bad-.example',
    'a..b'
  ])('rejects %j saying it is the API address, the value and what is allowed', (input) => {
    let error: unknown
    try {
      resolveApi(input)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(HostError)
    expect(error).toMatchObject({ which: 'api', value: input })
    const message = (error as Error).message
    expect(message).toContain('API address')
    expect(message).toContain(JSON.stringify(input))
    expect(message).toMatch(/us, eu, a host name/)
    expect(message).toMatch(/http\(s\) URL/)
  })

  it('accepts a single-label host (a service name on a docker network)', () => {
    expect(resolveApi('wallarm-emulator')).toEqual({ baseUrl: 'https://wallarm-emulator' })
  })

  it('rejects an invalid console URL saying which it is', () => {
    expect(() => resolveApi('us', 'ftp://x')).toThrow(/console URL: "ftp:\/\/x".*http\(s\) URL/)
  })

  it('takes a fully qualified name with its final dot', () => {
    expect(resolveApi('api.example.com.')).toEqual({ baseUrl: 'https://api.example.com.' })
    expect(resolveApi('api.wallarm.com.:443').consoleUrl).toBe('https://my.wallarm.com')
  })
})

describe('testRunUrl', () => {
  it('builds <console>/testing/testruns/<id>', () => {
    expect(testRunUrl('https://us1.my.wallarm.com', 5080)).toBe(
      'https://us1.my.wallarm.com/testing/testruns/5080'
    )
    expect(testRunUrl('https://my.wallarm.com/', 7)).toBe('https://my.wallarm.com/testing/testruns/7')
  })
})
