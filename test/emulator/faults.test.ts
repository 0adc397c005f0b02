import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { api } from './helpers.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'

let em: Emulator | undefined

afterEach(async () => {
  await em?.close()
  em = undefined
})

describe('fault injection', () => {
  it('answers a status with the envelope and Retry-After, for `count` requests only', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    em.injectFault({ method: 'POST', path: '/v1/test_run', status: 429, retryAfter: '2', count: 2 })
    const first = await api(em, 'POST', '/v1/test_run', { body: { name: 'x' } })
    expect(first.httpStatus).toBe(429)
    expect(first.headers.get('retry-after')).toBe('2')
    expect(first.json).toEqual({ status: 429, body: expect.any(String) })
    expect((await api(em, 'POST', '/v1/test_run', { body: { name: 'x' } })).httpStatus).toBe(429)
    expect((await api(em, 'POST', '/v1/test_run', { body: { name: 'x' } })).httpStatus).toBe(200)
    // Faulted requests are in the log too.
    expect(em.requests.map((r) => r.status)).toEqual([429, 429, 200])
  })

  it('matches the method and the path without query, or a RegExp; sends `body` verbatim', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    em.injectFault({ method: 'GET', path: /^\/v1\/test_run\/\d+$/, status: 503, body: 'upstream down' })
    expect((await api(em, 'POST', '/v1/test_run', { body: { name: 'x' } })).httpStatus).toBe(200)
    const r = await api(em, 'GET', '/v1/test_run/5001?x=1')
    expect(r.httpStatus).toBe(503)
    expect(r.text).toBe('upstream down')
    expect((await api(em, 'GET', '/v1/test_run/5001')).httpStatus).toBe(200)
    em.injectFault({ path: '/v1/test_run/5001', status: 500 })
    expect((await api(em, 'GET', '/v1/test_run/5001?a=b')).json).toEqual({
      status: 500,
      body: expect.any(String)
    })
  })

  it('delays (then serves normally), resets the connection, or answers malformed JSON', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    em.injectFault({ path: '/v1/test_run', delayMs: 30 })
    const slow = await api(em, 'POST', '/v1/test_run', { body: { name: 'x' } })
    expect(slow.httpStatus).toBe(200)
    expect(slow.json.body.state).toBe('running')

    em.injectFault({ path: '/v1/test_run/5001', reset: true })
    await expect(api(em, 'GET', '/v1/test_run/5001')).rejects.toThrow()
    expect(em.requests.at(-1)).toMatchObject({ path: '/v1/test_run/5001', status: 0 })

    em.injectFault({ path: '/v1/test_run/5001', malformed: true })
    const bad = await api(em, 'GET', '/v1/test_run/5001')
    expect(bad.httpStatus).toBe(200)
    expect(() => JSON.parse(bad.text) as unknown).toThrow()
    expect((await api(em, 'GET', '/v1/test_run/5001')).json.status).toBe(200)
  })

  it('hangs (accepted, never answered) or trickles a byte at a time, never ending', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    em.injectFault({ path: '/v1/test_run/5001', hang: true })
    const hung = await fetch(`${em.apiUrl}/v1/test_run/5001`, { signal: AbortSignal.timeout(300) }).catch(
      (err: unknown) => err
    )
    expect(hung).toBeInstanceOf(Error)
    expect(em.requests.at(-1)).toMatchObject({ path: '/v1/test_run/5001', status: 0 })

    em.injectFault({ path: '/v1/test_run/5001', trickleMs: 20 })
    const controller = new AbortController()
    const res = await fetch(`${em.apiUrl}/v1/test_run/5001`, { signal: controller.signal })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    let bytes = 0
    while (bytes < 4) bytes += (await reader.read()).value?.length ?? 0
    controller.abort()
    expect(bytes).toBeGreaterThanOrEqual(4)
    expect((await api(em, 'GET', '/v1/test_run/5001')).httpStatus).not.toBe(0)
  })

  it('accepts faults over the control endpoint (path as string or pathRegex)', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    const add = await fetch(`${em.apiUrl}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ pathRegex: '^/v1/objects/', status: 502, count: 1 })
    })
    expect(add.status).toBe(200)
    const pending = (await api(em, 'GET', '/__emulator/faults', { token: null })).json
    expect(pending.body).toEqual([{ pathRegex: new RegExp('^/v1/objects/').source, status: 502, count: 1 }])
    expect((await api(em, 'POST', '/v1/objects/vuln', { body: { limit: 1 } })).httpStatus).toBe(502)
    expect((await api(em, 'POST', '/v1/objects/vuln', { body: { limit: 1 } })).httpStatus).toBe(200)
    const bad = await fetch(`${em.apiUrl}/__emulator/faults`, { method: 'POST', body: '{}' })
    expect(bad.status).toBe(400)
    // Control calls are not recorded.
    expect(em.requests.map((r) => r.path)).toEqual(['/v1/objects/vuln', '/v1/objects/vuln'])
  })
})

describe('cli', () => {
  it('prints the addresses and tokens, serves, and exits on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'emulator/cli.ts',
        '--token',
        'fast-a',
        '--token',
        'fast-b',
        '--time-scale',
        '0.05'
      ],
      { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] }
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const deadline = Date.now() + 20_000
      while (!out.includes('Press Ctrl+C') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      expect(out).toContain('tokens: fast-a, fast-b')
      const apiUrl = /API:\s+(http:\/\/\S+)/.exec(out)?.[1]
      expect(out).toMatch(/proxy:\s+http:\/\/127\.0\.0\.1:\d+/)
      expect(out).toContain('http://fast-b@127.0.0.1:')
      const r = await api({ apiUrl: apiUrl! }, 'POST', '/v1/test_run', {
        token: 'fast-b',
        body: { name: 'cli' }
      })
      expect(r.json.status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
