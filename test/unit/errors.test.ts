import { describe, expect, it } from 'vitest'
import {
  WallarmApiError,
  describeBody,
  errorDetails,
  isAuthError,
  isNotFound,
  isNotReadyForCloning,
  kindForStatus
} from '../../src/wallarm/errors.js'

describe('errorDetails reads the three body shapes of §1.5', () => {
  it('a bare string has no code', () => {
    expect(errorDetails('Already exists')).toEqual([])
  })

  it('{error, value}', () => {
    expect(errorDetails({ error: 'node not found', value: 15049247 })).toEqual([
      { code: 'node not found', value: 15049247 }
    ])
  })

  it('{param: {error, value}}, every parameter', () => {
    expect(
      errorDetails({
        rps: { error: 'out_of_range', value: 5000 },
        name: { error: 'required' }
      })
    ).toEqual([
      { param: 'rps', code: 'out_of_range', value: 5000 },
      { param: 'name', code: 'required' }
    ])
  })

  it('anything else has no details', () => {
    expect(errorDetails(null)).toEqual([])
    expect(errorDetails([1, 2])).toEqual([])
    expect(errorDetails({ something: 'else' })).toEqual([])
  })
})

describe('kindForStatus', () => {
  it.each([
    [401, undefined, 'auth'],
    [403, 'User not authenticated', 'auth'],
    [404, undefined, 'not_found'],
    [400, { test_record_id: { error: 'not_ready_for_cloning', value: 9058 } }, 'not_ready_for_cloning'],
    [400, { rps: { error: 'invalid', value: 0 } }, 'bad_request'],
    [400, 'Already exists', 'bad_request'],
    [408, undefined, 'unavailable'],
    [429, 'Rate limiting', 'rate_limited'],
    [500, undefined, 'unavailable'],
    [503, undefined, 'unavailable'],
    [524, undefined, 'unavailable'],
    [409, undefined, 'http'],
    [302, undefined, 'http']
  ] as const)('HTTP %i → %s', (status, body, kind) => {
    expect(kindForStatus(status, body)).toBe(kind)
  })
})

describe('WallarmApiError', () => {
  it("401/403: the token was rejected, by which host (the facts; remedies are the action layer's)", () => {
    const e = new WallarmApiError({
      operation: 'create test run',
      kind: 'auth',
      status: 403,
      body: 'User not authenticated',
      retryable: false,
      host: 'us1.api.wallarm.com'
    })
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('WallarmApiError')
    expect(e.message).toBe(
      'Failed to create test run: the Wallarm API at us1.api.wallarm.com rejected the token (HTTP 403: User not authenticated).'
    )
    expect(e.host).toBe('us1.api.wallarm.com')
    expect(isAuthError(e)).toBe(true)
    expect(isNotFound(e)).toBe(false)
    expect(e.status).toBe(403)
    expect(e.code).toBeUndefined()
  })

  it('404 names the id when known', () => {
    const e = new WallarmApiError({
      operation: 'get test run',
      kind: 'not_found',
      status: 404,
      body: { error: 'not found', value: 5080 },
      retryable: false,
      resource: { kind: 'test run', id: 5080 }
    })
    expect(e.message).toContain('no such test run 5080')
    expect(e.code).toBe('not found')
    expect(e.value).toBe(5080)
    expect(isNotFound(e)).toBe(true)
  })

  it('400 not_ready_for_cloning: the record is still recording, stop it first', () => {
    const e = new WallarmApiError({
      operation: 'copy test run',
      kind: 'not_ready_for_cloning',
      status: 400,
      body: { test_record_id: { error: 'not_ready_for_cloning', value: 9058 } },
      retryable: false
    })
    expect(e.code).toBe('not_ready_for_cloning')
    expect(e.param).toBe('test_record_id')
    expect(e.value).toBe(9058)
    expect(e.message).toContain('test record 9058 is still recording')
    expect(e.message).toMatch(/Stop its recording first/)
    expect(isNotReadyForCloning(e)).toBe(true)
  })

  it('another 400 names the parameter, the code and the value', () => {
    const e = new WallarmApiError({
      operation: 'create test run',
      kind: 'bad_request',
      status: 400,
      body: { rps: { error: 'out_of_range', value: 5000 } },
      retryable: false
    })
    expect(e.param).toBe('rps')
    expect(e.code).toBe('out_of_range')
    expect(e.message).toBe(
      'Failed to create test run: the Wallarm API rejected the request (HTTP 400): ' +
        'parameter "rps": error "out_of_range", value 5000'
    )
  })

  it('a 400 with a bare string quotes it', () => {
    const e = new WallarmApiError({
      operation: 'create test run',
      kind: 'bad_request',
      status: 400,
      body: 'Already exists',
      retryable: false
    })
    expect(e.message).toBe(
      'Failed to create test run: the Wallarm API rejected the request (HTTP 400: Already exists)'
    )
  })

  it('429 and 5xx say how many attempts were made', () => {
    const e = new WallarmApiError({
      operation: 'get test run',
      kind: 'rate_limited',
      status: 429,
      body: 'Rate limiting',
      retryable: true
    })
    expect(e.message).not.toContain('attempts')
    const after = e.withAttempts(5)
    expect(after).toBeInstanceOf(WallarmApiError)
    expect(after.attempts).toBe(5)
    expect(after.message).toBe(
      'Failed to get test run: the Wallarm API is rate-limiting requests (HTTP 429: Rate limiting); gave up after 5 attempts'
    )
    const down = new WallarmApiError({
      operation: 'get test run',
      kind: 'unavailable',
      status: 502,
      retryable: true
    })
    expect(down.withAttempts(3).message).toBe(
      'Failed to get test run: the Wallarm API is unavailable (HTTP 502); gave up after 3 attempts'
    )
  })

  it('network errors name the code and the host', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })
    const e = new WallarmApiError({
      operation: 'stop recording',
      kind: 'network',
      retryable: true,
      host: 'us1.api.wallarm.com',
      networkCode: 'ECONNREFUSED',
      cause
    })
    expect(e.status).toBeUndefined()
    expect(e.code).toBe('ECONNREFUSED')
    expect(e.cause).toBe(cause)
    expect(e.withAttempts(2).message).toMatch(
      /^Failed to stop recording: could not reach the Wallarm API at us1\.api\.wallarm\.com \(ECONNREFUSED\).*gave up after 2 attempts$/
    )
  })

  it('the helpers are false for other values', () => {
    for (const v of [undefined, null, new Error('x'), { kind: 'auth' }]) {
      expect(isAuthError(v)).toBe(false)
      expect(isNotFound(v)).toBe(false)
      expect(isNotReadyForCloning(v)).toBe(false)
    }
  })
})

describe('describeBody', () => {
  it('renders one short line', () => {
    expect(describeBody('a\n  b')).toBe('a b')
    expect(describeBody({ a: 1 })).toBe('{"a":1}')
    expect(describeBody('x'.repeat(1000))).toHaveLength(301)
    expect(describeBody(undefined)).toBe('')
  })
})
