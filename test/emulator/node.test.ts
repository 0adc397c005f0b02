/**
 * The real emulated node (emulator/node/): it connects to the cloud, records through its proxy, and
 * tests the recorded baselines by attacking the target; every verdict comes from the target's answers.
 */
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  api,
  countersAddUp,
  rawViaProxy,
  skippedBaselines,
  startOneShotTarget,
  startTarget,
  UNNORMALISED,
  viaProxy,
  waitFor,
  type Target
} from './helpers.js'
import {
  nodeConfigFromEnv,
  NodeAccessDenied,
  startEmulator,
  startNode,
  type Emulator
} from '../../emulator/index.js'
import { FLAWS, startSampleApp, type SampleApp } from '../../sample-app/server.js'

const A = 'fast-token-a'

let em: Emulator | undefined
let app: SampleApp | undefined
afterEach(async () => {
  await em?.close()
  await app?.close()
  em = undefined
  app = undefined
})

/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- runs and vulnerabilities as JSON */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the run as JSON
type Json = any

async function readyRun(e: Emulator, body: Record<string, unknown> = {}, token = A): Promise<Json> {
  const run = (await api(e, 'POST', '/v1/test_run', { token, body: { name: 'r', ...body } })).json.body
  await waitFor(
    async () => (await api(e, 'GET', `/v1/test_run/${run.id}`, { token })).json.body.ready_for_recording
  )
  return run
}

async function stopAndWait(e: Emulator, runId: number, token = A): Promise<Json> {
  await api(e, 'POST', `/v1/test_run/${runId}/action/stop`, { token })
  return waitFor(async () => {
    const run = (await api(e, 'GET', `/v1/test_run/${runId}`, { token })).json.body
    return ['passed', 'failed', 'interrupted'].includes(run.state) ? run : null
  }, 30_000)
}

async function vulnsOf(e: Emulator, runId: number): Promise<Json[]> {
  return (await api(e, 'POST', '/v1/objects/vuln', { body: { filter: { testrun_id: [runId] }, limit: 100 } }))
    .json.body
}

describe('the real node', () => {
  it('finds the sample app’s three flaws from its answers, and nothing on the clean endpoints', async () => {
    const log: string[] = []
    em = await startEmulator({ nodes: 'real', nodeLog: (_t, line) => log.push(line) })
    app = await startSampleApp()
    const run = await readyRun(em)
    const paths = [
      '/api/search?q=tea',
      '/greet?name=ann',
      '/files?name=readme.txt',
      '/api/products',
      '/api/echo?text=hi',
      '/hello?name=bob'
    ]
    for (const p of paths) expect((await viaProxy(em.proxyUrl, `${app.url}${p}`)).status).toBe(200)
    const cart = await viaProxy(em.proxyUrl, `${app.url}/api/cart`, {
      method: 'POST',
      body: 'item=1&qty=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }
    })
    expect(cart.status).toBe(201)
    const done = await stopAndWait(em, run.id)
    expect(done).toMatchObject({
      state: 'failed',
      baseline_count: 7,
      baseline_check_fail_count: 3,
      baseline_check_passed_count: 4,
      baseline_check_tech_fail_count: 0
    })
    expect(done.sended_requests_count).toBe(done.planing_requests_count)
    expect(done.avg_rps).toBeGreaterThan(0)
    const found = (await vulnsOf(em, run.id)).map((v) => ({
      type: v.type,
      method: v.method,
      path: v.path,
      parameter: v.parameter,
      domain: v.domain
    }))
    const host = new URL(app.url).host
    expect(found.sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...FLAWS]
        .map((f) => ({ type: f.type, method: f.method, path: f.path, parameter: f.parameter, domain: host }))
        .sort((a, b) => a.path.localeCompare(b.path))
    )
    // The sample app received the attacks: the 7 requests of the tests, then the node's.
    const stats = app.stats()
    expect(stats.requests).toBe(7 + done.sended_requests_count)
    expect(stats.attacks).toBeGreaterThan(0)
    expect(stats.by_path['/api/search']!.attacks).toBeGreaterThan(0)
    expect(log).toContain('[info] Node connected to Wallarm Cloud')
    expect(log).toContain('[info] Waiting for TestRun to check…')
    expect(log).toContain(`[info] Recording baselines for TestRun#${run.id} 'r'`)
  })

  it('records, forwards and replays the path and query byte for byte, as nginx does', async () => {
    em = await startEmulator({ nodes: 'real' })
    const target: Target = await startTarget()
    try {
      const run = await readyRun(em)
      const host = new URL(target.url).host
      const answer = await rawViaProxy(em.proxyUrl, `${target.url}${UNNORMALISED}`, host)
      expect(answer).toMatch(/^HTTP\/1\.1 200 /)
      expect(target.received[0]).toMatchObject({ method: 'GET', url: UNNORMALISED })
      const state = em.model.dump() as { records: { id: number; baselines: { url: string }[] }[] }
      const record = state.records.find((r) => r.id === run.test_record_id)!
      expect(record.baselines.map((b) => b.url)).toEqual([`${target.url}${UNNORMALISED}`])
      await stopAndWait(em, run.id)
      // The node's replay is the request the test sent; its attacks keep the path and change the query.
      expect(target.received[1]).toMatchObject({ method: 'GET', url: UNNORMALISED })
      const attacks = target.received.slice(2).map((r) => r.url)
      expect(attacks.length).toBe(16) // 8 payloads in each of x and q
      for (const url of attacks) expect(url).toMatch(/^\/static\/\.\.\/admin\?x=/)
    } finally {
      await target.close()
    }
  })

  it('records only the hosts ALLOWED_HOSTS lets through, and still proxies the others', async () => {
    em = await startEmulator({ nodes: 'real', allowedHosts: 'localhost' })
    app = await startSampleApp()
    const port = new URL(app.url).port
    const run = await readyRun(em)
    expect((await viaProxy(em.proxyUrl, `http://127.0.0.1:${port}/api/products`)).status).toBe(200)
    expect((await viaProxy(em.proxyUrl, `http://localhost:${port}/api/products/1`)).status).toBe(200)
    const done = await stopAndWait(em, run.id)
    expect(done).toMatchObject({ state: 'passed', baseline_count: 1, domains: [`localhost:${port}`] })
  })

  it('ends with technical failures, not a pass, when the target is down', async () => {
    em = await startEmulator({ nodes: 'real' })
    const run = await readyRun(em)
    const dying = await startOneShotTarget()
    expect((await viaProxy(em.proxyUrl, `${dying}/api/search?q=tea`)).body).toBe('ok')
    const done = await stopAndWait(em, run.id)
    expect(done).toMatchObject({
      state: 'passed',
      baseline_check_tech_fail_count: 1,
      baseline_check_passed_count: 0,
      vulns: []
    })
  })

  it('does not record a request its target never answered', async () => {
    em = await startEmulator({ nodes: 'real' })
    app = await startSampleApp()
    const dead = app.url
    await app.close()
    app = undefined
    const run = await readyRun(em)
    expect((await viaProxy(em.proxyUrl, `${dead}/api/products`)).status).toBe(502)
    expect((await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body.baseline_count).toBe(0)
  })

  it('counts duplicates without testing them again, and says so in its log', async () => {
    const log: string[] = []
    em = await startEmulator({ nodes: 'real', nodeLog: (_t, line) => log.push(line) })
    app = await startSampleApp()
    const run = await readyRun(em)
    for (let i = 0; i < 3; i++) await viaProxy(em.proxyUrl, `${app.url}/api/products`)
    const done = await stopAndWait(em, run.id)
    expect(done).toMatchObject({ baseline_count: 3, baseline_check_all_terminated_count: 1 })
    // How many were skipped, and why, is the emulator's own figure: the API has no field for it (§2.T).
    const skipped = skippedBaselines(
      (await api(em, 'GET', '/__emulator/state', { token: null })).json.body,
      run.id
    )
    expect(skipped).toEqual({ duplicate: 2, excluded: 0 })
    expect(countersAddUp(done, skipped)).toBe(true)
    await waitFor(() => log.includes('[info] The baseline #2 is duplicated and already was processed'))
  })

  it('sends at most rps test requests in any second', async () => {
    em = await startEmulator({ nodes: 'real' })
    app = await startSampleApp()
    const times: number[] = []
    app.server.prependListener('request', () => times.push(Date.now()))
    const run = await readyRun(em, { rps: 5 })
    await viaProxy(em.proxyUrl, `${app.url}/api/echo?text=a`)
    await stopAndWait(em, run.id)
    expect(times.length).toBe(1 + 9) // the test's request; the node's replay and 8 attacks on one parameter
    const node = times.slice(1)
    // One more than rps for the jitter of arrival on a busy machine.
    for (const t of node) expect(node.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(6)
  })

  it('tunnels CONNECT without recording it', async () => {
    em = await startEmulator({ nodes: 'real' })
    app = await startSampleApp()
    const run = await readyRun(em)
    const { port } = new URL(app.url)
    const proxy = new URL(em.proxyUrl)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(proxy.port), proxy.hostname, () => {
        socket.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
        socket.once('data', () => {
          let text = ''
          socket.on('data', (c: Buffer) => (text += c.toString()))
          socket.on('end', () => resolve(text))
          socket.write('GET /api/products HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n')
        })
      })
      socket.on('error', reject)
    })
    expect(answer).toContain('Teapot')
    expect((await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body.baseline_count).toBe(0)
  })

  it('REVERSE_PROXY with BACKEND: plain requests go to the backend and are recorded', async () => {
    em = await startEmulator({ nodes: 'cloud-only' })
    app = await startSampleApp()
    const config = nodeConfigFromEnv(
      {
        WALLARM_API_TOKEN: A,
        WALLARM_API_HOST: new URL(em.apiUrl).host,
        WALLARM_API_USE_SSL: 'false',
        REVERSE_PROXY: 'true',
        BACKEND: app.url
      },
      { proxyPort: 0 }
    )
    const node = await startNode(config, { log: () => undefined })
    try {
      const run = await readyRun(em)
      const answer = await fetch(`${node.proxyUrl}/api/products/1`)
      expect(await answer.json()).toEqual({ id: 1, name: 'Teapot', price: 18 })
      const body = (await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body
      expect(body).toMatchObject({ baseline_count: 1, domains: [new URL(app.url).host] })
    } finally {
      await node.close()
    }
  })

  it('a second node on the same token aborts the first one’s run (spec §4.3)', async () => {
    em = await startEmulator({ nodes: 'real' })
    const run = await readyRun(em)
    const config = nodeConfigFromEnv(
      { WALLARM_API_TOKEN: A, WALLARM_API_HOST: new URL(em.apiUrl).host, WALLARM_API_USE_SSL: 'false' },
      { proxyPort: 0 }
    )
    const second = await startNode(config, { log: () => undefined })
    try {
      expect((await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body.state).toBe('interrupted')
    } finally {
      await second.close()
    }
  })

  it('logs access denied and does not start for a token its cloud rejects', async () => {
    em = await startEmulator({ nodes: 'real' })
    const log: string[] = []
    const config = nodeConfigFromEnv(
      {
        WALLARM_API_TOKEN: 'not-a-token',
        WALLARM_API_HOST: new URL(em.apiUrl).host,
        WALLARM_API_USE_SSL: 'false'
      },
      { proxyPort: 0 }
    )
    await expect(startNode(config, { log: (l) => log.push(l) })).rejects.toBeInstanceOf(NodeAccessDenied)
    expect(log).toEqual(["[error] Can't create new instance - access denied"])
  })

  it('names the variable, the value and what is allowed for a bad configuration', () => {
    expect(() => nodeConfigFromEnv({})).toThrow(/WALLARM_API_TOKEN is required/)
    expect(() => nodeConfigFromEnv({ WALLARM_API_TOKEN: 't', WALLARM_API_USE_SSL: 'maybe' })).toThrow(
      'WALLARM_API_USE_SSL must be true or false, got "maybe"'
    )
    expect(() => nodeConfigFromEnv({ WALLARM_API_TOKEN: 't', PROXY_PORT: '99999' })).toThrow(
      /PROXY_PORT must be a port/
    )
    expect(() => nodeConfigFromEnv({ WALLARM_API_TOKEN: 't', ALLOWED_HOSTS: '(app' })).toThrow(
      /ALLOWED_HOSTS "\(app" is not valid: .*; use host names/
    )
  })
})
