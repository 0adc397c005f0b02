/**
 * How the client's requests travel: `@actions/http-client`, as other actions send theirs, with kept-alive
 * connections and through HTTPS_PROXY / HTTP_PROXY when they apply to the API host (NO_PROXY considered,
 * loopback never proxied). Redirects and retries are off: the client decides what to retry
 * (./retry.ts), and a redirect must not carry the token to another host.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http'
import { HttpClient } from '@actions/http-client'

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
  /** Closes the kept-alive connections; later requests fail with `Client has already been disposed.` */
  dispose(): void
}

export interface TransportOptions {
  userAgent: string
  /** A request whose socket is idle this long fails with `Request timeout: <path>`. */
  socketTimeoutMs: number
}

export function createTransport(options: TransportOptions): Transport {
  const client = new HttpClient(options.userAgent, [], {
    socketTimeout: options.socketTimeoutMs,
    keepAlive: true,
    allowRetries: false,
    allowRedirects: false
  })
  return {
    request: (method, url, data, headers) => client.request(method, url, data, headers),
    dispose: () => client.dispose()
  }
}
