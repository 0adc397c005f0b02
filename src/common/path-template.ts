/**
 * The path template of a request: path segments that are ids become `{id}`, so that `/users/123` and
 * `/users/456` are one endpoint. One home for the rule: the scan's traffic table (../scan/traffic.ts) and
 * a finding's identity across runs (../triage/identity.ts) both call {@link templatePath}.
 *
 * A segment (the text between two `/`, before any `?` or `#`) is an id when it is
 * - a decimal number: `42`;
 * - a UUID: `3f2b8a1e-9c4d-4e5f-8a6b-1c2d3e4f5a6b`;
 * - 16 or more hexadecimal digits with at least one digit 0-9: `507f1f77bcf86cd799439011`;
 * - a base64-like token: 16 or more letters, digits, `-` and `_` (and up to two `=` of padding), with at
 *   least one digit and one letter, that is not made of words. Split at `-` and `_`, a word is letters
 *   with at most one run of digits, in one case or capitalised: `reviews`, `v2`, `256gb`, `Report`,
 *   `API2`. So `V1StGXR8_Z5jdHi6B-myT`, `01ARZ3NDEKTSV4RRFFQ69G5FAV` and `cus_NffrFeUfNV2Hib` are ids,
 *   while `how-to-upgrade-to-v2`, `iphone-15-pro-max-256gb`, `windows10installer` and any segment
 *   without a digit (`internationalization`) are not.
 *
 * Everything else stays as written. A template from the API's own description (issue "Your API as the
 * map": an OpenAPI path such as `/users/{userId}`) wins over the rule: a caller that knows one passes a
 * {@link PathTemplateResolver}.
 *
 * Parameter names never decide: `/users/{id}`, `/users/{uid}` and `/users/{userId}` are one template
 * ({@link comparableTemplate}), as OpenAPI itself holds two templates that differ only in their
 * parameters' names to be the same path. So an entry written with the id rule's `{id}` still matches the
 * spec's `{userId}`, and an entry written with the spec's template matches the id rule's where no spec
 * is given.
 */

/** What an id segment becomes. */
export const ID_PLACEHOLDER = '{id}'

/** Where a request went, for a resolver that knows the API's own path templates. */
export interface PathTemplateQuery {
  method?: string | undefined
  domain?: string | undefined
  /** The path as the request had it. */
  path: string
}

/** The API's own template for a request (such as OpenAPI's `/users/{userId}`), or undefined if unknown. */
export type PathTemplateResolver = (query: PathTemplateQuery) => string | undefined

const DECIMAL = /^\d+$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const LONG_HEX = /^(?=.*\d)[0-9a-f]{16,}$/i
const TOKEN = /^(?=[^=]*\d)(?=[^=]*[A-Za-z])[A-Za-z0-9_-]{16,}={0,2}$/
/** A word of a slug: letters with at most one run of digits, lower, upper or capitalised case. */
const WORD = /^(?:[A-Z]?[a-z]*\d*[a-z]*|[A-Z]*\d*[A-Z]*)$/

/** Whether one path segment is an id by the rule in the module comment. */
export function isIdSegment(segment: string): boolean {
  if (DECIMAL.test(segment) || UUID.test(segment) || LONG_HEX.test(segment)) return true
  if (!TOKEN.test(segment)) return false
  return !segment
    .replace(/=+$/, '')
    .split(/[-_]/)
    .every((word) => WORD.test(word))
}

/**
 * `/users/123/orders?x=1` → `/users/{id}/orders?x=1`: the path with its id segments as `{id}` (a query or
 * fragment is kept as it is), or the resolver's template when it knows one.
 */
export function templatePath(
  path: string,
  where: {
    method?: string | undefined
    domain?: string | undefined
    resolve?: PathTemplateResolver | undefined
  } = {}
): string {
  const known = where.resolve?.({ method: where.method, domain: where.domain, path })
  if (known !== undefined) return known
  const end = path.search(/[?#]/)
  const bare = end < 0 ? path : path.slice(0, end)
  const rest = end < 0 ? '' : path.slice(end)
  const templated = bare
    .split('/')
    .map((segment) => (isIdSegment(segment) ? ID_PLACEHOLDER : segment))
    .join('/')
  return templated + rest
}

/** A template expression (`{userId}`), wherever it stands in a segment. */
const EXPRESSION = /\{[^{}/]*\}/g

/**
 * `/users/{userId}/orders` → `/users/{id}/orders`: every template expression as {@link ID_PLACEHOLDER},
 * the form in which two templates compare (see the module comment). The id rule's own templates are
 * unchanged by it, so identities made before keep their keys.
 */
export function comparableTemplate(template: string): string {
  return template.replace(EXPRESSION, ID_PLACEHOLDER)
}
