/**
 * The job summary (GITHUB_STEP_SUMMARY) as Markdown: a verdict line, the reason, warnings as GitHub
 * alerts, an overview of the test run, and the vulnerabilities, highest threat first. Pure: the action
 * layer writes it. Everything that came from the API is escaped (see markdown.ts), and the result is
 * kept under `maxBytes` by leaving whole table rows out (never by cutting a table in half).
 */
import { WAITED_CONCLUSIONS, type Conclusion } from '../common/constants.js'
import { formatDuration } from '../common/duration.js'
import { baselineTally } from '../verdict/gate.js'
import { isTerminalState } from '../wallarm/types.js'
import { severityOf, typeTitle, type Severity } from './findings.js'
import { code, escapeMarkdown, escapeProse, link, safeUrl, truncate } from './markdown.js'
import { atThreshold, countedFindings, type Finding, type RunReport, type ScanOutcome } from './model.js'
import { renderLegs } from './legs.js'
import { statusCell, triageLine, triageSections, unlocatedNote } from './triage-summary.js'

export interface SummaryOptions {
  /** Upper bound of the result in UTF-8 bytes. Default 1,000,000: under GitHub's 1 MiB per step. */
  maxBytes?: number
  /** Title of the verdict line. Default `Wallarm FAST`; matrix legs may add their key. */
  heading?: string
  /**
   * The current wall-clock time (a Date, or milliseconds since the UNIX epoch as `Date.now()` gives),
   * for the duration of a run still running: the function reads no clock. A monotonic clock will not do.
   */
  now?: Date | number
  /** Vulnerability rows shown in the open table; the rest go in a `<details>` block. Default 20. */
  top?: number
}

export const DEFAULT_SUMMARY_MAX_BYTES = 1_000_000

const VERDICTS: Record<Conclusion, { emoji: string; label: string }> = {
  passed: { emoji: '✅', label: 'passed' },
  failed: { emoji: '❌', label: 'failed' },
  inconclusive: { emoji: '❔', label: 'inconclusive' },
  interrupted: { emoji: '⚠️', label: 'interrupted' },
  timeout: { emoji: '⏱️', label: 'timed out' },
  error: { emoji: '💥', label: 'error' },
  recording: { emoji: '⏺️', label: 'recording' },
  running: { emoji: '🔄', label: 'running' },
  skipped: { emoji: '⏭️', label: 'skipped' }
}

const SEVERITY_BADGE: Record<Severity, string> = {
  critical: '🟣 critical',
  high: '🔴 high',
  medium: '🟠 medium',
  low: '🟡 low'
}

/** Room kept for the "N left out" note and the closing tags when rows must be dropped. */
const RESERVE = 1024
const MAX_WARNINGS = 20
const MAX_PROSE = 2000

export const WARNING_NO_BASELINES =
  'No baselines were recorded, so nothing was tested. Check that the tests send their requests through ' +
  'the FAST node (`HTTP_PROXY` / `HTTPS_PROXY` of the test process point at the node, such as ' +
  '`http://fast:8080`) and that the node’s `ALLOWED_HOSTS` matches the host names the tests call.'

export const WARNING_INTERRUPTED =
  'The test run was interrupted before it finished. The usual cause: another test run started on the same ' +
  'FAST node, which runs one test run at a time and interrupts the current one for a new one. Give each ' +
  'concurrent job its own FAST node token, or serialise the jobs with a `concurrency` group. An ' +
  'interrupted run is not a pass.'

export const WARNING_TIMEOUT =
  'The wait timed out before the test run finished: this is not a pass. The run only goes on while its ' +
  'FAST node runs (a node started as a service container stops with the job). Raise `wait-timeout`, or ' +
  'make the run shorter (`rps`, `file-extensions-to-exclude`, fewer baselines).'

/** The warnings the summary shows: its own (no baselines, interrupted, timeout) first, then the report's, without duplicates. */
export function summaryWarnings(report: RunReport): string[] {
  const own: string[] = []
  const run = report.run
  if (
    run !== undefined &&
    (report.mode === 'record' || report.mode === 'stop' || report.mode === 'scan') &&
    run.recording === false &&
    run.baseline_count === 0
  ) {
    own.push(WARNING_NO_BASELINES)
  }
  if (report.conclusion === 'interrupted') own.push(WARNING_INTERRUPTED)
  if (report.conclusion === 'timeout') own.push(WARNING_TIMEOUT)
  return [...new Set([...own, ...report.warnings])]
}

export function renderSummary(report: RunReport, opts: SummaryOptions = {}): string {
  const maxBytes = opts.maxBytes ?? DEFAULT_SUMMARY_MAX_BYTES
  const head = renderHead(report, opts)
  const vulns = renderVulnerabilities(report, Math.max(0, opts.top ?? 20), maxBytes - bytes(head))
  const out = head + vulns
  if (bytes(out) <= maxBytes) return out
  // Only when maxBytes is too small for even the head: the verdict line alone, then a byte cut.
  const minimal = `${verdictLine(report, opts)}\n\n${escapeProse(truncate(report.reason, 500))}\n`
  return bytes(minimal) <= maxBytes ? minimal : cutBytes(minimal, maxBytes)
}

function verdictLine(report: RunReport, opts: SummaryOptions): string {
  const v = VERDICTS[report.conclusion] ?? { emoji: '', label: String(report.conclusion) }
  const heading = escapeMarkdown(truncate(opts.heading ?? 'Wallarm FAST', 200))
  return `## ${v.emoji} ${heading}: ${v.label}`
}

function renderHead(report: RunReport, opts: SummaryOptions): string {
  const parts: string[] = [verdictLine(report, opts)]
  // The counts by status lead, so the pull-request comment does too.
  const statuses = triageLine(report)
  if (statuses !== undefined) parts.push(statuses)
  if (report.reason.trim() !== '') parts.push(escapeProse(truncate(report.reason, MAX_PROSE)))

  const warnings = summaryWarnings(report)
  for (const w of warnings.slice(0, MAX_WARNINGS)) {
    parts.push(`> [!WARNING]\n> ${escapeProse(truncate(w, MAX_PROSE))}`)
  }
  if (warnings.length > MAX_WARNINGS) {
    parts.push(`_${warnings.length - MAX_WARNINGS} more warnings are in the log._`)
  }
  const unlocated = unlocatedNote(report)
  if (unlocated !== undefined) parts.push(`> [!NOTE]\n> ${unlocated}`)

  // scan mode: which failed, the tests or the scan, and what the tests sent.
  if (report.scan)
    parts.push(renderScanSection(report.scan, VERDICTS[report.conclusion]?.label ?? report.conclusion))

  const overview = renderOverview(report, opts.now)
  if (overview !== '') parts.push(overview)
  if (report.matrix) parts.push(renderLegs(report.matrix))
  return parts.join('\n\n') + '\n' + triageSections(report)
}

function renderOverview(report: RunReport, now: Date | number | undefined): string {
  const run = report.run
  const runId = run?.id ?? report.testRunId
  const recordId = run?.test_record_id ?? report.testRecordId
  if (run === undefined && runId === undefined && recordId === undefined) return ''

  const rows: Array<[string, string]> = []
  if (runId !== undefined || run !== undefined) {
    const name = run?.name !== undefined && run.name !== '' ? truncate(run.name, 200) : 'test run'
    const label = escapeMarkdown(name) + (runId !== undefined ? ` (${runId})` : '')
    const href = safeUrl(report.runUrl)
    rows.push(['Test run', href === undefined ? label : `[${label}](${href})`])
  }
  if (recordId !== undefined) rows.push(['Test record', String(recordId)])
  if (run !== undefined) {
    rows.push(['Policy', policyText(run.policy_name, run.policy_id)])
    rows.push(['State', code(truncate(String(run.state), 50), { table: true })])
    // Skipped baselines count in baseline_count and in no check counter: said, as a pass without checks is none.
    // So are interrupted ones (stop-on-first-fail): the API counts them as terminated, never tested.
    const { skipped, interrupted } = baselineTally(run)
    rows.push([
      'Baselines',
      `${n(run.baseline_count)} recorded, ${n(run.baseline_check_all_terminated_count - interrupted)} checked, ` +
        `${n(run.baseline_check_fail_count)} failed, ${n(run.baseline_check_tech_fail_count)} with technical failures` +
        (interrupted > 0 ? `, ${n(interrupted)} interrupted (not tested)` : '') +
        (skipped > 0 ? `, ${n(skipped)} skipped (excluded by file-extensions-to-exclude, or duplicates)` : '')
    ])
    const planned = run.planing_requests_count
    rows.push([
      'Requests sent',
      planned > run.sended_requests_count
        ? `${n(run.sended_requests_count)} of ${n(planned)} planned`
        : n(run.sended_requests_count)
    ])
    const duration = runDuration(run.start_time, run.end_time, isTerminalState(String(run.state)), now)
    if (duration !== undefined) rows.push(['Duration', duration])
  }
  rows.push(['Vulnerabilities', vulnCountText(report)])

  const [first, ...rest] = rows
  if (first === undefined) return ''
  const lines = [`| ${first[0]} | ${first[1]} |`, '| --- | --- |', ...rest.map(([k, v]) => `| ${k} | ${v} |`)]
  return lines.join('\n')
}

function policyText(name: string | undefined, id: number | undefined): string {
  const hasName = name !== undefined && name !== ''
  if (hasName && id !== undefined) return `${escapeMarkdown(truncate(name, 200))} (${id})`
  if (hasName) return escapeMarkdown(truncate(name, 200))
  if (id !== undefined) return String(id)
  return 'default policy'
}

function vulnCountText(report: RunReport): string {
  const counted = countedFindings(report).length
  const below = report.findings.filter((f) => !atThreshold(f, report.minThreat)).length
  const threshold = report.minThreat > 1 ? ` (threat ≥ ${report.minThreat})` : ''
  let text = counted === 0 ? `none${threshold}` : `${n(counted)}${threshold}`
  if (below > 0) text += `, ${n(below)} below the threshold (not counted)`
  // Until the run has finished, what was found is what was found so far.
  const finished =
    (report.run !== undefined && isTerminalState(report.run.state)) || report.matrix !== undefined
  return finished ? text : `${text} so far`
}

/** `end − start`, or `now − start` while the run runs; undefined when unknown. */
export function runDuration(
  start: number | null | undefined,
  end: number | null | undefined,
  terminal: boolean,
  now: Date | number | undefined
): string | undefined {
  if (start === null || start === undefined || !Number.isFinite(start)) return undefined
  if (end !== null && end !== undefined && Number.isFinite(end) && end >= start) {
    return formatDuration((end - start) * 1000)
  }
  if (!terminal && now !== undefined) {
    const nowMs = typeof now === 'number' ? now : now.getTime()
    const elapsed = Math.floor(nowMs / 1000) - start
    if (elapsed >= 0) return `${formatDuration(elapsed * 1000)} so far`
  }
  return undefined
}

interface Column {
  title: string
  align?: 'right'
  cell: (f: Finding, minThreat: number) => string
  /** Whether the column is shown at all: not when no finding has a value for it. */
  has?: (f: Finding) => boolean
}

const COLUMNS: Column[] = [
  {
    title: 'Severity',
    cell: (f, min) => SEVERITY_BADGE[severityOf(f.threat)] + (atThreshold(f, min) ? '' : ' (not counted)')
  },
  { title: 'Status', cell: statusCell, has: (f) => f.decision !== undefined },
  {
    title: 'Type',
    cell: (f) => {
      const title = typeTitle(f.type)
      const type = escapeMarkdown(truncate(f.type, 50))
      return title === f.type ? type : `${escapeMarkdown(title)} (${type})`
    }
  },
  { title: 'Threat', align: 'right', cell: (f) => String(f.threat) },
  {
    title: 'Code',
    cell: (f) => escapeMarkdown(truncate(f.code ?? '', 50)),
    has: (f) => f.code !== undefined
  },
  {
    title: 'Method',
    cell: (f) => escapeMarkdown(truncate(f.method ?? '', 20)),
    has: (f) => f.method !== undefined
  },
  {
    title: 'Domain',
    cell: (f) => escapeMarkdown(truncate(f.domain ?? '', 100)),
    has: (f) => f.domain !== undefined
  },
  {
    title: 'Path',
    cell: (f) => code(truncate(f.path ?? '', 200), { table: true }),
    has: (f) => f.path !== undefined
  },
  {
    title: 'Parameter',
    cell: (f) => code(truncate(f.parameter ?? '', 100), { table: true }),
    has: (f) => f.parameter !== undefined
  },
  {
    title: 'Legs',
    cell: (f) => escapeMarkdown(truncate((f.legs ?? []).join(', '), 300)),
    has: (f) => f.legs !== undefined
  }
]

function renderVulnerabilities(report: RunReport, top: number, budget: number): string {
  const findings = report.findings
  if (findings.length === 0) {
    const finished = WAITED_CONCLUSIONS.includes(report.conclusion)
    return finished ? '\n### Vulnerabilities\n\nNone found.\n' : ''
  }

  const columns = COLUMNS.filter((c) => c.has === undefined || findings.some(c.has))
  const header =
    `| ${columns.map((c) => c.title).join(' | ')} |\n` +
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |\n`
  // Rendered only while they could still fit: 20,000 findings are not all rendered to be cut (npm run bench).
  const rows: string[] = []
  for (let size = 0; rows.length < findings.length && size <= budget; size += bytes(rows.at(-1)!))
    rows.push(`| ${columns.map((c) => c.cell(findings[rows.length]!, report.minThreat)).join(' | ')} |\n`)

  const intro = '\n### Vulnerabilities\n\n'
  const detailsOpen = (count: number): string =>
    `\n<details>\n<summary>${n(count)} more vulnerabilities</summary>\n\n`
  const detailsClose = '\n</details>\n'

  // Everything, if it fits.
  if (rows.length === findings.length) {
    const all = assemble(intro, header, rows, top, rows.length, detailsOpen, detailsClose, '')
    if (bytes(all) <= budget) return all
  }

  // Else as many rows as fit, in order, with room kept for the note.
  let used =
    bytes(intro) + bytes(header) + bytes(detailsOpen(findings.length)) + bytes(header) + bytes(detailsClose)
  const room = budget - RESERVE
  let kept = 0
  for (const row of rows) {
    const size = bytes(row)
    if (used + size > room) break
    used += size
    kept++
  }
  if (kept === 0 && room < bytes(intro) + bytes(header)) return ''
  const left = findings.length - kept
  const where = link('the test run in Wallarm', report.runUrl)
  const note =
    `\n> [!NOTE]\n> ${n(left)} of ${n(findings.length)} vulnerabilities were left out to keep this summary under ` +
    `GitHub’s size limit. The JSON report (\`report-path\`) lists them all, and so does ${where}.\n`
  return assemble(intro, header, rows, top, kept, detailsOpen, detailsClose, note)
}

function assemble(
  intro: string,
  header: string,
  rows: string[],
  top: number,
  kept: number,
  detailsOpen: (count: number) => string,
  detailsClose: string,
  note: string
): string {
  const shown = Math.min(top, kept)
  let out = intro
  if (shown > 0) out += header + rows.slice(0, shown).join('')
  if (kept > shown)
    out += detailsOpen(kept - shown) + header + rows.slice(shown, kept).join('') + detailsClose
  return out + note
}

function n(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : '0'
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

/** The longest prefix of `s` within `max` UTF-8 bytes, not splitting a character. */
function cutBytes(s: string, max: number): string {
  let out = ''
  let size = 0
  for (const ch of s) {
    const b = bytes(ch)
    if (size + b > max) break
    out += ch
    size += b
  }
  return out
}

/** The lines that say which failed — the tests, the scan, both or neither — then what the tests sent. */
export function renderScanSection(scan: ScanOutcome, scanConclusion: string): string {
  const code = scan.testsExitCode
  const tests =
    code === undefined
      ? scan.replayedRecordId !== undefined
        ? `none: test record ${scan.replayedRecordId} replayed`
        : 'not run'
      : scan.testsCancelled
        ? `cancelled (exit code ${code})`
        : code === 0
          ? 'passed (exit code 0)'
          : `failed (exit code ${code})${scan.testsMustPass ? '' : ', not failing the step (tests-must-pass: false)'}`
  const lines = [`| Tests | ${tests} |`, '| --- | --- |', `| Scan | ${escapeProse(scanConclusion)} |`]
  if (scan.nodeLogPath) lines.push(`| FAST node log | \`node-log-path\` output |`)
  return [lines.join('\n'), scan.trafficMarkdown ?? ''].filter((s) => s !== '').join('\n\n')
}
