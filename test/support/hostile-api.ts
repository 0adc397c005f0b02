/**
 * A hostile stand-in of the Wallarm API (`node:http` on 127.0.0.1, a free port): it answers whatever a
 * test scripts, route by route — JSON or raw text, a connection that never answers, a body that trickles
 * forever, a huge body — and records every request. For attack tests of the bundled action; the
 * well-behaved API is the emulator's job.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Reply =
  /** JSON (an object is sent as it is, a string as raw text), with a status (default 200). */
  | { json: unknown; status?: number; headers?: Record<string, string> }
  | { text: string; status?: number; headers?: Record<string, string> }
  /** Takes the request and never answers. */
  | { hang: true }
  /** Sends the status and headers, then `chunk` every `everyMs`, forever. */
  | { trickle: string; everyMs: number; status?: number }
  /** A body of `bytes` bytes, sent in chunks of `chunkBytes` (default 16 KiB). */
  | { huge: number; chunkBytes?: number; status?: number }

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  body: string
}

type Responder = (req: RecordedRequest, n: number) => Reply

interface Route {
  method: string
  path: RegExp
  respond: Responder
  count: number
}

export class HostileApi {
  readonly requests: RecordedRequest[] = []
  private routes: Route[] = []
  private server: Server | undefined
  private timers = new Set<NodeJS.Timeout>()
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Scripts `method path`: `reply`, or what `reply(request, n)` returns for the n-th (1-based) such request. */
  on(method: string, path: RegExp, reply: Reply | Responder): this {
    const respond: Responder = typeof reply === 'function' ? reply : () => reply
    this.routes.push({ method, path, respond, count: 0 })
    return this
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8')
    }
    this.requests.push(recorded)
    const route = this.routes.find((r) => r.method === recorded.method && r.path.test(recorded.path))
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 404, body: 'not scripted' }))
      return
    }
    route.count++
    this.reply(res, route.respond(recorded, route.count))
  }

  private reply(res: ServerResponse, reply: Reply): void {
    res.on('error', () => undefined)
    if ('hang' in reply) return
    if ('trickle' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
      res.write('{')
      const timer = setInterval(() => res.write(reply.trickle), reply.everyMs)
      this.timers.add(timer)
      res.on('close', () => {
        clearInterval(timer)
        this.timers.delete(timer)
      })
      return
    }
    if ('huge' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
      const size = reply.chunkBytes ?? 16 * 1024
      const chunk = Buffer.alloc(size, 0x20)
      let sent = 0
      const pump = (): void => {
        while (sent < reply.huge) {
          sent += size
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
      return
    }
    const status = reply.status ?? 200
    const text = 'json' in reply ? JSON.stringify(reply.json) : reply.text
    res.writeHead(status, { 'content-type': 'application/json', ...reply.headers })
    res.end(text)
  }
}

/** The API's envelope around a body, as the Wallarm API sends it. */
export function envelope(body: unknown, status = 200): { json: unknown; status: number } {
  return { json: { status, body }, status }
}

/** A test run as the API sends it; `over` replaces fields. */
export function apiRun(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 5080,
    name: 'attack',
    desc: '',
    state: 'failed',
    allowed_actions: [],
    test_record_id: 9058,
    recording: false,
    ready_for_recording: false,
    vulns: [],
    baseline_count: 3,
    baseline_check_all_terminated_count: 3,
    baseline_check_fail_count: 0,
    baseline_check_tech_fail_count: 0,
    baseline_check_passed_count: 3,
    baseline_check_running_count: 0,
    baseline_check_interrupted_count: 0,
    baseline_check_waiting_count: 0,
    sended_requests_count: 30,
    planing_requests_count: 30,
    current_rps: null,
    avg_rps: null,
    estimated_time_to_completion: null,
    start_time: 1_700_000_000,
    end_time: 1_700_000_100,
    domains: ['shop.local'],
    ...over
  }
}
