/**
 * The HTTP side of the emulated Wallarm cloud API (spec §1, §2), plus the emulator's control endpoints
 * under `/__emulator/`.
 *
 * API routes (token header `X-WallarmAPI-Token`, any casing; bodies JSON or form-encoded, spec §1.3):
 *   POST /v1/test_run                         E1 create / E2 copy (with test_record_id)
 *   GET  /v1/test_run/{id}                    E3
 *   POST /v1/test_run/{id}/action/stop        E4 (GET accepted too: the docs' curl example uses GET)
 *   POST /v1/test_record/{id}/action/stop     E5
 *   POST /v1/objects/vuln                     E7
 *   POST /v1/user                             E8 (minimal: clientid and frontend_url)
 * Every answer is the envelope `{"status":<http status>,"body":...}` (spec §1.4, §1.5).
 *
 * Control routes (no token, not recorded in `requests`):
 *   GET    /__emulator/state                  the whole model
 *   GET    /__emulator/requests               the request log;  DELETE clears it
 *   GET    /__emulator/faults                 pending faults;   POST adds one (JSON Fault); DELETE clears
 *   POST   /__emulator/runs/{id}/pause|resume|interrupt   console actions (spec §E6)
 *   POST   /__emulator/vulns/{id}/status      the console's triage: {"status":"falsepositive"|"closed"|"active"}
 *
 * The node link (a real node process, emulator/node/, talking to its cloud; token header as above, not
 * recorded in `requests`, never faulted). Wallarm's own node protocol is not public: this one is ours,
 * and kept off the documented paths.
 *   POST   /__node/v1/hello                  a node process starts: {session} → {node_id}
 *   GET    /__node/v1/work                   the node's current run and its checks (picks the run up)
 *   POST   /__node/v1/baseline               a proxied request to record: {method,url,headers,body}
 *   POST   /__node/v1/report                 {run_id, events: CheckEvent[]}
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { FaultRegistry, faultFromJson, faultToJson } from './faults.js'
import type { FastModel } from './cloud/model.js'
import { FastApiError, type CheckEvent } from './cloud/types.js'
import { VULN_STATUSES, isVulnStatus } from './cloud/params.js'

export interface RecordedApiRequest {
  method: string
  /** The path without the query string. */
  path: string
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** Parsed JSON or form body (form fields as an object), the raw text if unparseable, null if empty. */
  body: unknown
  /** The HTTP status answered; 0 when the fault reset the connection. */
  status: number
  /** Clock time (ms) when the request arrived. */
  at: number
}

export interface ApiContext {
  model: FastModel
  faults: FaultRegistry
  requests: RecordedApiRequest[]
  /** The console base URL answered by E8. */
  frontendUrl: string
  /**
   * Answer `POST /v1/test_run/{id}/action/stop` (E4) with this status instead of stopping, as a cloud
   * where only the record stop (E5) works would (spec §6.1 Q2). Unset: E4 works.
   */
  refuseTestRunStop?: 404 | 405
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

export function createApiHandler(ctx: ApiContext): Handler {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, String(err instanceof Error ? err.message : err))
      else res.destroy()
    })
  }
}

async function handle(ctx: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase()
  const url = new URL(req.url ?? '/', 'http://emulator.invalid')
  const path = url.pathname
  const raw = await readBody(req)

  if (path.startsWith('/__emulator/')) {
    control(ctx, method, path, raw, res)
    return
  }
  if (path.startsWith('/__node/')) {
    nodeLink(ctx, method, path, raw, tokenOf(req), res)
    return
  }

  const parsed = parseBody(raw, req.headers['content-type'])
  const entry: RecordedApiRequest = {
    method,
    path,
    headers: flattenHeaders(req.headers),
    body: parsed.ok ? parsed.value : raw.length > 0 ? raw : null,
    status: 0,
    at: ctx.model.clock()
  }
  ctx.requests.push(entry)

  const fault = ctx.faults.take(method, path)
  if (fault) {
    if (fault.delayMs !== undefined && fault.delayMs > 0) await sleep(fault.delayMs)
    if (fault.hang) {
      // Accepted, never answered: the socket is destroyed only when the client gives up or we close.
      entry.status = 0
      return
    }
    if (fault.trickleMs !== undefined) {
      entry.status = 200
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{')
      const timer = setInterval(() => res.write(' '), fault.trickleMs)
      res.on('close', () => clearInterval(timer))
      return
    }
    if (fault.reset) {
      entry.status = 0
      req.socket.destroy()
      return
    }
    if (fault.malformed) {
      entry.status = 200
      const text = '{"status":200,"body":{"id":5'
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    if (fault.status !== undefined || fault.retryAfter !== undefined) {
      const status = fault.status ?? 429
      entry.status = status
      const text = fault.body ?? JSON.stringify({ status, body: defaultReason(status) })
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text)
      }
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter
      res.writeHead(status, headers)
      res.end(text)
      return
    }
  }

  let status: number
  let body: unknown
  try {
    if (!parsed.ok) throw new FastApiError(400, 'Invalid request body')
    body = route(ctx, method, path, parsed.value, tokenOf(req))
    status = 200
  } catch (err) {
    if (!(err instanceof FastApiError)) throw err
    status = err.status
    body = err.body
  }
  entry.status = status
  send(res, status, body)
}

function route(
  ctx: ApiContext,
  method: string,
  path: string,
  body: Record<string, unknown>,
  token?: string
): unknown {
  const m = ctx.model
  let match: RegExpExecArray | null
  if (/^\/v1\/test_run\/?$/.test(path)) {
    allow(method, ['POST'])
    return m.postTestRun(token, body)
  }
  if ((match = /^\/v1\/test_run\/(\d+)\/?$/.exec(path))) {
    allow(method, ['GET'])
    return m.getTestRun(token, Number(match[1]))
  }
  if ((match = /^\/v1\/test_run\/(\d+)\/action\/stop\/?$/.exec(path))) {
    // Spec §E4: POST per the table and prose, GET per the docs' curl example; both accepted.
    allow(method, ['POST', 'GET'])
    if (ctx.refuseTestRunStop === 405) throw new FastApiError(405, 'Method not allowed')
    if (ctx.refuseTestRunStop === 404) throw new FastApiError(404, 'Not found')
    return m.stopRecording(token, Number(match[1]))
  }
  if ((match = /^\/v1\/test_record\/(\d+)\/action\/stop\/?$/.exec(path))) {
    allow(method, ['POST'])
    return m.stopRecordingByRecord(token, Number(match[1]))
  }
  if (/^\/v1\/objects\/vuln\/?$/.test(path)) {
    allow(method, ['POST'])
    return m.listVulnsAs(token, body)
  }
  if (/^\/v1\/user\/?$/.test(path)) {
    allow(method, ['POST'])
    return { ...m.account(token), clientid: 42, client_id: 42, frontend_url: ctx.frontendUrl }
  }
  throw new FastApiError(404, 'Not found')
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw new FastApiError(405, 'Method not allowed')
}

function control(ctx: ApiContext, method: string, path: string, raw: string, res: ServerResponse): void {
  try {
    let match: RegExpExecArray | null
    if (path === '/__emulator/state' && method === 'GET') return send(res, 200, ctx.model.dump())
    if (path === '/__emulator/requests') {
      if (method === 'GET') return send(res, 200, ctx.requests)
      if (method === 'DELETE') {
        ctx.requests.length = 0
        return send(res, 200, [])
      }
    }
    if (path === '/__emulator/faults') {
      if (method === 'GET')
        return send(
          res,
          200,
          ctx.faults.pending().map((f) => faultToJson(f.fault))
        )
      if (method === 'DELETE') {
        ctx.faults.clear()
        return send(res, 200, [])
      }
      if (method === 'POST') {
        let fault
        try {
          fault = faultFromJson(JSON.parse(raw))
        } catch (err) {
          throw new FastApiError(400, err instanceof Error ? err.message : String(err))
        }
        ctx.faults.add(fault)
        return send(res, 200, faultToJson(fault))
      }
    }
    if ((match = /^\/__emulator\/vulns\/(\d+)\/status$/.exec(path)) && method === 'POST') {
      let status: unknown
      try {
        status = (JSON.parse(raw || '{}') as { status?: unknown }).status
      } catch {
        status = undefined
      }
      if (!isVulnStatus(status)) {
        throw new FastApiError(400, `expected {"status": one of ${VULN_STATUSES.join(', ')}}`)
      }
      return send(res, 200, ctx.model.setVulnStatus(Number(match[1]), status))
    }
    if ((match = /^\/__emulator\/runs\/(\d+)\/(pause|resume|interrupt)$/.exec(path)) && method === 'POST') {
      const id = Number(match[1])
      const action = match[2]
      const run =
        action === 'pause'
          ? ctx.model.pause(id)
          : action === 'resume'
            ? ctx.model.resume(id)
            : ctx.model.interrupt(id)
      return send(res, 200, run)
    }
    throw new FastApiError(404, 'Not found')
  } catch (err) {
    if (!(err instanceof FastApiError)) throw err
    send(res, err.status, err.body)
  }
}

function nodeLink(
  ctx: ApiContext,
  method: string,
  path: string,
  raw: string,
  token: string | undefined,
  res: ServerResponse
): void {
  try {
    const parsed = parseBody(raw, 'application/json')
    if (!parsed.ok) throw new FastApiError(400, 'Invalid request body')
    const body = parsed.value
    const m = ctx.model
    if (path === '/__node/v1/hello' && method === 'POST') {
      return send(res, 200, m.nodeHello(token, typeof body.session === 'string' ? body.session : ''))
    }
    if (path === '/__node/v1/work' && method === 'GET') return send(res, 200, m.nodeWork(token))
    if (path === '/__node/v1/baseline' && method === 'POST') {
      const headers = (body.headers ?? {}) as Record<string, string>
      return send(
        res,
        200,
        m.recordBaseline(m.authenticate(token).token, {
          method: typeof body.method === 'string' ? body.method : 'GET',
          url: typeof body.url === 'string' ? body.url : '',
          headers,
          body: typeof body.body === 'string' ? body.body : ''
        })
      )
    }
    if (path === '/__node/v1/report' && method === 'POST') {
      const events = Array.isArray(body.events) ? (body.events as CheckEvent[]) : []
      return send(res, 200, m.nodeReport(token, Number(body.run_id), events))
    }
    throw new FastApiError(404, 'Not found')
  } catch (err) {
    if (!(err instanceof FastApiError)) throw err
    send(res, err.status, err.body)
  }
}

// ---------------------------------------------------------------------------------------------------

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify({ status, body })
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function defaultReason(status: number): string {
  if (status === 429) return 'Rate limiting'
  if (status === 401 || status === 403) return 'User not authenticated'
  if (status === 404) return 'Not found'
  if (status >= 500) return 'Timed out connecting to server'
  return 'Error'
}

function tokenOf(req: IncomingMessage): string | undefined {
  // Node lower-cases header names, so X-WallarmAPI-Token, X-WallarmApi-Token, ... all arrive here.
  const value = req.headers['x-wallarmapi-token']
  const token = Array.isArray(value) ? value[0] : value
  return token === undefined ? undefined : token.trim()
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false }

/**
 * JSON, or `application/x-www-form-urlencoded` (what Wallarm's Ruby example sends, spec §1.3), with
 * Rails-style nested keys (`filter[testrun_id][]=5080`). An empty body is `{}`.
 */
export function parseBody(raw: string, contentType: string | undefined): Parsed {
  if (raw.trim() === '') return { ok: true, value: {} }
  const type = (contentType ?? '').toLowerCase()
  if (type.includes('application/x-www-form-urlencoded')) return { ok: true, value: parseForm(raw) }
  try {
    const value: unknown = JSON.parse(raw)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return { ok: true, value: value as Record<string, unknown> }
    }
    return { ok: false }
  } catch {
    return { ok: false }
  }
}

export function parseForm(raw: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of new URLSearchParams(raw)) {
    const parts = key.split('[').map((p, i) => (i === 0 ? p : p.replace(/\]$/, '')))
    let cursor: Record<string, unknown> = out
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      const last = i === parts.length - 1
      const nextIsArray = parts[i + 1] === ''
      if (last) {
        cursor[part] = value
        break
      }
      if (nextIsArray && i + 1 === parts.length - 1) {
        const existing = cursor[part]
        const list = Array.isArray(existing) ? existing : []
        list.push(value)
        cursor[part] = list
        break
      }
      const existing = cursor[part]
      const child: Record<string, unknown> =
        typeof existing === 'object' && existing !== null && !Array.isArray(existing)
          ? (existing as Record<string, unknown>)
          : {}
      cursor[part] = child
      cursor = child
    }
  }
  return out
}
