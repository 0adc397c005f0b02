/**
 * What every emulated FAST node's proxy does with a request, whoever records it: read it, forward it
 * to its target and stream the answer back (502 when the target is unreachable), or tunnel a CONNECT.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { RequestTarget } from './request-target.js'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-emulator-node'
])

/** A proxied request, read whole: what a baseline is made of. */
export interface ProxiedRequest {
  method: string
  /** The path and query as the client sent them (./request-target.ts): recorded and sent on as such. */
  target: RequestTarget
  /** End-to-end headers only, `host` set to the target's, `content-length` to the body's. */
  headers: Record<string, string>
  body: Buffer
}

export async function readProxied(req: IncomingMessage, target: RequestTarget): Promise<ProxiedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v
  }
  headers.host = target.host
  if (body.length > 0 || 'content-length' in req.headers) headers['content-length'] = String(body.length)
  else delete headers['content-length']
  return { method: req.method ?? 'GET', target, headers, body }
}

/**
 * Sends the request to its target and streams the answer into `res`. Resolves when done. `answered`
 * runs (and is awaited) once the target has answered, before the answer is passed on: a request the
 * target never answered is no baseline.
 */
export function forward(
  p: ProxiedRequest,
  res: ServerResponse,
  answered?: () => Promise<void>
): Promise<void> {
  return new Promise<void>((resolve) => {
    const upstream = http.request(
      {
        host: p.target.hostname,
        port: p.target.port,
        method: p.method,
        path: p.target.path,
        headers: p.headers,
        agent: false
      },
      (up) => {
        const out: Record<string, string | string[]> = {}
        for (const [k, v] of Object.entries(up.headers)) {
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v
        }
        up.pause()
        // A client that went away mid-answer: nginx closes its connection to the target
        // (proxy_ignore_client_abort off), rather than leave it open and paused.
        res.once('close', () => {
          if (!res.writableFinished) upstream.destroy()
        })
        void (answered ?? (() => Promise.resolve()))().finally(() => {
          res.writeHead(up.statusCode ?? 502, up.statusMessage, out)
          up.pipe(res)
          up.on('end', resolve)
          up.on('error', () => {
            res.destroy()
            resolve()
          })
        })
      }
    )
    upstream.on('error', (err) => {
      if (!res.headersSent) plain(res, 502, `Bad gateway: ${err.message}`)
      else res.destroy()
      resolve()
    })
    upstream.end(p.body)
  })
}

/**
 * `CONNECT host:port`: a plain TCP tunnel. The real node intercepts TLS with its own CA (spec §4.1) and
 * records what it decrypts; the emulated one only tunnels, so nothing inside a tunnel is recorded.
 */
export function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '')
  if (!m) {
    client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    return
  }
  const upstream = net.connect(Number(m[2]), m[1], () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length > 0) upstream.write(head)
    splice(client, upstream)
  })
  const early = (): void => void upstream.destroy()
  client.once('close', early)
  upstream.once('connect', () => client.off('close', early))
  upstream.on('error', () => {
    if (client.writable)
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  client.on('error', () => upstream.destroy())
}

/**
 * Joins the two ends of a tunnel as nginx's tunnel does: once either end closes, the other is closed
 * too, after what was already read from the closing end is written on; no socket is left half-open, or
 * paused after its partner went away (as `pipe` leaves its source). A peer that does not read its last
 * bytes is dropped after LINGER_MS.
 */
function splice(a: Duplex, b: Duplex): void {
  let closing = false
  const drop = (): void => {
    a.destroy()
    b.destroy()
  }
  const close = (): void => {
    if (closing) return
    closing = true
    for (const socket of [a, b]) {
      socket.once('finish', () => socket.destroy())
      socket.end()
    }
    setTimeout(drop, LINGER_MS).unref()
  }
  for (const [from, to] of [
    [a, b],
    [b, a]
  ] as const) {
    from.pipe(to, { end: false })
    from.on('end', close)
    from.on('error', drop)
    from.once('close', () => {
      if (!closing) drop()
    })
  }
}

const LINGER_MS = 10_000

export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
