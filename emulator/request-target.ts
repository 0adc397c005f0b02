/**
 * A request target as the node received it. The real node is nginx: it records and forwards the path and
 * query byte for byte. WHATWG `URL` would not: it resolves `/static/../admin`, decodes `%2e%2e`, turns `\`
 * into `/` and encodes `'` and `{`. An emulated node that did so would be kinder than the real one (a
 * client that rewrote requests the same way would pass every test), so `URL` reads the authority here,
 * never the path; the path and query are cut out of the text as sent.
 */
export interface RequestTarget {
  /** `127.0.0.1:3000`, `[::1]:8080`, `shop.local`: the `Host` sent on and what ALLOWED_HOSTS matches. */
  host: string
  /** Where to connect: the host name without brackets, and the port (80 when none is given). */
  hostname: string
  port: number
  /** The path and query exactly as received (`/` when the client sent none): what is sent on. */
  path: string
  /** `path` up to its query. */
  pathname: string
  /** The query as received, without its `?` (`''` when none). */
  query: string
  /** `http://<host><path>`: the baseline's URL. */
  url: string
}

/** An absolute-form `http://authority/path?query` target; undefined when it is not one. */
export function absoluteTarget(raw: string): RequestTarget | undefined {
  const m = /^http:\/\/([^/?#]*)(.*)$/is.exec(raw)
  if (!m) return undefined
  return targetAt(m[1]!, m[2]!)
}

/** An origin-form target (`/path?query`, or an absolute-form one's path) sent to `origin`'s authority. */
export function originTarget(raw: string, origin: URL): RequestTarget | undefined {
  return targetAt(origin.host, raw.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, ''))
}

function targetAt(authority: string, rest: string): RequestTarget | undefined {
  // A `\` or a space would make `URL` read part of the path as the authority: not an authority.
  if (authority === '' || /[\\\s]/.test(authority)) return undefined
  let origin: URL
  try {
    origin = new URL(`http://${authority}`)
  } catch {
    return undefined
  }
  const path = rest.startsWith('/') ? rest : `/${rest}`
  const queryAt = path.search(/[?#]/)
  const pathname = queryAt < 0 ? path : path.slice(0, queryAt)
  const query = path[queryAt] === '?' ? (path.slice(queryAt + 1).split('#', 1)[0] ?? '') : ''
  return {
    host: origin.host,
    hostname: origin.hostname.replace(/^\[|\]$/g, ''),
    port: origin.port === '' ? 80 : Number(origin.port),
    path,
    pathname,
    query,
    url: `http://${origin.host}${path}`
  }
}
