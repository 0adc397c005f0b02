/**
 * The recording hop: a small forward proxy (HTTP and CONNECT) that the test command uses as its proxy.
 * It passes every request on to the FAST node (itself a forward proxy) unchanged, and notes what went
 * by — method, host, path, the answer's status — to its caller, so the step can say what the tests sent and why
 * nothing was recorded. The node's log would tell less (and in a format that is not documented), so
 * the hop is the one place that sees the tests' traffic as the tests sent it.
 *
 * Unchanged means: the request target byte for byte (never through `URL`, which would resolve
 * `/static/../admin`, decode `%2e%2e`, turn `\` into `/` and encode `'` and `{`: the node would record,
 * and attack, requests the tests never sent), the headers in their order and case, less the ones that
 * belong to one connection (RFC 9110 §7.6.1). Header sections up to MAX_HEADER_BYTES pass both ways.
 *
 * It listens on loopback only. Bodies are streamed, never buffered; upstream connections are kept alive
 * (./node-request.ts: never past a safe idle time, and a request the node's closing raced is sent again
 * when that is safe). A client that goes away aborts its request to the node; tunnels close whole
 * (./tunnel.ts). Inside a TLS tunnel it sees only the host: HTTPS paths are the node's to see.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { excludedBy, type ExcludeRule } from '../triage/exclude.js'
import { nodeAgent, requestNode } from './node-request.js'
import type { SeenRequest } from './traffic.js'
import { splice } from './tunnel.js'

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
  /**
   * Out of scope (the `exclude` input): a matching plain-HTTP request goes straight to its target, never
   * to the node, so it is neither recorded nor attacked. Inside a TLS tunnel only the host is visible, so
   * a rule cannot match there.
   */
  exclude?: readonly ExcludeRule[] | undefined
}

/** Connection-level headers, which belong to one hop and are not passed on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'])

/**
 * The largest header section passed on, either way. Node's own limit (16 KiB) is below what nginx — the
 * node, and the servers the tests usually talk to — accepts (a request line or header up to 8 KB each,
 * `large_client_header_buffers 4 8k`; answers as large as the application sends): three 6 KB cookies or a
 * 20 KB `Set-Cookie` are ordinary test traffic.
 */
export const MAX_HEADER_BYTES = 256 * 1024

/** The first byte of a TLS record carrying a handshake (a ClientHello opens every TLS connection). */
const TLS_HANDSHAKE = 0x16

/** Starts a recording hop on loopback (see the module comment) and returns once it listens. */
export async function startHop(options: HopOptions): Promise<RecordingHop> {
  const hop = new Hop(options)
  const port = await hop.listen(options.port ?? 0)
  return { url: `http://127.0.0.1:${port}`, port, close: () => hop.close() }
}

/** Notes one request once, with the answer's status (or the lack of one) when it is known. */
type Note = (status: number | undefined, incomplete?: SeenRequest['incomplete']) => void

/** A request target as the hop counts it (./requestTarget). */
type Target = NonNullable<ReturnType<typeof requestTarget>>

/**
 * The hop's server and what its handlers share: the node's address, the keep-alive agent to it, the
 * sockets to close at the end, and what is known of each client socket (a plain-HTTP tunnel's authority,
 * the request line last seen on it).
 */
class Hop {
  private readonly upstream: URL
  private readonly upstreamHost: string
  private readonly upstreamPort: number
  private readonly agent = nodeAgent()
  private readonly sockets = new Set<Duplex>()
  /** Client sockets that carry plain HTTP inside a CONNECT tunnel, with the tunnel's authority. */
  private readonly tunnels = new WeakMap<object, string>()
  /** The request line last seen on each client socket, and the listeners that note it. */
  private readonly heads = new WeakMap<object, { method: string; target: string }>()
  private readonly sniffers = new WeakMap<object, (chunk: Buffer) => void>()
  private readonly server: http.Server
  private closed: Promise<void> | undefined

  constructor(private readonly options: HopOptions) {
    this.upstream = new URL(options.upstream)
    this.upstreamHost = this.upstream.hostname.replace(/^\[|\]$/g, '')
    this.upstreamPort = this.upstream.port === '' ? 80 : Number(this.upstream.port)
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) =>
      this.forward(req, res)
    )
    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) =>
      this.tunnel(req, client, head)
    )
    server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) =>
      this.upgrade(req, client, head)
    )
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuse(err, socket))
    server.on('connection', (socket: Duplex) => this.accept(socket))
    this.server = server
  }

  /** Listens on loopback; resolves with the port. */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    return (this.server.address() as AddressInfo).port
  }

  /** Stops listening and closes every connection, both ways (once: later calls get the same promise). */
  close(): Promise<void> {
    return (this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
      this.agent.destroy()
    }))
  }

  /** A new client connection: its request lines are noted, and it is closed with the hop. */
  private accept(socket: Duplex): void {
    if (this.sniffers.has(socket)) return // a plain-HTTP tunnel's socket, handed back to the parser
    this.noteHeads(socket)
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  /** A plain-HTTP request: passed to the node (or, when excluded, straight to its target) and noted. */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    this.heads.delete(req.socket)
    // Inside a plain-HTTP tunnel, requests name only the path: the tunnel names the host.
    const url = absolute(req.url ?? '', this.tunnels.get(req.socket))
    const target = requestTarget(url)
    if (target === undefined) return notAProxyRequest(res)
    const direct =
      url.startsWith('http:') && excludedBy(this.options.exclude ?? [], req.method, target.path) !== undefined
    const seen = this.noteOnce(req.method ?? 'GET', target, direct)
    let answerStatus: number | undefined
    const up = requestNode(
      this.requestOptions(req, url, target, direct),
      req,
      (answer) => {
        answerStatus = answer.statusCode
        passAnswer(answer, res, seen)
      },
      (err) => this.noAnswer(err, res, seen)
    )
    res.once('finish', () => seen(answerStatus ?? 502))
    res.once('close', () => {
      if (res.writableFinished) return
      // The client went away before its answer was complete: nobody waits for the node's answer.
      seen(answerStatus, 'client went away')
      up.abort()
    })
  }

  /** The note of one forwarded request, given to `onRequest` the first time it is called only. */
  private noteOnce(method: string, target: Target, direct: boolean): Note {
    let noted = false
    return (status, incomplete) => {
      if (noted) return
      noted = true
      this.options.onRequest({
        method,
        host: target.host,
        path: target.path,
        status,
        ...(direct ? { excluded: true } : {}),
        ...(incomplete ? { incomplete } : {})
      })
    }
  }

  /** Where a forwarded request goes (the node, or its own target when excluded), with what headers. */
  private requestOptions(
    req: IncomingMessage,
    url: string,
    target: Target,
    direct: boolean
  ): http.RequestOptions {
    const headers = passOn(req.rawHeaders)
    if (!req.rawHeaders.some((_, i) => i % 2 === 0 && /^host$/i.test(req.rawHeaders[i]!)))
      headers.push('Host', target.authority)
    const to = direct ? new URL(url) : undefined
    return {
      host: to ? to.hostname.replace(/^\[|\]$/g, '') : this.upstreamHost,
      port: to ? Number(to.port || 80) : this.upstreamPort,
      method: req.method,
      // As the client sent it: an absolute-form target is passed on byte for byte; an excluded
      // request goes to its target in origin form (the same bytes after the authority).
      path: to ? originForm(url) : url,
      headers,
      agent: this.agent,
      maxHeaderSize: MAX_HEADER_BYTES
    }
  }

  /** No answer from the node (or one it could not read): a 502 that says which, unless the answer began. */
  private noAnswer(err: NodeJS.ErrnoException, res: ServerResponse, seen: Note): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    // An answer Node cannot parse (headers over the limit) is still an answer: the node is up.
    const unreadable = err.code?.startsWith('HPE_') === true
    seen(unreadable ? 502 : undefined)
    res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(
      unreadable
        ? `The answer through the FAST node at ${this.upstream.host} could not be read (${err.message}); ` +
            `the recording hop passes header sections up to ${MAX_HEADER_BYTES / 1024} KiB.\n`
        : `The FAST node at ${this.upstream.host} did not answer: ${err.message}\n`
    )
  }

  /**
   * A request the hop's parser refused (headers over MAX_HEADER_BYTES, a malformed request line): it
   * is answered as Node would answer it, and counted, since the tests did send it.
   */
  private refuse(err: NodeJS.ErrnoException, socket: Duplex): void {
    const head = this.heads.get(socket)
    this.heads.delete(socket)
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    if (head !== undefined) {
      const target = requestTarget(absolute(head.target, this.tunnels.get(socket)))
      if (target !== undefined)
        this.options.onRequest({
          method: head.method,
          host: target.host,
          path: target.path,
          status,
          refused: true
        })
    }
    socket.end(refusal(status, err))
  }

  /**
   * Notes the request line of each request as its first bytes arrive, for `refuse`: once the parser has
   * refused a request, Node no longer says what its method and target were.
   */
  private noteHeads(socket: Duplex): void {
    const listener = (chunk: Buffer): void => {
      const head = requestLine(chunk)
      if (head !== undefined) this.heads.set(socket, head)
    }
    // Ahead of the parser's own listener: the line is known before the parser can refuse the request.
    socket.prependListener('data', listener)
    this.sniffers.set(socket, listener)
  }

  /**
   * A CONNECT: answered at once, then the first bytes decide. A TLS handshake is tunnelled through the
   * node's own CONNECT (the node intercepts TLS with its CA). Anything else is plain HTTP inside the
   * tunnel — Node's fetch tunnels even `http://` targets when NODE_USE_ENV_PROXY is set — and is read
   * here as requests to the tunnel's authority, each passed to the node in absolute form, so that the
   * node records it (a node may not look inside a tunnel to a plain-HTTP port) and the hop sees paths.
   */
  private tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const authority = req.url ?? ''
    this.heads.delete(client)
    client.on('error', () => undefined)
    client.write('HTTP/1.1 200 Connection established\r\n\r\n')
    // A client that closes before its first byte leaves nothing to pass on, and nothing to hold.
    const gone = (): void => void client.destroy()
    client.once('end', gone)
    const decide = (first: Buffer): void => {
      client.off('end', gone)
      client.pause()
      client.unshift(first)
      if (first[0] === TLS_HANDSHAKE) this.tunnelTls(authority, req, client)
      else this.tunnelHttp(authority, client)
    }
    if (head.length > 0) decide(head)
    else client.once('data', decide)
  }

  /** Plain HTTP inside a tunnel: the socket goes back to the hop's own parser, the tunnel naming the host. */
  private tunnelHttp(authority: string, client: Duplex): void {
    this.tunnels.set(client, authority)
    this.server.emit('connection', client)
    client.resume()
  }

  /** TLS inside a tunnel: passed through the node's own CONNECT, and noted with the host only. */
  private tunnelTls(authority: string, req: IncomingMessage, client: Duplex): void {
    const sniffer = this.sniffers.get(client)
    if (sniffer) client.off('data', sniffer)
    let host = authority
    try {
      host = hostOf(new URL(`http://${authority}`))
    } catch {
      // Keep the authority as given: it is only counted.
    }
    this.nodeTunnel(authority, req, client, (status, upSocket) => {
      this.options.onRequest({ method: 'CONNECT', host, path: '', status })
      if (upSocket) this.join(client, upSocket)
    })
  }

  /**
   * The node's own CONNECT to `authority`, for a client already told that its tunnel is open: `opened`
   * gets the node's status, and its socket when the tunnel is open (else the client is closed: all it
   * can be told now is that the tunnel closed).
   */
  private nodeTunnel(
    authority: string,
    req: IncomingMessage,
    client: Duplex,
    opened: (status: number | undefined, upSocket?: net.Socket) => void
  ): void {
    const up = http.request({
      host: this.upstreamHost,
      port: this.upstreamPort,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...pick(req.headers, 'proxy-authorization') },
      maxHeaderSize: MAX_HEADER_BYTES
    })
    const abandoned = (): void => void up.destroy()
    client.once('close', abandoned)
    up.on('connect', (answer: IncomingMessage, upSocket: net.Socket, upHead: Buffer) => {
      client.off('close', abandoned)
      if (answer.statusCode !== 200) {
        opened(answer.statusCode)
        upSocket.destroy()
        client.destroy()
        return
      }
      if (upHead.length > 0) upSocket.unshift(upHead)
      opened(200, upSocket)
    })
    up.on('error', () => {
      client.off('close', abandoned)
      opened(undefined)
      client.destroy()
    })
    up.end()
  }

  /** Joins a client to its node socket as one tunnel, which closes whole (./tunnel.ts). */
  private join(client: Duplex, upSocket: net.Socket): void {
    this.sockets.add(upSocket)
    upSocket.once('close', () => this.sockets.delete(upSocket))
    splice(client, upSocket)
    client.resume()
  }

  /**
   * An upgrade (a WebSocket): from here on the connection is not HTTP, so its bytes pass as they are —
   * inside a plain-HTTP tunnel through the node's own CONNECT to the tunnel's authority (as straight to
   * the node), otherwise on a connection of its own to the node, which answers it as it answers any
   * upgrade. Noted with the status of the answer's first line.
   */
  private upgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    this.heads.delete(client)
    client.on('error', () => undefined)
    const authority = this.tunnels.get(client)
    const target = requestTarget(absolute(req.url ?? '', authority))
    if (target === undefined) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const seen = (status: number | undefined): void =>
      this.options.onRequest({ method: req.method ?? 'GET', host: target.host, path: target.path, status })
    const sent = Buffer.concat([rawHead(req), head])
    const pass = (upSocket: net.Socket): void => {
      upSocket.once('data', (first: Buffer) => seen(statusOf(first)))
      upSocket.write(sent)
      this.join(client, upSocket)
    }
    if (authority !== undefined) {
      this.nodeTunnel(authority, req, client, (status, upSocket) =>
        upSocket ? pass(upSocket) : seen(status)
      )
      return
    }
    const upSocket = net.connect(this.upstreamPort, this.upstreamHost, () => pass(upSocket))
    upSocket.once('error', () => {
      if (upSocket.connecting) seen(undefined)
      client.destroy()
    })
  }
}

/** A request sent to the hop as if it were the server (not in absolute form): a 400 that says what the hop is. */
function notAProxyRequest(res: ServerResponse): void {
  res.writeHead(400, { 'content-type': 'text/plain' })
  res.end(
    'This is the FAST node proxy: send requests to the application through it (HTTP_PROXY), not to it.\n'
  )
}

/** The node's (or the target's) answer, passed to the client as it comes; a cut-off answer is noted so. */
function passAnswer(answer: IncomingMessage, res: ServerResponse, seen: Note): void {
  res.writeHead(answer.statusCode ?? 502, answer.statusMessage, passOn(answer.rawHeaders))
  answer.pipe(res)
  // Cut off mid-body (the target or the node reset it): the client gets a cut answer, as it would
  // straight from the node, and the ledger says so.
  answer.once('close', () => {
    if (answer.complete) return
    seen(answer.statusCode, 'answer cut off')
    res.destroy()
  })
  answer.on('error', () => undefined)
}

/** The raw answer to a request the parser refused, as Node words it, with what the hop could not read. */
function refusal(status: number, err: NodeJS.ErrnoException): string {
  const body =
    status === 431
      ? `The recording hop in front of the FAST node passes header sections up to ${MAX_HEADER_BYTES / 1024} KiB.\n`
      : `The recording hop in front of the FAST node could not read this request (${err.code ?? err.message}).\n`
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/** An origin-form target inside a plain-HTTP tunnel made absolute with the tunnel's authority. */
function absolute(target: string, authority: string | undefined): string {
  return authority !== undefined && target.startsWith('/') ? `http://${authority}${target}` : target
}

/**
 * An absolute-form target's host (for counting) and its path as sent, without the query; undefined when
 * it is not an http(s) URL (a request sent to the hop as if it were the server).
 */
function requestTarget(target: string): { host: string; path: string; authority: string } | undefined {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  const rest = target.slice(target.indexOf('//') + 2)
  const end = rest.search(/[/?#\\]/)
  const path = end < 0 ? '' : (rest.slice(end).split(/[?#]/, 1)[0] ?? '')
  return { host: hostOf(url), path, authority: url.host }
}

/**
 * `GET http://app.test/x HTTP/1.1` at the start of a chunk: a request begins there. Read as UTF-8: a
 * target with bytes outside ASCII (curl's raw `/café`) is one Node's parser refuses, and is counted so.
 */
function requestLine(chunk: Buffer): { method: string; target: string } | undefined {
  if (chunk.length === 0 || chunk[0]! < 0x41 || chunk[0]! > 0x5a) return undefined
  const end = chunk.indexOf(0x0a)
  const line = chunk.toString('utf8', 0, Math.min(end < 0 ? chunk.length : end, 16 * 1024))
  const match = /^([A-Z]+) (\S+)/.exec(line)
  return match ? { method: match[1]!, target: match[2]! } : undefined
}

/** Raw headers (name, value, name, value…) less the connection's own and those `Connection` names. */
function passOn(raw: readonly string[]): string[] {
  const drop = new Set(HOP_BY_HOP)
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection')
      for (const token of raw[i + 1]!.split(',')) drop.add(token.trim().toLowerCase())
  }
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
}

function pick(headers: http.IncomingHttpHeaders, name: string): Record<string, string> {
  const value = headers[name]
  return typeof value === 'string' ? { [name]: value } : {}
}

/** The origin form of an absolute-form target, byte for byte: what follows the authority (`/` if nothing). */
function originForm(absoluteTarget: string): string {
  const rest = absoluteTarget.slice(absoluteTarget.indexOf('//') + 2)
  const at = rest.search(/[/?#\\]/)
  if (at < 0) return '/'
  const origin = rest.slice(at)
  return origin.startsWith('/') ? origin : `/${origin}`
}

/** A request's head as it came (request line and headers in their order and case): for an upgrade, passed on as bytes. */
function rawHead(req: IncomingMessage): Buffer {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`]
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`)
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
}

/** The status in an answer's first line (`HTTP/1.1 101 Switching Protocols`); undefined when it is not one. */
function statusOf(first: Buffer): number | undefined {
  const match = /^HTTP\/\d\.\d (\d{3})/.exec(first.toString('latin1', 0, 16))
  return match ? Number(match[1]) : undefined
}
