/**
 * The simulated FAST node's recording proxy (spec §4.1); the real node is emulator/node/: a forward HTTP proxy. Clients use it as HTTP_PROXY and
 * send absolute-form requests (`GET http://127.0.0.1:3000/x HTTP/1.1`). Each request is forwarded to its
 * target and the target's answer is streamed back (502 when the target is unreachable). While the node's
 * current run is ready_for_recording and recording, the request also becomes a baseline of the run's
 * record (method, URL, headers, body); otherwise it is only proxied (spec §3.2 rule 8). The path and query
 * are recorded and forwarded as the client sent them, never normalised (./request-target.ts).
 *
 * One proxy port serves every node. Which node (token) a request goes through:
 * 1. the header `X-Emulator-Node: <token>`, else
 * 2. the proxy user name, i.e. `http://<token>@127.0.0.1:PORT` as the proxy URL (clients send it as
 *    `Proxy-Authorization: Basic base64(<token>:)`), else
 * 3. the first token (the default node).
 * An unknown token answers 407. Both selectors are emulator conveniences: a real node is one container
 * per token, bound to its token by WALLARM_API_TOKEN (spec §4.3). They are stripped before forwarding.
 *
 * HTTPS: the real node intercepts TLS with its own CA (spec §4.1). That is not emulated: `CONNECT`
 * answers 501, and so does an absolute-form `https://` request.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { forward, plain, readProxied } from './forward.js'
import { absoluteTarget } from './request-target.js'
import type { FastModel } from './cloud/model.js'

export const NODE_HEADER = 'x-emulator-node'

export function createProxyServer(model: FastModel, defaultToken: string): http.Server {
  const server = http.createServer((req, res) => {
    handle(model, defaultToken, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        plain(res, 502, `Bad gateway: ${err instanceof Error ? err.message : String(err)}`)
      else res.destroy()
    })
  })
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    // HTTPS interception (the node's MITM CA) is not emulated by the simulated node; the real one
    // (emulator/node/) tunnels.
    socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  return server
}

/** The token a proxied request is for, or null when it names an unknown one. */
export function nodeTokenOf(req: IncomingMessage, model: FastModel, defaultToken: string): string | null {
  const header = req.headers[NODE_HEADER]
  let token = Array.isArray(header) ? header[0] : header
  if (token === undefined) {
    const auth = req.headers['proxy-authorization']
    const m = auth === undefined ? null : /^Basic\s+(\S+)/i.exec(auth)
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
      const user = decoded.split(':')[0] ?? ''
      token = decodeURIComponent(user)
    }
  }
  token = token?.trim() || defaultToken
  return model.tokens.includes(token) ? token : null
}

async function handle(model: FastModel, defaultToken: string, req: IncomingMessage, res: ServerResponse) {
  const rawUrl = req.url ?? ''
  if (/^https:\/\//i.test(rawUrl)) {
    plain(res, 501, 'HTTPS through the emulated node is not supported')
    return
  }
  const target = absoluteTarget(rawUrl)
  if (!target) {
    plain(res, 400, 'This is a forward proxy: send absolute-form requests (use it as HTTP_PROXY)')
    return
  }
  const token = nodeTokenOf(req, model, defaultToken)
  if (token === null) {
    res.writeHead(407, { 'proxy-authenticate': 'Basic realm="fast-node"', 'content-type': 'text/plain' })
    res.end('Unknown FAST node token')
    return
  }
  const proxied = await readProxied(req, target)
  model.recordBaseline(token, {
    method: proxied.method,
    url: target.url,
    headers: proxied.headers,
    body: proxied.body.toString('utf8')
  })
  await forward(proxied, res)
}
