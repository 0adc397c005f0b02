/**
 * The recording hop: a small forward proxy (HTTP and CONNECT) that the test command uses as its proxy.
 * It passes every request on to the FAST node (itself a forward proxy) unchanged, and notes what went
 * by — method, host, path, the answer's status — so the step can say what the tests sent and why
 * nothing was recorded. The node's log would tell less (and in a format that is not documented), so
 * the hop is the one place that sees the tests' traffic as the tests sent it.
 *
 * It listens on loopback only. Bodies are streamed, never buffered; upstream connections are kept alive.
 * Inside a CONNECT tunnel it sees only the host: HTTPS paths are the node's to see.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { SeenRequest } from './traffic.js'

export interface RecordingHop {
  /** `http://127.0.0.1:<port>`: the proxy address the test command is given. */
  url: string
  port: number
  /** What went through, in order of the answers. */
  readonly requests: readonly SeenRequest[]
  close(): Promise<void>
}

export interface HopOptions {
  /** The FAST node's proxy, e.g. `http://127.0.0.1:8080`. */
  upstream: string
  /** Port to listen on; 0 (default) takes a free one. */
  port?: number
}

/** Connection-level headers, which belong to one hop and are not passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'])

export async function startHop(options: HopOptions): Promise<RecordingHop> {
  const upstream = new URL(options.upstream)
  const upstreamHost = upstream.hostname.replace(/^\[|\]$/g, '')
  const upstreamPort = upstream.port === '' ? 80 : Number(upstream.port)
  const agent = new http.Agent({ keepAlive: true })
  const requests: SeenRequest[] = []
  const sockets = new Set<Duplex>()

  const server = http.createServer((req, res) => forward(req, res))
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => tunnel(req, client, head))
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  function forward(req: IncomingMessage, res: ServerResponse): void {
    let target: URL
    try {
      target = new URL(req.url ?? '')
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http')
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end(
        'This is the FAST node proxy: send requests to the application through it (HTTP_PROXY), not to it.\n'
      )
      return
    }
    const seen = (status: number | undefined): void => {
      requests.push({ method: req.method ?? 'GET', host: hostOf(target), path: target.pathname, status })
    }
    const headers: http.OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
    }
    const up = http.request(
      { host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        seen(answer.statusCode)
        const out: http.OutgoingHttpHeaders = {}
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
        }
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out)
        answer.pipe(res)
        answer.on('error', () => res.destroy())
      }
    )
    up.on('error', (err) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      seen(undefined)
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`The FAST node at ${upstream.host} did not answer: ${err.message}\n`)
    })
    req.pipe(up)
  }

  function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const authority = req.url ?? ''
    let host = authority
    try {
      host = hostOf(new URL(`http://${authority}`))
    } catch {
      // Keep the authority as given: it is only counted.
    }
    const seen = (status: number | undefined): void => {
      requests.push({ method: 'CONNECT', host, path: '', status })
    }
    client.on('error', () => undefined)
    const up = http.request({
      host: upstreamHost,
      port: upstreamPort,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...pick(req.headers, 'proxy-authorization') }
    })
    up.on('connect', (answer: IncomingMessage, upSocket: net.Socket, upHead: Buffer) => {
      seen(answer.statusCode)
      client.write(`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ''}\r\n\r\n`)
      if (answer.statusCode !== 200) {
        upSocket.destroy()
        client.end()
        return
      }
      sockets.add(upSocket)
      upSocket.once('close', () => sockets.delete(upSocket))
      upSocket.on('error', () => client.destroy())
      client.on('error', () => upSocket.destroy())
      if (upHead.length > 0) client.write(upHead)
      if (head.length > 0) upSocket.write(head)
      upSocket.pipe(client)
      client.pipe(upSocket)
    })
    up.on('error', () => {
      seen(undefined)
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    })
    up.end()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closed: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
        agent.destroy()
      }))
  }
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
}

function pick(headers: http.IncomingHttpHeaders, name: string): Record<string, string> {
  const value = headers[name]
  return typeof value === 'string' ? { [name]: value } : {}
}
