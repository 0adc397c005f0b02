/**
 * Path templates cut into segments (`/users/{id}/` → `users`, `{id}`), the unit in which OpenAPI matches
 * paths. A trailing slash never decides: `/users/` and `/users` are the same endpoint to the servers that
 * serve these APIs, and to the coverage table.
 */
import { test as isPathTemplate } from 'openapi-path-templating'

/** A whole segment that is one template expression (`{id}`) matches any one non-empty segment. */
const WHOLE_EXPRESSION = /^\{[^{}/]+\}$/

export type SegmentKind = 'literal' | 'expression' | 'mixed'

/** `/a/b/` → `['a', 'b']`; `/` → `[]`. The query and fragment are dropped. */
export function segmentsOf(path: string): string[] {
  let bare = withoutQuery(path)
  if (bare.length > 1 && bare.endsWith('/')) bare = bare.slice(0, -1)
  if (bare === '/' || bare === '') return []
  return bare.slice(1).split('/')
}

/**
 * `literal` compares as text; `expression` takes any one segment; `mixed` (`{name}.json`, or a literal
 * with a percent-encoded octet, whose hex digits compare case-insensitively) is left to the template's
 * regular expression.
 */
export function segmentKind(segment: string): SegmentKind {
  if (WHOLE_EXPRESSION.test(segment)) return 'expression'
  return /[{}%]/.test(segment) ? 'mixed' : 'literal'
}

/** Whether `template` is a path template OpenAPI allows (leading `/`, balanced braces, no name twice). */
export function isValidTemplate(template: string): boolean {
  if (!template.startsWith('/') || /[?#]/.test(template)) return false
  const segments = segmentsOf(template)
  if (segments.some((s) => segmentKind(s) === 'mixed')) return isPathTemplate(template)
  const names = segments.filter((s) => WHOLE_EXPRESSION.test(s))
  return new Set(names).size === names.length
}

/** The path without its query string or fragment (`/a?q#f` → `/a`). */
export function withoutQuery(path: string): string {
  // indexOf, not a regular expression: this runs once per request of the ledger.
  const query = path.indexOf('?')
  const fragment = path.indexOf('#')
  const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment)
  return end < 0 ? path : path.slice(0, end)
}
