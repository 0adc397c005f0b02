/**
 * The path prefix that a server puts before every path of the API (OpenAPI 3.x `servers[].url`, Swagger
 * 2.0 `basePath`): `https://api.example.com/v1` → `/v1`. A server variable takes its default and each
 * value of its `enum`; a variable the server does not define stays a template expression, matching any
 * one segment. The host never matters: the action sees requests to whatever host the tests use.
 */

/** How many prefixes one server URL may expand to (variables × their enums): enough for versions. */
const MAX_EXPANSIONS = 32

export interface ServerVariable {
  default?: unknown
  enum?: unknown
}

/** The path prefixes (`''` for none) of a list of Server Objects; undefined when it names none. */
export function serverPrefixes(servers: unknown): string[] | undefined {
  if (!Array.isArray(servers)) return undefined
  const out = new Set<string>()
  for (const server of servers) {
    if (typeof server !== 'object' || server === null) continue
    const { url, variables } = server as { url?: unknown; variables?: unknown }
    if (typeof url !== 'string') continue
    for (const expanded of expand(url, isRecord(variables) ? variables : {})) out.add(pathPrefix(expanded))
  }
  return out.size > 0 ? [...out] : undefined
}

/** Swagger 2.0's `basePath` as a prefix. */
export function basePathPrefix(basePath: unknown): string {
  return typeof basePath === 'string' ? pathPrefix(basePath) : ''
}

/** `https://h/v1/` → `/v1`; `/` and `` → ``; `v1` → `/v1` (relative to where the document is served). */
export function pathPrefix(url: string): string {
  let path = url
    .replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, '')
    .replace(/^\/\/[^/?#]*/, '')
    .replace(/[?#].*$/, '')
    .replace(/^\.(?=\/|$)/, '')
  if (!path.startsWith('/')) path = `/${path}`
  return path.replace(/\/+$/, '')
}

function expand(url: string, variables: Record<string, unknown>): string[] {
  let results = ['']
  const parts = url.split(/(\{[^{}]*\})/)
  for (const part of parts) {
    const name = /^\{([^{}]*)\}$/.exec(part)?.[1]
    const variable = name === undefined ? undefined : variables[name]
    const values = name === undefined ? [part] : isRecord(variable) ? valuesOf(variable, part) : [part]
    const next: string[] = []
    for (const head of results) for (const value of values) next.push(head + value)
    results = next.slice(0, MAX_EXPANSIONS)
  }
  return results
}

/** The default and the enum; `asWritten` (`{name}`, a template expression) when there are none. */
function valuesOf(variable: ServerVariable, asWritten: string): string[] {
  const values = new Set<string>()
  if (typeof variable.default === 'string' || typeof variable.default === 'number') {
    values.add(String(variable.default))
  }
  if (Array.isArray(variable.enum)) {
    for (const v of variable.enum as unknown[]) {
      if (typeof v === 'string' || typeof v === 'number') values.add(String(v))
    }
  }
  return values.size > 0 ? [...values] : [asWritten]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
