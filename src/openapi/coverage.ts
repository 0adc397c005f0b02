/**
 * API coverage: which operations of the description the tests' requests reached, recorded as baselines
 * and so attacked. Pure: the caller gives the requests (the hop's ledger, adapted), the findings and the
 * scope rule; this module gives the rows, the ratio, the gate's reason and the union over matrix legs.
 *
 * An operation is tested when at least one request to it was recorded as a baseline: FAST attacks the
 * baselines, nothing else. Deprecated operations and those the `exclude` rule covers are shown apart and
 * left out of the ratio.
 */
import type { Operation } from './load.js'
import type { Matcher } from './match.js'
import { withoutQuery } from './template.js'

/** Requests the tests sent through the node, aggregated by method and path. */
export interface SentRequest {
  method: string
  /** The request's path; a query string is ignored. */
  path: string
  count: number
  /** These requests were recorded as baselines by the node (so FAST attacked them). */
  recorded: boolean
}

/** Where a finding is (a Wallarm vulnerability's method and path). */
export interface FindingAt {
  method?: string | undefined
  path?: string | undefined
}

/** `never-sent`: no request; `not-recorded`: requests, but no baseline (never attacked either). */
export type OperationStatus = 'never-sent' | 'not-recorded' | 'tested'

export interface CoverageRow {
  method: string
  template: string
  operationId?: string | undefined
  /** Where the operation is defined: relative to the workspace, and its method key's line. */
  file: string
  line: number
  requests: number
  baselines: number
  findings: number
  status: OperationStatus
  deprecated: boolean
  /** The `exclude` rule covers the operation: out of scope. */
  excluded: boolean
}

/** Requests (and findings) that match no operation, or two at once. */
export interface UnmatchedRow {
  method: string
  path: string
  requests: number
  baselines: number
  findings: number
}

export interface TiedRow extends UnmatchedRow {
  /** The operations that tie, as `METHOD /template`. */
  operations: string[]
}

export interface Coverage {
  /** The API description's main file, relative to the workspace. */
  spec: string
  /** M: operations that count (neither deprecated nor excluded). */
  operations: number
  /** N: of those, the tested ones. */
  tested: number
  /** The operations that count: never attacked first (never sent, then sent but not recorded). */
  rows: CoverageRow[]
  /** Deprecated or excluded operations: shown apart, out of the ratio. */
  apart: CoverageRow[]
  /** Requests that match no operation: undocumented endpoints, most findings and requests first. */
  notInSpec: UnmatchedRow[]
  /** Rows of `notInSpec` left off to keep the report small. */
  notInSpecOmitted: number
  /** Requests that match two operations equally: counted for neither. */
  ties: TiedRow[]
}

export interface CoverageInput {
  matcher: Matcher
  /** The main file, relative to the workspace (ApiDescription.file). */
  spec: string
  requests: readonly SentRequest[]
  findings?: readonly FindingAt[] | undefined
  /** The scope rule (`exclude`), asked with the method and each server-prefixed template of an operation. */
  exclude?: ((method: string, path: string) => boolean) | undefined
}

/** How many "not in the spec" rows a report keeps; the rest are counted. */
export const MAX_UNMATCHED_ROWS = 200

const STATUS_ORDER: Record<OperationStatus, number> = { 'never-sent': 0, 'not-recorded': 1, tested: 2 }

export function computeCoverage(input: CoverageInput): Coverage {
  const rows = new Map<Operation, CoverageRow>()
  for (const op of input.matcher.operations) rows.set(op, newRow(op, input.exclude))
  const unmatched = new Map<string, UnmatchedRow>()
  const ties = new Map<string, TiedRow>()
  const countTo = (method: string, path: string): Counts => {
    const result = input.matcher.match(method, path)
    if (result.kind === 'operation') return rows.get(result.operation) as CoverageRow
    const key = `${method.toUpperCase()} ${withoutQuery(path)}`
    if (result.kind === 'tie') {
      const tied = ties.get(key) ?? {
        ...emptyUnmatched(method, path),
        operations: result.operations.map(opName)
      }
      ties.set(key, tied)
      return tied
    }
    const row = unmatched.get(key) ?? emptyUnmatched(method, path)
    unmatched.set(key, row)
    return row
  }
  for (const r of input.requests) {
    const counts = countTo(r.method, r.path)
    counts.requests += r.count
    if (r.recorded) counts.baselines += r.count
  }
  for (const f of input.findings ?? []) {
    if (f.method !== undefined && f.path !== undefined) countTo(f.method, f.path).findings++
  }
  return assemble(input.spec, [...rows.values()], [...unmatched.values()], [...ties.values()], 0)
}

/**
 * The union of the legs' coverages (a matrix): an operation counts as tested where any leg tested it.
 * Requests, baselines and findings are summed (each leg is a run of its own). Undefined for no legs.
 */
export function unionCoverage(legs: readonly Coverage[]): Coverage | undefined {
  const [first] = legs
  if (first === undefined) return undefined
  const rows = new Map<string, CoverageRow>()
  const unmatched = new Map<string, UnmatchedRow>()
  const ties = new Map<string, TiedRow>()
  for (const leg of legs) {
    for (const row of [...leg.rows, ...leg.apart]) {
      const key = opName(row)
      const known = rows.get(key)
      if (known) {
        add(known, row)
        known.deprecated ||= row.deprecated
        known.excluded ||= row.excluded
      } else rows.set(key, { ...row })
    }
    for (const row of leg.notInSpec) {
      const key = `${row.method} ${row.path}`
      add(
        unmatched.get(key) ?? setNew(unmatched, key, { ...row, requests: 0, baselines: 0, findings: 0 }),
        row
      )
    }
    for (const row of leg.ties) {
      const key = `${row.method} ${row.path}`
      add(ties.get(key) ?? setNew(ties, key, { ...row, requests: 0, baselines: 0, findings: 0 }), row)
    }
  }
  const omitted = legs.reduce((sum, leg) => sum + leg.notInSpecOmitted, 0)
  for (const row of rows.values()) row.status = statusOf(row)
  return assemble(first.spec, [...rows.values()], [...unmatched.values()], [...ties.values()], omitted)
}

/** `6 of 40 operations tested (15%)`. */
export function coverageLine(c: Coverage): string {
  const percent = c.operations === 0 ? '' : ` (${formatPercent(percentOf(c))}%)`
  return `${c.tested} of ${c.operations} operation${c.operations === 1 ? '' : 's'} tested${percent}`
}

/** How many operations a reason names before it says "and N more". */
const NAMED_UNTESTED = 5

/**
 * Why the coverage is below `min` (a percentage, `min-coverage`), naming the ratio and the first
 * untested operations; undefined when it is not. No operation that counts is below any positive `min`:
 * nothing was tested.
 */
export function belowMinCoverage(c: Coverage, min: number): string | undefined {
  if (min <= 0) return undefined
  if (c.operations === 0) {
    return `API coverage: no operation counts (all are deprecated or excluded), below min-coverage ${min}%.`
  }
  if (c.tested * 100 >= min * c.operations) return undefined
  const untested = c.rows.filter((r) => r.status !== 'tested').map(opName)
  const named = untested.slice(0, NAMED_UNTESTED).join(', ')
  const more = untested.length > NAMED_UNTESTED ? ` and ${untested.length - NAMED_UNTESTED} more` : ''
  return `API coverage ${coverageLine(c)}, below min-coverage ${min}%. Never attacked: ${named}${more}.`
}

/** `GET /users/{id}`: how an operation is named in rows and reasons. */
export function opName(op: { method: string; template: string }): string {
  return `${op.method} ${op.template}`
}

function percentOf(c: Coverage): number {
  return (c.tested * 100) / c.operations
}

/** Rounded down to a tenth, so that a ratio below a threshold never shows as the threshold. */
function formatPercent(p: number): string {
  const tenths = Math.floor(p * 10 + 1e-9) / 10
  return Number.isInteger(tenths) ? String(tenths) : tenths.toFixed(1)
}

type Counts = Pick<UnmatchedRow, 'requests' | 'baselines' | 'findings'>

function add(into: Counts, from: Counts): void {
  into.requests += from.requests
  into.baselines += from.baselines
  into.findings += from.findings
}

function setNew<T>(map: Map<string, T>, key: string, value: T): T {
  map.set(key, value)
  return value
}

function newRow(op: Operation, exclude: CoverageInput['exclude']): CoverageRow {
  const excluded =
    exclude !== undefined && op.prefixes.some((prefix) => exclude(op.method, `${prefix}${op.template}`))
  return {
    method: op.method,
    template: op.template,
    ...(op.operationId === undefined ? {} : { operationId: op.operationId }),
    file: op.file,
    line: op.line,
    requests: 0,
    baselines: 0,
    findings: 0,
    status: 'never-sent',
    deprecated: op.deprecated,
    excluded
  }
}

function emptyUnmatched(method: string, path: string): UnmatchedRow {
  return { method: method.toUpperCase(), path: withoutQuery(path), requests: 0, baselines: 0, findings: 0 }
}

function statusOf(row: Counts): OperationStatus {
  return row.baselines > 0 ? 'tested' : row.requests > 0 ? 'not-recorded' : 'never-sent'
}

function assemble(
  spec: string,
  all: CoverageRow[],
  unmatched: UnmatchedRow[],
  ties: TiedRow[],
  omitted: number
): Coverage {
  for (const row of all) row.status = statusOf(row)
  const counted = all.filter((r) => !r.deprecated && !r.excluded)
  counted.sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status])
  const byWeight = (a: UnmatchedRow, b: UnmatchedRow): number =>
    b.findings - a.findings || b.requests - a.requests || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  unmatched.sort(byWeight)
  return {
    spec,
    operations: counted.length,
    tested: counted.filter((r) => r.status === 'tested').length,
    rows: counted,
    apart: all.filter((r) => r.deprecated || r.excluded),
    notInSpec: unmatched.slice(0, MAX_UNMATCHED_ROWS),
    notInSpecOmitted: omitted + Math.max(0, unmatched.length - MAX_UNMATCHED_ROWS),
    ties: ties.sort(byWeight)
  }
}
