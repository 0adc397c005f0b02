/**
 * The pull-request comment: the short form of the job summary (./summary.ts), in the same order:
 * 1. the verdict, its reason, which failed (tests or scan), the triage counts, warnings;
 * 2. what counts, the same table, capped;
 * 3. how to reproduce, collapsed: the redacted request only (the summary adds a curl command);
 * 4. one line counting the findings set aside;
 * 5. the API coverage line and the first operations never attacked;
 * 6. a link to the job summary for the rest.
 * A comment is public: exploit examples are redacted (./redact.ts) and the given secrets masked.
 * ../github/comment.ts adds the marker and cuts the body to GitHub's limit as the last guard. Pure.
 */
import { WAITED_CONCLUSIONS } from '../common/constants.js'
import { countedTable, reproduceBlocks } from './counted.js'
import { coverageShort, coverageUnknownLine } from './coverage-summary.js'
import { link, safeUrl } from './markdown.js'
import { countedFindings, type RunReport, type WorkflowContext } from './model.js'
import { renderHead, type SummaryOptions } from './summary.js'
import { setAside, setAsideCounts } from './triage-summary.js'

export interface CommentOptions extends Pick<SummaryOptions, 'heading' | 'secrets' | 'openapi'> {
  /** Counted rows in the table; the rest are in the job summary. Default 10. */
  maxRows?: number
  /** Reproduction blocks. Default 5. */
  maxExamples?: number
}

const EXAMPLE_MAX_CHARS = 1_500
const MAX_WARNINGS = 5

/** The run's page, where the job summary is: for this attempt when the attempt is known. */
export function jobSummaryUrl(context: WorkflowContext): string | undefined {
  const { serverUrl, repository, runId, runAttempt } = context
  if (!serverUrl || !repository || !runId) return undefined
  const url = `${serverUrl.replace(/\/+$/, '')}/${repository}/actions/runs/${runId}`
  return safeUrl(runAttempt ? `${url}/attempts/${runAttempt}` : url)
}

export function renderComment(report: RunReport, opts: CommentOptions = {}): string {
  const parts = [renderHead(report, opts, MAX_WARNINGS)]
  const summary = link('job summary', jobSummaryUrl(report.context))

  const counted = countedFindings(report)
  const maxRows = opts.maxRows ?? 10
  if (counted.length > 0) {
    const table = countedTable(counted.slice(0, maxRows))
    const left = counted.length - maxRows
    parts.push(
      `### Findings that count (${counted.length})\n\n${table.header}${table.rows.join('').trimEnd()}` +
        (left > 0 ? `\n\n_${left} more findings that count are in the ${summary}._` : '')
    )
    // Only the blocks shown are rendered: the rest are in the job summary and the JSON report.
    const { blocks } = reproduceBlocks(counted, opts.maxExamples ?? 5, {
      curl: false,
      secrets: opts.secrets,
      maxChars: EXAMPLE_MAX_CHARS
    })
    if (blocks.length > 0) parts.push(['**How to reproduce:**', ...blocks].join('\n\n'))
  } else if (report.findings.length === 0 && WAITED_CONCLUSIONS.includes(report.conclusion)) {
    parts.push('No vulnerabilities found.')
  }

  const aside = setAside(report)
  if (aside.length > 0) {
    parts.push(
      `_${aside.length} finding${aside.length === 1 ? '' : 's'} set aside (${setAsideCounts(report, aside)}): see the ${summary}._`
    )
  }
  if (report.coverage !== undefined) parts.push(coverageShort(report.coverage))
  else if (opts.openapi) parts.push(coverageUnknownLine(opts.openapi))

  const rest = [
    counted.some((f) => f.exploitExample) ? 'curl commands to reproduce' : '',
    aside.length > 0 ? 'the findings set aside' : '',
    report.coverage !== undefined ? 'every operation’s coverage' : '',
    report.scan?.trafficMarkdown ? 'what the tests sent' : '',
    report.matrix !== undefined ? 'the legs' : '',
    'the test-run facts'
  ].filter((s) => s !== '')
  parts.push(
    `The ${summary} has the rest: ${rest.slice(0, -1).join(', ')}${rest.length > 1 ? ' and ' : ''}${rest.at(-1)}.`
  )
  return parts.join('\n\n') + '\n'
}
