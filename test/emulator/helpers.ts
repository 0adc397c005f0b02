/** Helpers shared by the emulator's tests: HTTP calls to the API, requests through the proxy, a target. */
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import type { Emulator } from '../../emulator/index.js'

export interface ApiAnswer {
  httpStatus: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  json: any
  text: string
}

export async function api(
  em: Pick<Emulator, 'apiUrl'>,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; form?: string; headerName?: string } = {}
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = options.token === undefined ? 'fast-token-a' : options.token
  if (token !== null) headers[options.headerName ?? 'X-WallarmAPI-Token'] = token
  let body: string | undefined
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = options.form
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  const res = await fetch(`${em.apiUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { httpStatus: res.status, headers: res.headers, json, text }
}

export interface ProxyAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** A request through the emulated node's proxy: absolute-form target URL sent to the proxy port. */
export function viaProxy(
  proxyUrl: string,
  targetUrl: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {}
): Promise<ProxyAnswer> {
  const proxy = new URL(proxyUrl)
  const headers: Record<string, string> = { ...options.headers }
  if (proxy.username !== '') {
    headers['proxy-authorization'] =
      'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:`).toString('base64')
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: Number(proxy.port),
        method: options.method ?? 'GET',
        path: targetUrl,
        headers,
        agent: false
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString()
          })
        )
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * A target the way curl or a raw client sends it, never through `URL` or `http.request`: the request line
 * `GET <target> HTTP/1.1` written byte for byte to the proxy's socket. Resolves with the whole answer.
 */
export function rawViaProxy(proxyUrl: string, target: string, host: string): Promise<string> {
  const proxy = new URL(proxyUrl)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(proxy.port), proxy.hostname, () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    )
    let text = ''
    socket.on('data', (c: Buffer) => (text += c.toString()))
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
  })
}

/** A target `URL` would rewrite (to `/admin?x={id}&q=%27%2e%2e\`), and nginx, the real node, passes on as is. */
export const UNNORMALISED = "/static/../admin?x={id}&q='%2e%2e\\"

export interface Target {
  url: string
  received: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[]
  close(): Promise<void>
}

/** A tiny app under test: answers 200 `{"ok":true,"path":...}`, and 201 with the body echoed for POST. */
export async function startTarget(): Promise<Target> {
  const received: Target['received'] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const status = req.method === 'POST' ? 201 : 200
      res.writeHead(status, { 'content-type': 'application/json', 'x-target': 'yes' })
      res.end(JSON.stringify({ ok: true, path: req.url, echo: body }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** Polls `fn` until it returns a truthy value (returned), or throws after `timeoutMs` real ms. */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
  everyMs = 5
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** A run's skipped baselines, by cause: the emulator's own figures, which the API does not give (§2.T). */
export interface SkippedBaselines {
  duplicate: number
  excluded: number
}

/** The skipped baselines of run `id` in a state dump (`FastModel.dump()`, `GET /__emulator/state`). */
export function skippedBaselines(state: unknown, id: number): SkippedBaselines {
  const runs = (state as { runs: { id: number; skipped_baselines: SkippedBaselines }[] }).runs
  const run = runs.find((r) => r.id === id)
  if (!run) throw new Error(`run ${id} is not in the state dump`)
  return run.skipped_baselines
}

/**
 * The counter identities of spec §2.T, with the run's skipped baselines (which the API counts in
 * baseline_count and in no check counter) taken from the emulator's state.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test-run body as JSON
export function countersAddUp(run: any, skipped: SkippedBaselines): boolean {
  const terminated =
    run.baseline_check_passed_count +
    run.baseline_check_fail_count +
    run.baseline_check_tech_fail_count +
    run.baseline_check_interrupted_count
  return (
    run.baseline_check_all_terminated_count === terminated &&
    run.baseline_count ===
      terminated +
        run.baseline_check_running_count +
        run.baseline_check_waiting_count +
        skipped.duplicate +
        skipped.excluded
  )
}

/**
 * A target that answers its first request (200, `ok`) and is gone before anyone can send another: a
 * baseline recorded through the node, then a dead target for the node's test requests.
 */
export async function startOneShotTarget(): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.end('ok')
    server.close()
    server.closeAllConnections()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
