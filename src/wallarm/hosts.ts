/**
 * Where the Wallarm API and its web console live (§1.1 and §5 of the API reference).
 *
 * The `api-host` input takes one of:
 * - a cloud alias: `us` (`https://us1.api.wallarm.com`) or `eu` (`https://api.wallarm.com`);
 * - a bare host name, optionally with a port, as the FAST node's `WALLARM_API_HOST` takes it
 *   (`us1.api.wallarm.com`, `wallarm-api.corp.example:8443`): HTTPS is assumed;
 * - a full http(s) URL, optionally with a path prefix (`http://127.0.0.1:8555`, `https://x.example/prefix/`),
 *   kept as given without its trailing slash (for emulators and API gateways).
 */
import { Inputs } from '../constants.js'

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

const HOST_NAME =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i

/** The Wallarm clouds' API hosts (`api.wallarm.com`, `us1.api.wallarm.com`, …) map to `my.` consoles. */
const WALLARM_API_HOST = /^((?:[a-z0-9-]+\.)?)api\.wallarm\.com$/i

function allowedApiHost(): string {
  return (
    'expected "us", "eu", a host name such as us1.api.wallarm.com or api.wallarm.com, ' +
    'or an http(s) URL such as https://wallarm-api.corp.example'
  )
}

function invalid(input: string, value: string, expected: string): Error {
  return new Error(`Invalid ${input} ${JSON.stringify(value)}: ${expected}`)
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

/** Resolves the `api-host` input (and the optional `console-url` input, which wins when set). */
export function resolveApi(apiHost: string, consoleUrl?: string): ResolvedApi {
  const value = apiHost.trim()
  let resolved: ResolvedApi
  const alias = value.toLowerCase()
  if (alias === 'us' || alias === 'eu') {
    resolved = { ...CLOUDS[alias] }
  } else if (value.includes('://')) {
    const baseUrl = parseHttpUrl(value)
    if (baseUrl === undefined) throw invalid(Inputs.ApiHost, apiHost, allowedApiHost())
    const derived = consoleFor(new URL(baseUrl).hostname)
    resolved = derived === undefined ? { baseUrl } : { baseUrl, consoleUrl: derived }
  } else if (value.length <= 260 && HOST_NAME.test(value)) {
    const baseUrl = parseHttpUrl(`https://${value.toLowerCase()}`)
    if (baseUrl === undefined) throw invalid(Inputs.ApiHost, apiHost, allowedApiHost())
    const derived = consoleFor(new URL(baseUrl).hostname)
    resolved = derived === undefined ? { baseUrl } : { baseUrl, consoleUrl: derived }
  } else {
    throw invalid(Inputs.ApiHost, apiHost, allowedApiHost())
  }

  const explicit = consoleUrl?.trim()
  if (explicit) {
    const url = parseHttpUrl(explicit)
    if (url === undefined) {
      throw invalid(
        Inputs.ConsoleUrl,
        consoleUrl ?? '',
        'expected an http(s) URL such as https://us1.my.wallarm.com'
      )
    }
    resolved.consoleUrl = url
  }
  return resolved
}

/** The console page of one test run (§5): `<console>/testing/testruns/<id>`. */
export function testRunUrl(consoleUrl: string, id: string | number): string {
  return `${stripTrailingSlashes(consoleUrl)}/testing/testruns/${encodeURIComponent(String(id))}`
}
