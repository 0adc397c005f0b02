import { describe, expect, it } from 'vitest'
import { explain } from '../../src/action/remedies.js'
import { WallarmApiError, type WallarmApiErrorInit } from '../../src/wallarm/errors.js'

const apiError = (init: Partial<WallarmApiErrorInit>): WallarmApiError =>
  new WallarmApiError({ operation: 'get test run', kind: 'http', retryable: false, ...init })

describe('explain', () => {
  it('says which inputs to check for a refused token', () => {
    const text = explain(apiError({ kind: 'auth', status: 403, host: 'api.wallarm.com' }))
    expect(text).toMatch(/^Failed to get test run: the Wallarm API at api\.wallarm\.com rejected the token/)
    expect(text).toContain('the token input (or WALLARM_API_TOKEN) is a FAST node token')
    expect(text).toMatch(/US token .*api-host: us.*EU token .*api-host: eu/)
  })

  it.each([
    [{ kind: 'test run', id: 5 }, 'Check the test-run-id input (or WALLARM_FAST_TEST_RUN_ID)'],
    [{ kind: 'test record', id: 9 }, 'Check the test-record-id input'],
    [undefined, 'Check the id']
  ])('names the input that gave a missing %j', (resource, remedy) => {
    const text = explain(apiError({ kind: 'not_found', status: 404, ...(resource ? { resource } : {}) }))
    expect(text).toContain(remedy)
    expect(text).toContain('api-host')
  })

  it.each([
    ['ENOTFOUND', 'Check the api-host input.'],
    ['EAI_AGAIN', 'Check the api-host input.'],
    ['ECONNREFUSED', 'Check the api-host input (and any HTTPS_PROXY).']
  ])('points a %s at api-host, after a full stop', (networkCode, remedy) => {
    const error = apiError({ kind: 'network', networkCode, host: 'x.example', attempts: 5 })
    expect(error.message).toMatch(/gave up after 5 attempts$/)
    expect(explain(error)).toBe(`${error.message}. ${remedy}`)
  })

  it('adds nothing where there is nothing to check', () => {
    const timeout = apiError({ kind: 'network', networkCode: 'ETIMEDOUT' })
    expect(explain(timeout)).toBe(timeout.message)
    const unavailable = apiError({ kind: 'unavailable', status: 503 })
    expect(explain(unavailable)).toBe(unavailable.message)
    expect(explain(new Error('plain'))).toBe('plain')
  })
})
