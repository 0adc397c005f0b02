/**
 * Where the Wallarm API and its web console live. The one home of the rules for an API address, which
 * the action's `api-host` input takes as they are.
 *
 * An API address is one of:
 * - a cloud alias: `us` (`https://us1.api.wallarm.com`) or `eu` (`https://api.wallarm.com`);
 * - a bare host name, optionally with a port, as the FAST node's `WALLARM_API_HOST` takes it
 *   (`us1.api.wallarm.com`, `wallarm-api.corp.example:8443`): HTTPS is assumed;
 * - a full http(s) URL, optionally with a path prefix (`http://127.0.0.1:8555`, `https://x.example/prefix/`),
 *   kept as given without its trailing slash (for emulators and API gateways).
 */
export interface ResolvedApi {
  /** The API base URL, without a trailing slash. */
  baseUrl: string
  /** The web console base URL, without a trailing slash, when it is known. */
  consoleUrl?: string
}

export const CLOUDS = {
  us: { baseUrl: 'https://us1.api.wallarm.com', consoleUrl: 'https://us1.my.wallarm.com' },
  eu: { baseUrl: 'https://api.wallarm.com', consoleUrl: 'https://my.wallarm.com' }
} as const satisfies Record<string, Required<ResolvedApi>>

/** Labels of letters, digits and inner hyphens; a final dot (a fully qualified name) and a port allowed. */
const HOST_NAME =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?(?::\d{1,5})?$/i

/** The Wallarm clouds' API hosts (`api.wallarm.com`, `us1.api.wallarm.com`, …) map to `my.` consoles. */
const WALLARM_API_HOST = /^((?:[a-z0-9-]+\.)?)api\.wallarm\.com\.?$/i

const API_EXPECTED =
  'expected us, eu, a host name such as us1.api.wallarm.com, or an http(s) URL such as https://wallarm-api.example.com'
const CONSOLE_EXPECTED = 'expected an http(s) URL such as https://us1.my.wallarm.com'

/** A value that is not an API address (`api`) or console URL (`console`): which, the value, what is allowed. */
export class HostError extends Error {
  override readonly name = 'HostError'
  constructor(
    readonly which: 'api' | 'console',
    readonly value: string,
    /** What is allowed, starting with `expected`. */
    readonly expected: string
  ) {
    super(
      `Not a Wallarm ${which === 'api' ? 'API address' : 'console URL'}: ${JSON.stringify(value)}: ${expected}`
    )
  }
}

function stripTrailingSlashes(s: string): string {
  return s.replace(/\/+$/, '')
}

/** Parses an http(s) URL strictly; returns it without query, fragment or trailing slash. */
function parseHttpUrl(value: string): string | undefined {
  if (/\s/.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (!url.hostname || url.username || url.password || url.search || url.hash) return undefined
  return stripTrailingSlashes(`${url.protocol}//${url.host}${url.pathname}`)
}

function consoleFor(hostname: string): string | undefined {
  const m = WALLARM_API_HOST.exec(hostname)
  if (!m) return undefined
  return `https://${(m[1] ?? '').toLowerCase()}my.wallarm.com`
}

/**
 * Resolves an API address (and an optional console URL, which wins when set).
 *
 * @throws HostError naming which of the two is not usable
 */
export function resolveApi(apiHost: string, consoleUrl?: string): ResolvedApi {
  const value = apiHost.trim()
  let resolved: ResolvedApi
  const alias = value.toLowerCase()
  if (alias === 'us' || alias === 'eu') {
    resolved = { ...CLOUDS[alias] }
  } else if (value.includes('://')) {
    const baseUrl = parseHttpUrl(value)
    if (baseUrl === undefined) throw new HostError('api', apiHost, API_EXPECTED)
    const derived = consoleFor(new URL(baseUrl).hostname)
    resolved = derived === undefined ? { baseUrl } : { baseUrl, consoleUrl: derived }
  } else if (value.length <= 260 && HOST_NAME.test(value)) {
    const baseUrl = parseHttpUrl(`https://${value.toLowerCase()}`)
    if (baseUrl === undefined) throw new HostError('api', apiHost, API_EXPECTED)
    const derived = consoleFor(new URL(baseUrl).hostname)
    resolved = derived === undefined ? { baseUrl } : { baseUrl, consoleUrl: derived }
  } else {
    throw new HostError('api', apiHost, API_EXPECTED)
  }

  const explicit = consoleUrl?.trim()
  if (explicit) {
    const url = parseHttpUrl(explicit)
    if (url === undefined) {
      throw new HostError('console', consoleUrl ?? '', CONSOLE_EXPECTED)
    }
    resolved.consoleUrl = url
  }
  return resolved
}

/** The console's vulnerabilities page (spec §"console URLs"): no page per vulnerability is documented. */
export function vulnerabilitiesUrl(consoleUrl: string): string {
  return `${stripTrailingSlashes(consoleUrl)}/vulnerabilities/`
}

/** The console page of one test run: `<console>/testing/testruns/<id>`. */
export function testRunUrl(consoleUrl: string, id: string | number): string {
  return `${stripTrailingSlashes(consoleUrl)}/testing/testruns/${encodeURIComponent(String(id))}`
}
