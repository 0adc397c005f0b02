/**
 * API coverage (`openapi`) in the job summary and the pull-request comment: the ratio, the operations
 * never attacked first, the deprecated and excluded ones apart, and the requests the description does not
 * name. Where the step did not see the traffic it says so once; without `openapi` it says nothing. Pure.
 */
import { coverageLine, opName, type Coverage, type CoverageRow, type UnmatchedRow } from '../openapi/index.js'
import { code, details, escapeProse } from './markdown.js'

const STATUS_TEXT: Record<CoverageRow['status'], string> = {
  'never-sent': 'never sent',
  'not-recorded': 'sent, not recorded',
  tested: 'tested'
}

/** The one line for a step given `openapi` that did not see what the tests sent. */
export function coverageUnknownLine(spec: string): string {
  return (
    `**API coverage** of ${code(spec)} cannot be known here: this step did not see the requests the tests ` +
    'sent (`mode: scan` sees them, and summarize when its legs report them).'
  )
}

/** How many rows the section has (for the size bound): operations, then apart, then not in the spec. */
export function coverageRowCount(c: Coverage): number {
  return c.rows.length + c.apart.length + c.notInSpec.length
}

/**
 * The section with at most `keep` rows in all (untested operations first, then tested, then apart, then
 * not in the spec), and a note when rows were left out.
 */
export function coverageSection(c: Coverage, keep = Number.MAX_SAFE_INTEGER): string {
  let left = Math.max(0, keep)
  const take = <T>(rows: readonly T[]): T[] => {
    const out = rows.slice(0, left)
    left -= out.length
    return out
  }
  const untested = take(c.rows.filter((r) => r.status !== 'tested'))
  const tested = take(c.rows.filter((r) => r.status === 'tested'))
  const apart = take(c.apart)
  const unmatched = take(c.notInSpec)
  const shown = untested.length + tested.length + apart.length + unmatched.length

  const parts = [`### API coverage\n\n${coverageLine(c)} of ${code(c.spec)}.`]
  const neverAttacked = c.rows.filter((r) => r.status !== 'tested').length
  if (untested.length > 0) {
    parts.push(`Never attacked (${neverAttacked}):\n\n${operationTable(untested)}`)
  }
  if (tested.length > 0) {
    const count = c.rows.length - neverAttacked
    parts.push(details(`${count} tested operation${count === 1 ? '' : 's'}`, operationTable(tested)))
  }
  if (apart.length > 0) {
    const count = c.apart.length
    parts.push(
      details(
        `${count} deprecated or excluded operation${count === 1 ? '' : 's'} (not counted)`,
        operationTable(apart, true)
      )
    )
  }
  if (unmatched.length > 0) {
    const count = c.notInSpec.length + c.notInSpecOmitted
    parts.push(
      details(
        `${count} request path${count === 1 ? '' : 's'} not in the spec`,
        unmatchedTable(unmatched) +
          (c.notInSpecOmitted > 0 ? `\n\n_${c.notInSpecOmitted} more are in the JSON report._` : '')
      )
    )
  }
  if (c.ties.length > 0) {
    parts.push(
      `_${c.ties.length} request path${c.ties.length === 1 ? '' : 's'} matched two operations equally and counted for neither (the JSON report lists them)._`
    )
  }
  const total = coverageRowCount(c)
  if (shown < total) {
    parts.push(
      `_${total - shown} of ${total} coverage rows were left out to keep this summary under GitHub’s size limit; the JSON report (\`report-path\`) has them all._`
    )
  }
  return parts.join('\n\n')
}

/** How many operations the comment names before "and N more". */
const NAMED_IN_COMMENT = 5

/** The comment's short form: the ratio and the first operations never attacked. */
export function coverageShort(c: Coverage): string {
  const untested = c.rows.filter((r) => r.status !== 'tested')
  let text = `**API coverage:** ${coverageLine(c)} of ${code(c.spec)}.`
  if (untested.length > 0) {
    const named = untested.slice(0, NAMED_IN_COMMENT).map((r) => code(opName(r)))
    const more = untested.length > NAMED_IN_COMMENT ? ` and ${untested.length - NAMED_IN_COMMENT} more` : ''
    text += ` Never attacked: ${named.join(', ')}${more}.`
  }
  return text
}

function operationTable(rows: readonly CoverageRow[], withWhy = false): string {
  const lines = [
    '| Operation | operationId | Requests | Baselines | Findings | Status |',
    '| --- | --- | ---: | ---: | ---: | --- |'
  ]
  for (const r of rows) {
    const why = withWhy
      ? [r.deprecated ? 'deprecated' : '', r.excluded ? 'excluded' : ''].filter(Boolean)
      : []
    const status = why.length > 0 ? why.join(', ') : STATUS_TEXT[r.status]
    lines.push(
      `| ${code(opName(r), { table: true })} | ${r.operationId === undefined ? '' : code(r.operationId, { table: true })} | ${r.requests} | ${r.baselines} | ${r.findings} | ${escapeProse(status)} |`
    )
  }
  return lines.join('\n')
}

function unmatchedTable(rows: readonly UnmatchedRow[]): string {
  const lines = ['| Request | Requests | Baselines | Findings |', '| --- | ---: | ---: | ---: |']
  for (const r of rows) {
    lines.push(
      `| ${code(`${r.method} ${r.path}`, { table: true })} | ${r.requests} | ${r.baselines} | ${r.findings} |`
    )
  }
  return lines.join('\n')
}
