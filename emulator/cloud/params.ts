/**
 * Reading what a client sent: the parameters of E1/E2 (`POST /v1/test_run`) and the E7 query, as JSON
 * or form-encoded values (spec §1.3). Errors are collected per parameter, the shape of the documented
 * 400 (`{"<param>":{"error":"<code>","value":…}}`), and thrown by the caller as one FastApiError.
 */
import { FastApiError, type Settings, type VulnQuery } from './types.js'

// Placeholder error codes: the real strings are unknown (spec §1.6, §6.6). Only not_ready_for_cloning is
// documented.
export const ERR_REQUIRED = 'required'
export const ERR_RANGE = 'out_of_range'
export const ERR_INVALID = 'invalid'
export const ERR_NOT_FOUND = 'not_found'
export const ERR_EMPTY_RECORD = 'empty_test_record'
export const ERR_NOT_READY_FOR_CLONING = 'not_ready_for_cloning'

/** Integer from a JSON number or a form-encoded string; undefined when it is not one. */
export function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim())
  return undefined
}

export function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === '1' || value === 1) return true
  if (value === 'false' || value === '0' || value === 0) return false
  return undefined
}

export function absent(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

export type ErrorMap = Record<string, { error: string; value: unknown }>

/** A parameter's value as an error reports it: null when it was not sent. */
export function sent(value: unknown): unknown {
  return value === undefined ? null : value
}

export function validateName(params: Record<string, unknown>, errors: ErrorMap): string {
  const name = params.name
  if (absent(name)) errors.name = { error: ERR_REQUIRED, value: sent(name) }
  else if (typeof name !== 'string' || name.trim() === '') errors.name = { error: ERR_INVALID, value: name }
  return typeof name === 'string' ? name : ''
}

/** The run's settings from E1 (`isCreate`) or E2 parameters, with their defaults. */
export function validateSettings(
  params: Record<string, unknown>,
  errors: ErrorMap,
  isCreate: boolean
): Settings {
  const int = (key: string, min: number, max: number): number | null => {
    const raw = params[key]
    // An explicit null means "unlimited" / "default" (spec §E1: rps and rps_per_baseline are int or null).
    if (absent(raw)) return null
    const n = toInt(raw)
    if (n === undefined) errors[key] = { error: ERR_INVALID, value: raw }
    else if (n < min || n > max) errors[key] = { error: ERR_RANGE, value: raw }
    else return n
    return null
  }
  const bool = (key: string, dflt: boolean): boolean => {
    const raw = params[key]
    if (absent(raw)) return dflt
    const b = toBool(raw)
    if (b === undefined) errors[key] = { error: ERR_INVALID, value: raw }
    return b ?? dflt
  }
  const rps = int('rps', 1, 1000)
  const rpsPerBaseline = int('rps_per_baseline', 1, 500)
  // policy_id: any positive integer is accepted; the emulator has no policy registry.
  const policyId = int('policy_id', 1, Number.MAX_SAFE_INTEGER)
  const inactivity = isCreate ? int('inactivity_timeout', 300, 86400) : null
  const exclude = params.file_extensions_to_exclude
  let excludeStr = ''
  if (!absent(exclude)) {
    if (typeof exclude !== 'string')
      errors.file_extensions_to_exclude = { error: ERR_INVALID, value: exclude }
    else {
      try {
        extensionMatcher(exclude)
        excludeStr = exclude
      } catch {
        errors.file_extensions_to_exclude = { error: ERR_INVALID, value: exclude }
      }
    }
  }
  if (!absent(params.desc) && typeof params.desc !== 'string') {
    errors.desc = { error: ERR_INVALID, value: params.desc }
  }
  return {
    policy_id: policyId,
    rps,
    rps_per_baseline: rpsPerBaseline,
    inactivity_timeout: inactivity ?? 1800,
    stop_on_first_fail: bool('stop_on_first_fail', false),
    skip_duplicated_baselines: isCreate ? bool('skip_duplicated_baselines', true) : true,
    file_extensions_to_exclude: excludeStr
  }
}

/**
 * `file_extensions_to_exclude` (spec §E1): `.` any run of chars, `x*`, `x?`, a plain extension, several
 * joined by `|` (or `,` as in the console form). Matched against the end of the URL path. Returns null
 * when nothing is excluded; throws on a pattern that cannot be compiled.
 */
export function extensionMatcher(spec: string): ((path: string) => boolean) | null {
  const alternatives = spec
    .split(/[|,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (alternatives.length === 0) return null
  const sources = alternatives.map((alt) => {
    let out = ''
    for (const ch of alt) {
      if (ch === '.') out += '[^/]*'
      else if (ch === '*' || ch === '?') {
        if (out === '') throw new Error(`nothing to repeat in "${alt}"`)
        out += ch
      } else out += ch.replace(/[\\^$+(){}[\]|/]/g, '\\$&')
    }
    return out
  })
  const re = new RegExp(`\\.(?:${sources.join('|')})$`, 'i')
  return (path) => re.test(path)
}

/** The E7 fields `order_by` takes here (spec §E7: "a field name"; which ones the API takes is a gap). */
export const VULN_ORDER_FIELDS = ['id', 'threat', 'validate_time', 'last_check', 'testrun_id'] as const
export type VulnOrderField = (typeof VULN_ORDER_FIELDS)[number]

/** The largest `offset` E7 takes (spec §6.1: wallarm-go documents `offset` as 0..1000). */
export const VULN_OFFSET_MAX = 1000

/**
 * The E7 query, checked: `limit` 0..1000 (default 50, a gap), `offset` 0..1000, `order_by` (default
 * `id`) and `order_desc`, `filter.testrun_id`, `filter.status`.
 */
export function parseVulnQuery(query: VulnQuery): {
  limit: number
  offset: number
  orderBy: VulnOrderField
  /** undefined: every run; null: "not from FAST", which is nothing here. */
  ids: number[] | null | undefined
  /** `filter.status`: undefined is every status. */
  statuses: VulnStatus[] | undefined
  orderDesc: boolean
} {
  const errors: ErrorMap = {}
  const limit = absent(query.limit) ? 50 : toInt(query.limit)
  if (limit === undefined || limit < 0 || limit > 1000)
    errors.limit = { error: ERR_RANGE, value: query.limit }
  const offset = absent(query.offset) ? 0 : toInt(query.offset)
  if (offset === undefined || offset < 0 || offset > VULN_OFFSET_MAX)
    errors.offset = { error: ERR_RANGE, value: query.offset }
  const orderBy = absent(query.order_by) ? 'id' : query.order_by
  if (!(VULN_ORDER_FIELDS as readonly unknown[]).includes(orderBy))
    errors.order_by = { error: ERR_INVALID, value: query.order_by }
  const filter = query.filter ?? {}
  if (typeof filter !== 'object' || Array.isArray(filter))
    errors.filter = { error: ERR_INVALID, value: filter }
  let ids: number[] | null | undefined
  const raw = (filter as { testrun_id?: unknown }).testrun_id
  if (raw === undefined) ids = undefined
  else if (raw === null) ids = null
  else {
    const list = (Array.isArray(raw) ? raw : [raw]).map(toInt)
    if (list.some((x) => x === undefined)) errors.testrun_id = { error: ERR_INVALID, value: raw }
    ids = list.filter((x): x is number => x !== undefined)
  }
  // `status` takes one of Wallarm's vulnerability statuses or a list of them (spec §E7 item fields).
  let statuses: VulnStatus[] | undefined
  const rawStatus = (filter as { status?: unknown }).status
  if (rawStatus !== undefined) {
    const list = Array.isArray(rawStatus) ? rawStatus : [rawStatus]
    if (list.some((s) => !isVulnStatus(s))) errors.status = { error: ERR_INVALID, value: rawStatus }
    statuses = list.filter(isVulnStatus)
  }
  if (Object.keys(errors).length > 0 || limit === undefined || offset === undefined) {
    throw new FastApiError(400, errors)
  }
  return {
    limit,
    offset,
    orderBy: orderBy as VulnOrderField,
    ids,
    statuses,
    orderDesc: toBool(query.order_desc) === true
  }
}

/** Wallarm's statuses of a vulnerability object (spec §E7: `active` / `closed` / `falsepositive`). */
export const VULN_STATUSES = ['active', 'closed', 'falsepositive'] as const
export type VulnStatus = (typeof VULN_STATUSES)[number]

export function isVulnStatus(value: unknown): value is VulnStatus {
  return typeof value === 'string' && (VULN_STATUSES as readonly string[]).includes(value)
}
