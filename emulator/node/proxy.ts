/**
 * The real node's proxy (spec §4.1): a forward proxy for absolute-form HTTP requests and for CONNECT
 * (tunnelled, not intercepted), or, with REVERSE_PROXY=true, a reverse proxy in front of BACKEND.
 * Requests to hosts ALLOWED_HOSTS lets through are handed to `record` once their target answered (a
 * request to a dead target is no baseline); the others are only forwarded.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { forward, plain, readProxied, tunnel, type ProxiedRequest } from '../forward.js'
import { absoluteTarget, originTarget, type RequestTarget } from '../request-target.js'
import type { NodeConfig } from './config.js'

export function createNodeProxy(
  config: Pick<NodeConfig, 'allowedHosts' | 'backend'>,
  record: (p: ProxiedRequest) => Promise<void>
): http.Server {
  const server = http.createServer((req, res) => {
    handle(config, record, req, res).catch((err: unknown) => {
      if (!res.headersSent)
        plain(res, 502, `Bad gateway: ${err instanceof Error ? err.message : String(err)}`)
      else res.destroy()
    })
  })
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => tunnel(req, socket, head))
  return server
}

async function handle(
  config: Pick<NodeConfig, 'allowedHosts' | 'backend'>,
  record: (p: ProxiedRequest) => Promise<void>,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const rawUrl = req.url ?? ''
  // The path and query go on, and into the baseline, as the client sent them (nginx's `$request_uri`).
  let target: RequestTarget | undefined
  if (config.backend) target = originTarget(rawUrl, config.backend)
  else if (/^https:\/\//i.test(rawUrl)) {
    plain(res, 501, 'Send HTTPS through the node with CONNECT (use it as HTTPS_PROXY)')
    return
  } else target = absoluteTarget(rawUrl)
  if (!target) {
    plain(res, 400, 'This is a forward proxy: send absolute-form requests (use it as HTTP_PROXY)')
    return
  }
  const proxied = await readProxied(req, target)
  // Recorded once the target has answered, before the answer is passed on: the test's next step (a
  // stop) never overtakes its last baseline, and a request to a dead target is no baseline.
  await forward(proxied, res, config.allowedHosts(target.host) ? () => record(proxied) : undefined)
}
