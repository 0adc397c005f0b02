/**
 * Coverage read back from a matrix leg's JSON report (`mode: summarize`). A leg's report is untrusted:
 * every field is checked for its type and size, and a report that does not hold a coverage the way
 * ./coverage.ts writes it is refused with the field that is wrong; the ratio and each row's status are
 * derived from the counts again, never read. The written form is the `Coverage`
 * object itself (plain data: `JSON.stringify` is its serialisation).
 */
import {
  MAX_UNMATCHED_ROWS,
  unionCoverage,
  type Coverage,
  type CoverageRow,
  type TiedRow,
  type UnmatchedRow
} from './coverage.js'

/** More rows than any API description of this world holds: a report with more is not ours. */
const MAX_ROWS = 20_000
const MAX_TEXT = 2_048

export class CoverageFormatError extends Error {
  override readonly name = 'CoverageFormatError'
}

/** @throws CoverageFormatError naming `where` and the field */
export function parseCoverage(value: unknown, where: string): Coverage {
  const fail = (field: string, expected: string): never => {
    throw new CoverageFormatError(`${where}: coverage field "${field}" ${expected}`)
  }
  const object = (v: unknown, field: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(field, 'must be an object')
  const list = (v: unknown, field: string, max: number): unknown[] =>
    Array.isArray(v) && v.length <= max ? v : fail(field, `must be a list of at most ${max} entries`)
  const str = (v: unknown, field: string): string =>
    typeof v === 'string' && v.length <= MAX_TEXT
      ? v
      : fail(field, `must be a text of at most ${MAX_TEXT} characters`)
  const count = (v: unknown, field: string): number =>
    Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, 'must be a whole number ≥ 0')
  const bool = (v: unknown, field: string): boolean =>
    typeof v === 'boolean' ? v : fail(field, 'must be true or false')

  const c = object(value, 'coverage')
  const counts = (
    o: Record<string, unknown>,
    at: string
  ): Pick<UnmatchedRow, 'requests' | 'baselines' | 'findings'> => ({
    requests: count(o.requests, `${at}.requests`),
    baselines: count(o.baselines, `${at}.baselines`),
    findings: count(o.findings, `${at}.findings`)
  })
  const row = (v: unknown, at: string): CoverageRow => {
    const o = object(v, at)
    return {
      method: str(o.method, `${at}.method`),
      template: str(o.template, `${at}.template`),
      ...(o.operationId === undefined ? {} : { operationId: str(o.operationId, `${at}.operationId`) }),
      file: str(o.file, `${at}.file`),
      line: count(o.line, `${at}.line`),
      ...counts(o, at),
      status: 'never-sent', // derived from the counts again below, never taken on trust
      deprecated: bool(o.deprecated, `${at}.deprecated`),
      excluded: bool(o.excluded, `${at}.excluded`)
    }
  }
  const unmatched = (v: unknown, at: string): UnmatchedRow => {
    const o = object(v, at)
    return { method: str(o.method, `${at}.method`), path: str(o.path, `${at}.path`), ...counts(o, at) }
  }
  const tied = (v: unknown, at: string): TiedRow => ({
    ...unmatched(v, at),
    operations: list(object(v, at).operations, `${at}.operations`, MAX_ROWS).map((s, i) =>
      str(s, `${at}.operations[${i}]`)
    )
  })
  const rows = list(c.rows, 'rows', MAX_ROWS).map((r, i) => row(r, `rows[${i}]`))
  const read: Coverage = {
    spec: str(c.spec, 'spec'),
    operations: 0,
    tested: 0,
    rows,
    apart: list(c.apart, 'apart', MAX_ROWS).map((r, i) => row(r, `apart[${i}]`)),
    notInSpec: list(c.notInSpec, 'notInSpec', MAX_UNMATCHED_ROWS).map((r, i) =>
      unmatched(r, `notInSpec[${i}]`)
    ),
    notInSpecOmitted: count(c.notInSpecOmitted, 'notInSpecOmitted'),
    ties: list(c.ties, 'ties', MAX_ROWS).map((r, i) => tied(r, `ties[${i}]`))
  }
  // The ratio, the statuses and the order are computed again from the counts, never read.
  return unionCoverage([read]) as Coverage
}
