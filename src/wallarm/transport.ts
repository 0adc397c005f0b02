/**
 * How the client's requests travel: straight over `node:http`/`node:https` with kept-alive connections,
 * or, when HTTPS_PROXY / HTTP_PROXY apply to the API host (NO_PROXY considered, by
 * `@actions/http-client`'s own rules), through `@actions/http-client`, which tunnels through the proxy.
 *
 * Why not always the latter: loading it evaluates undici (it imports it for fetch dispatchers the client
 * never uses), which was most of the action's start-up time. It is loaded only when a proxy applies,
 * from inside dist/index.js (webpackMode eager: no chunk file), so the result is the same either way.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { HttpClient } from '@actions/http-client'
import { getProxyUrl } from '@actions/http-client/lib/proxy'

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

export function createTransport(options: TransportOptions): Transport {
  const direct = new DirectTransport(options)
  let proxied: Promise<HttpClient> | undefined
  return {
    request: async (method, url, data, headers) => {
      if (!getProxyUrl(new URL(url))) return direct.request(method, url, data, headers)
      proxied ??= import(/* webpackMode: "eager" */ '@actions/http-client').then(
        ({ HttpClient }) =>
          new HttpClient(options.userAgent, [], {
            socketTimeout: options.socketTimeoutMs,
            keepAlive: true,
            allowRetries: false,
            allowRedirects: false
          })
      )
      return (await proxied).request(method, url, data, headers)
    },
    dispose: () => {
      direct.dispose()
      void proxied?.then((client) => client.dispose())
    }
  }
}

/** What `@actions/http-client` does for a request without a proxy, and nothing more. */
class DirectTransport {
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true })
  }

  private disposed = false

  constructor(private readonly options: TransportOptions) {}

  request(
    method: string,
    url: string,
    data: string | null,
    headers: OutgoingHttpHeaders
  ): Promise<TransportResponse> {
    // The same words as @actions/http-client's, which the client recognises as final.
    if (this.disposed) return Promise.reject(new Error('Client has already been disposed.'))
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    const all: OutgoingHttpHeaders = { ...headers, 'user-agent': this.options.userAgent }
    if (data !== null) all['Content-Length'] = Buffer.byteLength(data, 'utf8')
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        target,
        { method, headers: all, agent: this.agents[secure ? 'https:' : 'http:'] },
        (message) => resolve({ message, readBody: () => readBody(message) })
      )
      req.setTimeout(this.options.socketTimeoutMs, () => {
        req.destroy(new Error(`Request timeout: ${target.pathname}${target.search}`))
      })
      req.on('error', reject)
      req.end(data ?? undefined)
    })
  }

  dispose(): void {
    this.disposed = true
    this.agents['http:'].destroy()
    this.agents['https:'].destroy()
  }
}

function readBody(message: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    message.on('data', (chunk: Buffer) => chunks.push(chunk))
    message.on('end', () => resolve(Buffer.concat(chunks).toString()))
  })
}
