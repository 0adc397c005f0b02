import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { api, rawViaProxy, startTarget, UNNORMALISED, viaProxy, waitFor, type Target } from './helpers.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'

const A = 'fast-token-a'
const B = 'fast-token-b'

let em: Emulator | undefined
let target: Target | undefined

afterEach(async () => {
  await em?.close()
  await target?.close()
  em = undefined
  target = undefined
})

async function readyRun(e: Emulator, token: string, name = 'x') {
  const run = (await api(e, 'POST', '/v1/test_run', { token, body: { name } })).json.body as {
    id: number
    test_record_id: number
  }
  await waitFor(
    async () =>
      (await api(e, 'GET', `/v1/test_run/${run.id}`, { token })).json.body.ready_for_recording as boolean
  )
  return run
}

describe('the node proxy', () => {
  it('forwards method, headers and body to the target and streams its answer back', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    target = await startTarget()
    const r = await viaProxy(em.proxyUrl, `${target.url}/items?x=1`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json', 'x-custom': 'v' }
    })
    expect(r.status).toBe(201)
    expect(r.headers['x-target']).toBe('yes')
    expect(JSON.parse(r.body)).toEqual({ ok: true, path: '/items?x=1', echo: '{"a":1}' })
    expect(target.received[0]).toMatchObject({ method: 'POST', url: '/items?x=1', body: '{"a":1}' })
    expect(target.received[0]!.headers['x-custom']).toBe('v')
    expect(target.received[0]!.headers.host).toBe(new URL(target.url).host)
  })

  it('records baselines (method, URL, headers, body) into the run of its node', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    target = await startTarget()
    const run = await readyRun(em, A)
    await viaProxy(em.proxyUrl, `${target.url}/login`, {
      method: 'POST',
      body: 'user=a',
      headers: { 'x-h': '1' }
    })
    const state = em.model.dump() as {
      records: { id: number; baselines: { method: string; url: string }[] }[]
    }
    const record = state.records.find((r) => r.id === run.test_record_id)!
    expect(record.baselines).toEqual([
      { id: expect.any(Number), seq: 1, method: 'POST', url: `${target.url}/login` }
    ])
    expect((await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body.baseline_count).toBe(1)
  })

  it('records and forwards the path and query byte for byte, as the real node (nginx) does', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    target = await startTarget()
    const run = await readyRun(em, A)
    const host = new URL(target.url).host
    const answer = await rawViaProxy(em.proxyUrl, `${target.url}${UNNORMALISED}`, host)
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(target.received.map((r) => `${r.method} ${r.url}`)).toEqual([`GET ${UNNORMALISED}`])
    expect(target.received[0]!.headers.host).toBe(host)
    const state = em.model.dump() as { records: { id: number; baselines: { url: string }[] }[] }
    const record = state.records.find((r) => r.id === run.test_record_id)!
    expect(record.baselines.map((b) => b.url)).toEqual([`${target.url}${UNNORMALISED}`])
  })

  it('selects the node by proxy user name or X-Emulator-Node; 407 for an unknown token', async () => {
    em = await startEmulator({ tokens: [A, B], timeScale: 0.01 })
    target = await startTarget()
    const runA = await readyRun(em, A)
    const runB = await readyRun(em, B)
    expect(em.proxyUrls[B]).toBe(em.proxyUrl.replace('http://', `http://${B}@`))
    await viaProxy(em.proxyUrls[B]!, `${target.url}/b1`)
    await viaProxy(em.proxyUrl, `${target.url}/b2`, { headers: { 'X-Emulator-Node': B } })
    await viaProxy(em.proxyUrl, `${target.url}/a1`)
    expect((await api(em, 'GET', `/v1/test_run/${runB.id}`, { token: B })).json.body.baseline_count).toBe(2)
    expect((await api(em, 'GET', `/v1/test_run/${runA.id}`)).json.body.baseline_count).toBe(1)
    // The selector headers are not forwarded to the target.
    expect(target.received.every((r) => !('x-emulator-node' in r.headers))).toBe(true)
    expect(target.received.every((r) => !('proxy-authorization' in r.headers))).toBe(true)
    const unknown = await viaProxy(em.proxyUrl, `${target.url}/x`, { headers: { 'X-Emulator-Node': 'nope' } })
    expect(unknown.status).toBe(407)
  })

  it('proxies without recording after recording stopped', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    target = await startTarget()
    const run = await readyRun(em, A)
    await api(em, 'POST', `/v1/test_run/${run.id}/action/stop`)
    const r = await viaProxy(em.proxyUrl, `${target.url}/after`)
    expect(r.status).toBe(200)
    expect((await api(em, 'GET', `/v1/test_run/${run.id}`)).json.body.baseline_count).toBe(0)
  })

  it('answers 502 when the target is unreachable', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const r = await viaProxy(em.proxyUrl, `http://127.0.0.1:${port}/x`)
    expect(r.status).toBe(502)
  })

  it('answers 400 to origin-form requests and 501 to CONNECT', async () => {
    em = await startEmulator({ timeScale: 0.01 })
    const proxy = new URL(em.proxyUrl)
    const origin = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: proxy.hostname, port: Number(proxy.port), path: '/x', agent: false }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        .on('error', reject)
    })
    expect(origin).toBe(400)
    const connect = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: Number(proxy.port),
        method: 'CONNECT',
        path: 'example.com:443',
        agent: false
      })
      req.on('connect', (res, socket) => {
        socket.destroy()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(connect).toBe(501)
  })
})
