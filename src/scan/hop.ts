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

export async function startHop(options: HopOptions): Promise<RecordingHop> {
  const upstream = new URL(options.upstream)
  const upstreamHost = upstream.hostname.replace(/^\[|\]$/g, '')
  const upstreamPort = upstream.port === '' ? 80 : Number(upstream.port)
  const agent = nodeAgent()
  const sockets = new Set<Duplex>()
  /** Client sockets that carry plain HTTP inside a CONNECT tunnel, with the tunnel's authority. */
  const tunnels = new WeakMap<object, string>()

  /** The request line last seen on each client socket, and the listeners that note it. */
  const heads = new WeakMap<object, { method: string; target: string }>()
  const sniffers = new WeakMap<object, (chunk: Buffer) => void>()

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => forward(req, res))
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => tunnel(req, client, head))
  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => upgrade(req, client, head))
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => refuse(err, socket))
  server.on('connection', (socket: Duplex) => {
    if (sniffers.has(socket)) return // a plain-HTTP tunnel's socket, handed back to the parser
    noteHeads(socket)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  function forward(req: IncomingMessage, res: ServerResponse): void {
    heads.delete(req.socket)
    // Inside a plain-HTTP tunnel, requests name only the path: the tunnel names the host.
    const url = absolute(req.url ?? '', tunnels.get(req.socket))
    const target = requestTarget(url)
    if (target === undefined) {
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end(
        'This is the FAST node proxy: send requests to the application through it (HTTP_PROXY), not to it.\n'
      )
      return
    }
    const direct = url.startsWith('http:') && excludedBy(options.exclude ?? [], req.method, target.path)
    let noted = false
    const seen = (status: number | undefined, incomplete?: SeenRequest['incomplete']): void => {
      if (noted) return
      noted = true
      options.onRequest({
        method: req.method ?? 'GET',
        host: target.host,
        path: target.path,
        status,
        ...(direct ? { excluded: true } : {}),
        ...(incomplete ? { incomplete } : {})
      })
    }
    const headers = passOn(req.rawHeaders)
    if (!req.rawHeaders.some((_, i) => i % 2 === 0 && /^host$/i.test(req.rawHeaders[i]!)))
      headers.push('Host', target.authority)
    const to = direct ? new URL(url) : undefined
    let answerStatus: number | undefined
    const up = requestNode(
      {
        host: to ? to.hostname.replace(/^\[|\]$/g, '') : upstreamHost,
        port: to ? Number(to.port || 80) : upstreamPort,
        method: req.method,
        // As the client sent it: an absolute-form target is passed on byte for byte; an excluded
        // request goes to its target in origin form (the same bytes after the authority).
        path: to ? originForm(url) : url,
        headers,
        agent,
        maxHeaderSize: MAX_HEADER_BYTES
      },
      req,
      (answer) => {
        answerStatus = answer.statusCode
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
      },
      (err) => {
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
            ? `The answer through the FAST node at ${upstream.host} could not be read (${err.message}); ` +
                `the recording hop passes header sections up to ${MAX_HEADER_BYTES / 1024} KiB.\n`
            : `The FAST node at ${upstream.host} did not answer: ${err.message}\n`
        )
      }
    )
    res.once('finish', () => seen(answerStatus ?? 502))
    res.once('close', () => {
      if (res.writableFinished) return
      // The client went away before its answer was complete: nobody waits for the node's answer.
      seen(answerStatus, 'client went away')
      up.abort()
    })
  }

  /**
   * A request the hop's parser refused (headers over MAX_HEADER_BYTES, a malformed request line): it
   * is answered as Node would answer it, and counted, since the tests did send it.
   */
  function refuse(err: NodeJS.ErrnoException, socket: Duplex): void {
    const head = heads.get(socket)
    heads.delete(socket)
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    if (head !== undefined) {
      const target = requestTarget(absolute(head.target, tunnels.get(socket)))
      if (target !== undefined)
        options.onRequest({
          method: head.method,
          host: target.host,
          path: target.path,
          status,
          refused: true
        })
    }
    const body =
      status === 431
        ? `The recording hop in front of the FAST node passes header sections up to ${MAX_HEADER_BYTES / 1024} KiB.\n`
        : `The recording hop in front of the FAST node could not read this request (${err.code ?? err.message}).\n`
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    )
  }

  /**
   * Notes the request line of each request as its first bytes arrive, for `refuse`: once the parser has
   * refused a request, Node no longer says what its method and target were.
   */
  function noteHeads(socket: Duplex): void {
    const listener = (chunk: Buffer): void => {
      const head = requestLine(chunk)
      if (head !== undefined) heads.set(socket, head)
    }
    // Ahead of the parser's own listener: the line is known before the parser can refuse the request.
    socket.prependListener('data', listener)
    sniffers.set(socket, listener)
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
    heads.delete(client)
    client.on('error', () => undefined)
    client.write('HTTP/1.1 200 Connection established\r\n\r\n')
    // A client that closes before its first byte leaves nothing to pass on, and nothing to hold.
    const gone = (): void => void client.destroy()
    client.once('end', gone)
    const decide = (first: Buffer): void => {
      client.off('end', gone)
      client.pause()
      client.unshift(first)
      if (first[0] === TLS_HANDSHAKE) {
        const sniffer = sniffers.get(client)
        if (sniffer) client.off('data', sniffer)
        tunnelTls(authority, req, client)
      } else {
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
    nodeTunnel(authority, req, client, (status, upSocket) => {
      seen(status)
      if (upSocket) join(client, upSocket)
    })
  }

  /**
   * The node's own CONNECT to `authority`, for a client already told that its tunnel is open: `opened`
   * gets the node's status, and its socket when the tunnel is open (else the client is closed: all it
   * can be told now is that the tunnel closed).
   */
  function nodeTunnel(
    authority: string,
    req: IncomingMessage,
    client: Duplex,
    opened: (status: number | undefined, upSocket?: net.Socket) => void
  ): void {
    const up = http.request({
      host: upstreamHost,
      port: upstreamPort,
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
  function join(client: Duplex, upSocket: net.Socket): void {
    sockets.add(upSocket)
    upSocket.once('close', () => sockets.delete(upSocket))
    splice(client, upSocket)
    client.resume()
  }

  /**
   * An upgrade (a WebSocket): from here on the connection is not HTTP, so its bytes pass as they are —
   * inside a plain-HTTP tunnel through the node's own CONNECT to the tunnel's authority (as straight to
   * the node), otherwise on a connection of its own to the node, which answers it as it answers any
   * upgrade. Noted with the status of the answer's first line.
   */
  function upgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    heads.delete(client)
    client.on('error', () => undefined)
    const authority = tunnels.get(client)
    const target = requestTarget(absolute(req.url ?? '', authority))
    if (target === undefined) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const seen = (status: number | undefined): void =>
      options.onRequest({ method: req.method ?? 'GET', host: target.host, path: target.path, status })
    const sent = Buffer.concat([rawHead(req), head])
    const pass = (upSocket: net.Socket): void => {
      upSocket.once('data', (first: Buffer) => seen(statusOf(first)))
      upSocket.write(sent)
      join(client, upSocket)
    }
    if (authority !== undefined) {
      nodeTunnel(authority, req, client, (status, upSocket) => (upSocket ? pass(upSocket) : seen(status)))
      return
    }
    const upSocket = net.connect(upstreamPort, upstreamHost, () => pass(upSocket))
    upSocket.once('error', () => {
      if (upSocket.connecting) seen(undefined)
      client.destroy()
    })
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
