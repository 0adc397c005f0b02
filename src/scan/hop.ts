/**
 * The recording hop: a small forward proxy (HTTP and CONNECT) that the test command uses as its proxy.
 * It passes every request on to the FAST node (itself a forward proxy) unchanged, and notes what went
 * by — method, host, path, the answer's status — to its caller, so the step can say what the tests sent and why
 * nothing was recorded. The node's log would tell less (and in a format that is not documented), so
 * the hop is the one place that sees the tests' traffic as the tests sent it.
 *
 * It listens on loopback only. Bodies are streamed, never buffered; upstream connections are kept alive.
 * Inside a TLS tunnel it sees only the host: HTTPS paths are the node's to see.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { SeenRequest } from './traffic.js'

export interface RecordingHop {
  /** `http://127.0.0.1:<port>`: the proxy address the test command is given. */
  url: string
  port: number
  close(): Promise<void>
}

export interface HopOptions {
  /** The FAST node's proxy, e.g. `http://127.0.0.1:8080`. */
  upstream: string
  /** Port to listen on; 0 (default) takes a free one. */
  port?: number
  /** Called for each request once its answer (or the lack of one) is known. */
  onRequest(request: SeenRequest): void
}

/** Connection-level headers, which belong to one hop and are not passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'])

/** The first byte of a TLS record carrying a handshake (a ClientHello opens every TLS connection). */
const TLS_HANDSHAKE = 0x16

export async function startHop(options: HopOptions): Promise<RecordingHop> {
  const upstream = new URL(options.upstream)
  const upstreamHost = upstream.hostname.replace(/^\[|\]$/g, '')
  const upstreamPort = upstream.port === '' ? 80 : Number(upstream.port)
  const agent = new http.Agent({ keepAlive: true })
  const sockets = new Set<Duplex>()
  /** Client sockets that carry plain HTTP inside a CONNECT tunnel, with the tunnel's authority. */
  const tunnels = new WeakMap<object, string>()

  const server = http.createServer((req, res) => forward(req, res))
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => tunnel(req, client, head))
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  function forward(req: IncomingMessage, res: ServerResponse): void {
    // Inside a plain-HTTP tunnel, requests name only the path: the tunnel names the host.
    const authority = tunnels.get(req.socket)
    const url =
      authority !== undefined && req.url?.startsWith('/') ? `http://${authority}${req.url}` : req.url
    let target: URL
    try {
      target = new URL(url ?? '')
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http')
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end(
        'This is the FAST node proxy: send requests to the application through it (HTTP_PROXY), not to it.\n'
      )
      return
    }
    const seen = (status: number | undefined): void => {
      options.onRequest({ method: req.method ?? 'GET', host: hostOf(target), path: target.pathname, status })
    }
    const headers: http.OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
    }
    const up = http.request(
      { host: upstreamHost, port: upstreamPort, method: req.method, path: target.href, headers, agent },
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

  /**
   * A CONNECT: answered at once, then the first bytes decide. A TLS handshake is tunnelled through the
   * node's own CONNECT (the node intercepts TLS with its CA). Anything else is plain HTTP inside the
   * tunnel — Node's fetch tunnels even `http://` targets when NODE_USE_ENV_PROXY is set — and is read
   * here as requests to the tunnel's authority, each passed to the node in absolute form, so that the
   * node records it (a node may not look inside a tunnel to a plain-HTTP port) and the hop sees paths.
   */
  function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const authority = req.url ?? ''
    client.on('error', () => undefined)
    client.write('HTTP/1.1 200 Connection established\r\n\r\n')
    const decide = (first: Buffer): void => {
      client.pause()
      client.unshift(first)
      if (first[0] === TLS_HANDSHAKE) tunnelTls(authority, req, client)
      else {
        tunnels.set(client, authority)
        server.emit('connection', client)
        client.resume()
      }
    }
    if (head.length > 0) decide(head)
    else client.once('data', decide)
  }

  function tunnelTls(authority: string, req: IncomingMessage, client: Duplex): void {
    let host = authority
    try {
      host = hostOf(new URL(`http://${authority}`))
    } catch {
      // Keep the authority as given: it is only counted.
    }
    const seen = (status: number | undefined): void => {
      options.onRequest({ method: 'CONNECT', host, path: '', status })
    }
    const up = http.request({
      host: upstreamHost,
      port: upstreamPort,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...pick(req.headers, 'proxy-authorization') }
    })
    up.on('connect', (answer: IncomingMessage, upSocket: net.Socket, upHead: Buffer) => {
      seen(answer.statusCode)
      if (answer.statusCode !== 200) {
        // The client was told the tunnel is open: all it can be told now is that it closed.
        upSocket.destroy()
        client.destroy()
        return
      }
      sockets.add(upSocket)
      upSocket.once('close', () => sockets.delete(upSocket))
      upSocket.on('error', () => client.destroy())
      client.on('error', () => upSocket.destroy())
      if (upHead.length > 0) client.write(upHead)
      upSocket.pipe(client)
      client.pipe(upSocket)
      client.resume()
    })
    up.on('error', () => {
      seen(undefined)
      client.destroy()
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
