/**
 * How the client's requests travel: straight over `node:http`/`node:https` with kept-alive connections,
 * or, when HTTPS_PROXY / HTTP_PROXY apply to the API host (NO_PROXY considered, by
 * `@actions/http-client`'s own rules), through `@actions/http-client`, which tunnels through the proxy.
 *
 * Why not always the latter: it imports undici (for fetch dispatchers the client never uses), whose
 * evaluation was most of the action's start-up time. It is loaded (../load-optional.ts) only when a
 * proxy variable is set, so the requests go the same way either way.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import type { HttpClient } from '@actions/http-client'
import { loadOptional } from '../load-optional.js'

/** An answer whose body has not been read yet. */
export interface TransportResponse {
  message: IncomingMessage
  readBody(): Promise<string>
}

export interface Transport {
  /** One request, no redirects followed, no retries; `data` is sent as UTF-8. */
  request(
    method: string,
    url: string,
    data: string | null,
    headers: OutgoingHttpHeaders
  ): Promise<TransportResponse>
  /** Closes the kept-alive connections. */
  dispose(): void
}

export interface TransportOptions {
  userAgent: string
  /** A request whose socket is idle this long fails with `Request timeout: <path>`. */
  socketTimeoutMs: number
}

/** The variables `@actions/http-client` reads a proxy from; NO_PROXY only matters when one is set. */
const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']

export function createTransport(options: TransportOptions): Transport {
  const direct = new DirectTransport(options)
  let proxied: HttpClient | undefined
  let disposed = false
  return {
    request: async (method, url, data, headers) => {
      // The same words as @actions/http-client's, which the client recognises as final.
      if (disposed) throw new Error('Client has already been disposed.')
      if (!PROXY_VARIABLES.some((name) => process.env[name]))
        return direct.request(method, url, data, headers)
      const { getProxyUrl, HttpClient } = await loadOptional()
      if (!getProxyUrl(new URL(url))) return direct.request(method, url, data, headers)
      proxied ??= new HttpClient(options.userAgent, [], {
        socketTimeout: options.socketTimeoutMs,
        keepAlive: true,
        allowRetries: false,
        allowRedirects: false
      })
      return proxied.request(method, url, data, headers)
    },
    dispose: () => {
      disposed = true
      direct.dispose()
      proxied?.dispose()
    }
  }
}

type Protocol = Pick<typeof http, 'request'> & { Agent: typeof http.Agent }

/**
 * What `@actions/http-client` does for a request without a proxy, and nothing more. `node:https` is
 * loaded with the first https request: loading it (TLS) costs about as much as starting Node itself,
 * which a step talking plain http (an emulator, a gateway on loopback) need not pay.
 */
class DirectTransport {
  private readonly protocols = new Map<string, Promise<{ module: Protocol; agent: http.Agent }>>()

  constructor(private readonly options: TransportOptions) {}

  async request(
    method: string,
    url: string,
    data: string | null,
    headers: OutgoingHttpHeaders
  ): Promise<TransportResponse> {
    const target = new URL(url)
    const { module, agent } = await this.protocol(target.protocol)
    const all: OutgoingHttpHeaders = { ...headers, 'user-agent': this.options.userAgent }
    if (data !== null) all['Content-Length'] = Buffer.byteLength(data, 'utf8')
    return new Promise((resolve, reject) => {
      const req = module.request(target, { method, headers: all, agent }, (message) =>
        resolve({ message, readBody: () => readBody(message) })
      )
      req.setTimeout(this.options.socketTimeoutMs, () => {
        req.destroy(new Error(`Request timeout: ${target.pathname}${target.search}`))
      })
      req.on('error', reject)
      req.end(data ?? undefined)
    })
  }

  dispose(): void {
    for (const protocol of this.protocols.values()) void protocol.then(({ agent }) => agent.destroy())
  }

  /** The module and the kept-alive agent of `http:` or `https:`, made once. */
  private protocol(name: string): Promise<{ module: Protocol; agent: http.Agent }> {
    let made = this.protocols.get(name)
    if (!made) {
      const module: Promise<Protocol> = name === 'https:' ? import('node:https') : Promise.resolve(http)
      made = module.then((m) => ({ module: m, agent: new m.Agent({ keepAlive: true }) }))
      this.protocols.set(name, made)
    }
    return made
  }
}

function readBody(message: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    message.on('data', (chunk: Buffer) => chunks.push(chunk))
    message.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}
