/**
 * The committed baseline of known findings (`baseline-file`, JSON): read and checked before any API
 * call, merged with this run's findings, written for a later step or person to commit. The step never
 * commits it. Nothing is ever removed by a merge: an entry the run did not observe stays (a reused
 * record or a narrower test suite tests less; that is not a fix). The merge adds what the gate counted
 * or would count (new, expired and known findings), never an ignored, triaged or out-of-scope one: their
 * own rules decide again on every run, so an ignore entry's `expires` keeps its effect. One entry per
 * identity (./identity.ts: `/users/123` and `/users/456` are one): a file with two is refused, since
 * which one's reason and expiry apply would be a guess. A UTF-8 byte-order mark is accepted.
 *
 * ```json
 * { "version": 1,
 *   "entries": [ { "type": "sqli", "method": "GET", "domain": "shop.test", "path": "/search",
 *                  "parameter": "q", "first_seen": "2026-01-10", "last_seen": "2026-02-01",
 *                  "reason": "legacy search", "ticket": "SEC-12", "expires": "2026-03-31" } ] }
 * ```
 */
import { readFileSync } from 'node:fs'
import type { Finding } from '../report/model.js'
import { isDate } from './dates.js'
import { TriageFileError } from './errors.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import { describeIdentity, identityKey, identityOf, isLocated, type IdentityFields } from './identity.js'

export const BASELINE_VERSION = 1

export interface BaselineEntry extends IdentityFields {
  /** YYYY-MM-DD: the first run that found it. */
  first_seen: string
  /** YYYY-MM-DD: the last run that found it. */
  last_seen: string
  reason?: string | undefined
  ticket?: string | undefined
  /** YYYY-MM-DD: after that day the entry no longer covers its finding. */
  expires?: string | undefined
}

export interface Baseline {
  version: typeof BASELINE_VERSION
  entries: BaselineEntry[]
}

export const EMPTY_BASELINE: Baseline = { version: BASELINE_VERSION, entries: [] }

const IDENTITY_KEYS = ['type', 'method', 'domain', 'path', 'parameter', 'code'] as const
const ENTRY_KEYS = [...IDENTITY_KEYS, 'first_seen', 'last_seen', 'reason', 'ticket', 'expires'] as const

/** Reads `file`; a missing file is an empty baseline (`missing: true`, which the step says). */
export function readBaseline(file: string, shown = file): { baseline: Baseline; missing: boolean } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { baseline: EMPTY_BASELINE, missing: true }
    throw new TriageFileError(shown, undefined, `cannot be read (${(err as Error).message})`)
  }
  return { baseline: parseBaseline(text, shown), missing: false }
}

/** Checks a baseline's JSON text; the first problem is thrown with the entry's line. */
export function parseBaseline(raw: string, file: string): Baseline {
  // Editors on Windows start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  const text = raw.replace(/^\uFEFF/, '')
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new TriageFileError(file, undefined, `is not valid JSON (${(err as Error).message})`)
  }
  const fail = (index: number | undefined, problem: string): never => {
    throw new TriageFileError(file, index === undefined ? undefined : entryLine(text, index), problem)
  }
  if (!isRecord(data)) return fail(undefined, 'expected an object with "version" and "entries"')
  if (data.version !== BASELINE_VERSION) {
    return fail(undefined, `"version" is ${JSON.stringify(data.version)}: expected ${BASELINE_VERSION}`)
  }
  for (const key of Object.keys(data)) {
    if (key !== 'version' && key !== 'entries')
      fail(undefined, `unknown key "${key}": allowed are version, entries`)
  }
  if (!Array.isArray(data.entries)) return fail(undefined, '"entries" must be a list')
  const entries = data.entries.map((raw: unknown, i: number): BaselineEntry => {
    if (!isRecord(raw)) return fail(i, `entry ${i + 1} must be an object`)
    for (const key of Object.keys(raw)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(key))
        fail(i, `entry ${i + 1} has the unknown key "${key}": allowed are ${ENTRY_KEYS.join(', ')}`)
    }
    for (const key of ENTRY_KEYS) {
      const v = raw[key]
      if (v !== undefined && (typeof v !== 'string' || v.trim() === ''))
        fail(i, `entry ${i + 1}: "${key}" must be a non-empty string`)
    }
    if (raw.type === undefined) fail(i, `entry ${i + 1} has no "type" (the vulnerability type, such as sqli)`)
    for (const key of ['first_seen', 'last_seen', 'expires'] as const) {
      const v = raw[key]
      if (v === undefined && key !== 'expires') fail(i, `entry ${i + 1} has no "${key}" (a date, YYYY-MM-DD)`)
      if (typeof v === 'string' && !isDate(v))
        fail(i, `entry ${i + 1}: "${key}" is "${v}": expected a date written YYYY-MM-DD`)
    }
    const entry: Record<string, string> = {}
    for (const key of ENTRY_KEYS) if (typeof raw[key] === 'string') entry[key] = raw[key]
    return entry as unknown as BaselineEntry
  })
  const seen = new Map<string, number>()
  entries.forEach((e, i) => {
    const key = identityKey(e)
    const first = seen.get(key)
    if (first !== undefined)
      fail(
        i,
        `entries ${first + 1} and ${i + 1} have one identity, ${describeIdentity(identityOf(e))}` +
          ' (path segments that are ids count as {id}): keep one entry, with the reason, ticket and expires that apply'
      )
    seen.set(key, i)
  })
  return { version: BASELINE_VERSION, entries }
}

/**
 * The baseline entries by identity (parseBaseline refuses duplicates; the first would win, as it does
 * where the spec's templates, `resolve`, make two entries one).
 */
export function baselineIndex(
  baseline: Baseline,
  resolve?: PathTemplateResolver
): Map<string, BaselineEntry> {
  const index = new Map<string, BaselineEntry>()
  for (const e of baseline.entries) {
    const key = identityKey(e, resolve)
    if (!index.has(key)) index.set(key, e)
  }
  return index
}

/** The statuses the gate counts or would count (with `fail-on: vulnerabilities`): the baseline's own. */
const BASELINE_STATUSES: ReadonlySet<string> = new Set(['new', 'expired', 'known'])

/**
 * The entries plus this run's findings that the gate counted or would count: an entry found again gets
 * `last_seen` = `day`, a new identity a new entry under its path template (first and last seen `day`).
 * Every entry given is kept, with the reason, ticket and expiry people wrote. Left out: ignored, triaged
 * and out-of-scope findings and those whose ignore entry expired (their own rules decide every run), and
 * findings without a location (no entry could tell them apart: ./identity.ts). A finding without a
 * decision (no rules) is taken as new.
 * With `resolve` (`openapi`), identities are the spec's: a new entry records the operation's template
 * (`/v1/users/{userId}`), and an entry written before (`/v1/users/7`, `/v1/users/{id}`) is found again.
 * Sorted by identity, so the committed file's diff shows only what changed.
 */
export function mergeBaseline(
  baseline: Baseline,
  findings: readonly Finding[],
  day: string,
  resolve?: PathTemplateResolver
): Baseline {
  const entries = baseline.entries.map((e) => ({ key: identityKey(e, resolve), entry: { ...e } }))
  const byKey = new Map<string, BaselineEntry[]>()
  for (const { key, entry } of entries) byKey.set(key, [...(byKey.get(key) ?? []), entry])
  for (const f of findings) {
    if (!isLocated(f) || !BASELINE_STATUSES.has(f.decision?.status ?? 'new')) continue
    // Counted because its ignore entry expired: written here it would be `known` on the next run, and the
    // expiry would never take effect. The ignore entry stays the one rule that decides it.
    if (f.decision?.expiredFrom === 'ignore') continue
    const key = identityKey(f, resolve)
    const known = byKey.get(key)
    if (known) for (const e of known) e.last_seen = day > e.last_seen ? day : e.last_seen
    else {
      const entry: BaselineEntry = { ...identityOf(f, resolve), first_seen: day, last_seen: day }
      entries.push({ key, entry })
      byKey.set(key, [entry])
    }
  }
  const sorted = entries
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ entry }) => orderKeys(entry))
  return { version: BASELINE_VERSION, entries: sorted }
}

/** The file's text: two-space JSON, one key order, a final newline. */
export function formatBaseline(baseline: Baseline): string {
  return `${JSON.stringify(baseline, null, 2)}\n`
}

function orderKeys(e: BaselineEntry): BaselineEntry {
  const out: Record<string, string> = {}
  for (const key of ENTRY_KEYS) {
    const v = e[key]
    if (v !== undefined) out[key] = v
  }
  return out as unknown as BaselineEntry
}

/** The 1-based line of the `index`th object of `"entries"` (a good guess for formatted JSON). */
function entryLine(text: string, index: number): number | undefined {
  const start = text.indexOf('"entries"')
  if (start < 0) return undefined
  let depth = 0
  let seen = -1
  let inString = false
  for (let i = text.indexOf('[', start) + 1; i > 0 && i < text.length; i++) {
    const c = text.charAt(i)
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '{' || c === '[') {
      if (depth === 0 && ++seen === index) return text.slice(0, i).split('\n').length
      depth++
    } else if (c === '}' || c === ']') {
      if (depth === 0) return undefined
      depth--
    }
  }
  return undefined
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
