/**
 * The node's configuration, read from the variables of the real `wallarm/fast` container (spec §4.2):
 * WALLARM_API_TOKEN (required), WALLARM_API_HOST (`host[:port]`, default us1.api.wallarm.com),
 * WALLARM_API_USE_SSL (default true; `false` for the emulator's plain-HTTP cloud), ALLOWED_HOSTS,
 * REVERSE_PROXY=true with BACKEND (wallarm/fast-example-java-moon). Emulator-only: PROXY_PORT (the real
 * node always listens on 8080; tests on one host network need another port) and
 * FAST_REQUEST_TIMEOUT_MS (how long a test request may take before it counts as a technical failure).
 */
import { allowedHostsMatcher } from './allowed-hosts.js'

export interface NodeConfig {
  token: string
  /** e.g. http://127.0.0.1:8555 */
  apiBase: string
  allowedHosts: (host: string) => boolean
  allowedHostsText: string
  /** Set when REVERSE_PROXY is true: every request goes to this backend. */
  backend: URL | null
  proxyPort: number
  requestTimeoutMs: number
}

export class NodeConfigError extends Error {}

function bool(name: string, value: string | undefined, dflt: boolean): boolean {
  if (value === undefined || value.trim() === '') return dflt
  const v = value.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(v)) return true
  if (['false', '0', 'no', 'off'].includes(v)) return false
  throw new NodeConfigError(`${name} must be true or false, got "${value}"`)
}

function port(name: string, value: string | undefined, dflt: number): number {
  if (value === undefined || value.trim() === '') return dflt
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new NodeConfigError(`${name} must be a port number (0-65535), got "${value}"`)
  return n
}

function matcherOf(text: string): (host: string) => boolean {
  try {
    return allowedHostsMatcher(text)
  } catch (err) {
    throw new NodeConfigError(
      `ALLOWED_HOSTS "${text}" is not valid: ${(err as Error).message}; use host names, .domain, *, (a|b) or ~regex`
    )
  }
}

export function nodeConfigFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: { proxyPort?: number } = {}
): NodeConfig {
  const token = env.WALLARM_API_TOKEN?.trim() ?? ''
  if (token === '') throw new NodeConfigError('WALLARM_API_TOKEN is required (the FAST node token)')
  const host = env.WALLARM_API_HOST?.trim() || 'us1.api.wallarm.com'
  if (/[/\s@]/.test(host)) throw new NodeConfigError(`WALLARM_API_HOST must be host[:port], got "${host}"`)
  const ssl = bool('WALLARM_API_USE_SSL', env.WALLARM_API_USE_SSL, true)
  const reverse = bool('REVERSE_PROXY', env.REVERSE_PROXY, false)
  let backend: URL | null = null
  if (reverse) {
    try {
      backend = new URL(env.BACKEND ?? '')
    } catch {
      throw new NodeConfigError(
        `REVERSE_PROXY=true needs BACKEND as a URL (http://app:3000), got "${env.BACKEND ?? ''}"`
      )
    }
  }
  const allowedHostsText = env.ALLOWED_HOSTS?.trim() ?? ''
  const timeout = Number(env.FAST_REQUEST_TIMEOUT_MS ?? 5000)
  return {
    token,
    apiBase: `${ssl ? 'https' : 'http'}://${host}`,
    allowedHosts: matcherOf(allowedHostsText),
    allowedHostsText,
    backend,
    proxyPort: overrides.proxyPort ?? port('PROXY_PORT', env.PROXY_PORT, 8080),
    requestTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 5000
  }
}
