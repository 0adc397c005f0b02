/**
 * The job summary (GITHUB_STEP_SUMMARY) as Markdown, in the order a reviewer reads it:
 * 1. the verdict, its reason, which failed (tests or scan), the triage counts, warnings;
 * 2. what counts (./counted.ts), and why expired entries count again;
 * 3. how to reproduce each counted finding: its redacted request and a curl command, collapsed;
 * 4. the findings set aside (known, ignored, triaged, out of scope, below min-threat), collapsed;
 * 5. API coverage (`openapi`, ./coverage-summary.ts);
 * 6. the matrix's legs, then what the tests sent and the test-run facts, collapsed.
 * Pure: the action layer writes it. Everything that came from the API is escaped (see markdown.ts), and
 * the result is kept under `maxBytes` by leaving whole rows and blocks out (never by cutting one in half).
 * Rows and items are rendered only while they could still fit, so 20,000 findings cost what fits, not
 * 20,000 rendered lines (issue 25: one step's memory).
 */
import { WAITED_CONCLUSIONS, type Conclusion } from '../common/constants.js'
import { formatDuration } from '../common/duration.js'
import { baselineTally } from '../verdict/gate.js'
import { isTerminalState } from '../wallarm/types.js'
import type { Coverage } from '../openapi/index.js'
import { countedColumns, reproduceBlocks, SEVERITY_BADGE } from './counted.js'
import { coverageRowCount, coverageSection, coverageUnknownLine } from './coverage-summary.js'
import { severityOf } from './findings.js'
import {
  code,
  details,
  escapeHtml,
  escapeMarkdown,
  escapeProse,
  link,
  safeUrl,
  truncate
} from './markdown.js'
import { atThreshold, countedFindings, type Finding, type RunReport, type ScanOutcome } from './model.js'
import { renderLegs } from './legs.js'
import {
  countedNotes,
  setAside,
  setAsideCounts,
  setAsideItem,
  triageLine,
  unlocatedNote,
  unobservedSection
} from './triage-summary.js'

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
  /** Rows of the counted findings shown in the open table; the rest go in a `<details>` block. Default 20. */
  top?: number
  /** Masked in every form in the exploit examples (the action's token and API token). */
  secrets?: ReadonlyArray<string | undefined> | undefined
  /** The API description (`openapi`, relative): with no coverage in the report, one line says it cannot be known. */
  openapi?: string | undefined
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
  const view = summaryView(report, opts, maxBytes)
  // Everything, if it fits; else whole blocks and rows are dropped, reproduction first, what counts last.
  const keeps: Keeps = {
    counted: view.counted.length,
    reproduce: view.reproduce.length,
    setAside: view.setAside.length,
    coverage: view.coverageRows
  }
  // Measured piece by piece: the search joins no rows, so trying a size copies nothing.
  const fits = (k: Keeps): boolean => size(assembleSummary(view, k)) <= maxBytes
  if (!fits(keeps)) {
    for (const key of ['reproduce', 'setAside', 'coverage', 'counted'] as const) {
      // The largest count of this section that fits, the earlier ones already cut (binary search).
      let lo = 0
      let hi = keeps[key]
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2)
        if (fits({ ...keeps, [key]: mid })) lo = mid
        else hi = mid - 1
      }
      keeps[key] = lo
      if (fits(keeps)) break
    }
  }
  const out = assembleSummary(view, keeps).join('')
  if (bytes(out) <= maxBytes) return out
  // Only when maxBytes is too small for even the head: the verdict line alone, then a byte cut.
  const minimal = `${verdictLine(report, opts)}\n\n${escapeProse(truncate(report.reason, 500))}\n`
  return bytes(minimal) <= maxBytes ? minimal : cutBytes(minimal, maxBytes)
}

interface Keeps {
  counted: number
  reproduce: number
  setAside: number
  coverage: number
}

/**
 * The summary's parts, rendered once; the size bound only chooses how many of each list to keep. The
 * lists hold only what could fit (rows while their bytes add up to at most `maxBytes`), the totals say
 * how many there are.
 */
interface SummaryView {
  head: string
  countedHeading: string
  countedHeader: string
  counted: string[]
  countedTotal: number
  countedTail: string
  top: number
  reproduce: string[]
  /** Counted findings with an example beyond the cap (never rendered). */
  reproduceCapped: number
  setAsideTitle: string
  setAside: string[]
  setAsideTotal: number
  setAsideTail: string
  coverage: Coverage | undefined
  coverageRows: number
  coverageUnknown: string
  tail: string
  runUrl: string | undefined
}

/** At most this many reproduction blocks in the summary (each up to {@link EXAMPLE_MAX_CHARS}). */
const MAX_REPRODUCE = 20
const EXAMPLE_MAX_CHARS = 4_000

function summaryView(report: RunReport, opts: SummaryOptions, maxBytes: number): SummaryView {
  const counted = countedFindings(report)
  const table = countedColumns(counted)
  const reproduce = reproduceBlocks(counted, MAX_REPRODUCE, {
    curl: true,
    secrets: opts.secrets,
    maxChars: EXAMPLE_MAX_CHARS
  })
  const aside = setAside(report)
  const asideItem = (f: Finding): string => setAsideItem(report, f, SEVERITY_BADGE[severityOf(f.threat)])
  return {
    head: renderHead(report, opts),
    countedHeading: countedHeading(report, counted.length),
    countedHeader: table.header,
    counted: renderWhileFits(counted, table.row, maxBytes),
    countedTotal: counted.length,
    countedTail: countedNotes(report),
    top: Math.max(0, opts.top ?? 20),
    reproduce: reproduce.blocks,
    reproduceCapped: reproduce.more,
    setAsideTitle:
      aside.length === 0
        ? ''
        : `${n(aside.length)} finding${aside.length === 1 ? '' : 's'} set aside: ${setAsideCounts(report, aside)}`,
    setAside: renderWhileFits(aside, asideItem, maxBytes),
    setAsideTotal: aside.length,
    setAsideTail: unobservedSection(report),
    coverage: report.coverage,
    coverageRows: report.coverage === undefined ? 0 : coverageRowCount(report.coverage),
    coverageUnknown:
      report.coverage === undefined && opts.openapi !== undefined && opts.openapi !== ''
        ? coverageUnknownLine(opts.openapi)
        : '',
    tail: renderTail(report, opts.now),
    runUrl: report.runUrl
  }
}

/**
 * The lines of the first findings, until their bytes add up to more than `maxBytes`: a summary within
 * `maxBytes` can hold no more of them, so the rest are only counted.
 */
function renderWhileFits<T>(items: readonly T[], render: (item: T) => string, maxBytes: number): string[] {
  const lines: string[] = []
  let size = 0
  for (const item of items) {
    if (size > maxBytes) break
    const line = render(item)
    lines.push(line)
    size += bytes(line)
  }
  return lines
}

/** The summary as pieces to join (rows are kept as they are, never copied): see {@link renderSummary}. */
function assembleSummary(v: SummaryView, keep: Keeps): string[] {
  const parts: string[][] = [[v.head]]
  const counted = renderCounted(v, keep.counted)
  if (counted.length > 0) parts.push(counted)
  if (v.reproduce.length > 0) {
    const shown = v.reproduce.slice(0, keep.reproduce)
    const cut = v.reproduce.length - shown.length
    const capped = v.reproduceCapped
    const where = `the JSON report (\`report-path\`) has them, redacted, and so does ${link('the test run in Wallarm', v.runUrl)}`
    const note: string[] = []
    if (capped > 0) note.push(`_The first ${MAX_REPRODUCE} are shown; ${where}._`)
    if (cut > 0)
      note.push(
        `_${n(cut)} of these were left out to keep this summary under GitHub’s size limit; ${where}._`
      )
    parts.push([['### How to reproduce', ...shown, ...note].join('\n\n')])
  }
  if (v.setAsideTotal > 0) {
    const shown = v.setAside.slice(0, keep.setAside)
    const left = v.setAsideTotal - shown.length
    const note =
      left === 0
        ? ''
        : `\n_${n(left)} more were left out to keep this summary under GitHub’s size limit; the JSON report lists them._\n`
    parts.push(['### Set aside\n\n', ...detailsParts(escapeHtml(v.setAsideTitle), [...shown, note])])
  }
  if (v.setAsideTail !== '') parts.push([v.setAsideTail])
  if (v.coverage !== undefined) parts.push([coverageSection(v.coverage, keep.coverage)])
  else if (v.coverageUnknown !== '') parts.push([v.coverageUnknown])
  if (v.tail !== '') parts.push([v.tail])
  const out: string[] = []
  for (const [i, part] of parts.entries()) {
    if (i > 0) out.push('\n\n')
    for (const piece of part) out.push(piece)
  }
  out.push('\n')
  return out
}

/** {@link details} as pieces: the body's pieces are kept as they are. */
function detailsParts(summary: string, body: string[]): string[] {
  return [`<details>\n<summary>${summary}</summary>\n\n`, ...trimEndNewlines(body), '\n\n</details>']
}

/** The pieces without the newlines that end their join (as `.replace(/\n+$/, '')` on the joined string). */
function trimEndNewlines(pieces: string[]): string[] {
  const out = pieces.slice()
  while (out.length > 0) {
    const last = (out.at(-1) ?? '').replace(/\n+$/, '')
    if (last !== '') {
      out[out.length - 1] = last
      break
    }
    out.pop()
  }
  return out
}

function countedHeading(report: RunReport, count: number): string {
  if (count > 0) return `### Findings that count (${n(count)})`
  if (report.findings.length > 0) return `No finding counts towards the gate${gateNote(report)}.`
  const finished = WAITED_CONCLUSIONS.includes(report.conclusion)
  return finished ? 'No vulnerabilities found.' : ''
}

/** `; those found are set aside below` */
function gateNote(report: RunReport): string {
  return report.findings.length === 1
    ? ': the one found is set aside below'
    : ': those found are set aside below'
}

function renderCounted(v: SummaryView, keep: number): string[] {
  if (v.countedHeading === '') return []
  if (v.countedTotal === 0) return [v.countedHeading]
  const kept = v.counted.slice(0, keep)
  const shown = Math.min(v.top, kept.length)
  const out = [`${v.countedHeading}\n\n`]
  if (shown > 0) out.push(v.countedHeader, ...kept.slice(0, shown))
  if (kept.length > shown) {
    const more = kept.length - shown
    out.push(
      '\n',
      ...detailsParts(`${n(more)} more finding${more === 1 ? '' : 's'} that count`, [
        v.countedHeader,
        ...kept.slice(shown)
      ]),
      '\n'
    )
  }
  const left = v.countedTotal - kept.length
  if (left > 0) {
    const where = link('the test run in Wallarm', v.runUrl)
    out.push(
      `\n> [!NOTE]\n> ${n(left)} of ${n(v.countedTotal)} findings that count were left out to keep this summary under ` +
        `GitHub’s size limit. The JSON report (\`report-path\`) lists them all, and so does ${where}.\n`
    )
  }
  if (v.countedTail !== '') out.push(`\n${v.countedTail}\n`)
  return trimEndNewlines(out)
}

export function verdictLine(report: RunReport, opts: Pick<SummaryOptions, 'heading'>): string {
  const v = VERDICTS[report.conclusion] ?? { emoji: '', label: String(report.conclusion) }
  const heading = escapeMarkdown(truncate(opts.heading ?? 'Wallarm FAST', 200))
  return `## ${v.emoji} ${heading}: ${v.label}`
}

/**
 * The verdict, its reason, which failed (tests or scan), the triage counts, warnings and notes: the part
 * that the comment shares.
 */
export function renderHead(
  report: RunReport,
  opts: Pick<SummaryOptions, 'heading'>,
  maxWarnings = MAX_WARNINGS
): string {
  const parts: string[] = [verdictLine(report, opts)]
  if (report.reason.trim() !== '') parts.push(escapeProse(truncate(report.reason, MAX_PROSE)))
  // scan mode: which failed, the tests or the scan.
  if (report.scan) parts.push(testsLine(report.scan, VERDICTS[report.conclusion]?.label ?? report.conclusion))
  const statuses = triageLine(report)
  if (statuses !== undefined) parts.push(statuses)

  const warnings = summaryWarnings(report)
  for (const w of warnings.slice(0, maxWarnings)) {
    parts.push(`> [!WARNING]\n> ${escapeProse(truncate(w, MAX_PROSE))}`)
  }
  if (warnings.length > maxWarnings) {
    parts.push(`_${warnings.length - maxWarnings} more warnings are in the log._`)
  }
  const unlocated = unlocatedNote(report)
  if (unlocated !== undefined) parts.push(`> [!NOTE]\n> ${unlocated}`)
  return parts.join('\n\n')
}

/** The matrix's legs (open), then what the tests sent and the test-run facts, collapsed. */
function renderTail(report: RunReport, now: Date | number | undefined): string {
  const parts: string[] = []
  if (report.matrix) parts.push(renderLegs(report.matrix))
  const traffic = report.scan?.trafficMarkdown?.trim()
  if (traffic) {
    // The section's own heading becomes the block's summary.
    const body = traffic.replace(/^### What the tests sent through the FAST node\s*\n+/, '')
    parts.push(details('What the tests sent through the FAST node', body))
  }
  const facts = renderFacts(report, now)
  if (facts !== '') parts.push(details('Test run facts', facts))
  const legs = report.matrix ? 1 : 0
  if (parts.length > legs) parts.splice(legs, 0, '### Test run')
  return parts.join('\n\n')
}

/** The run's facts as a definition-style list (`- **Policy:** Default Policy (104)`). */
function renderFacts(report: RunReport, now: Date | number | undefined): string {
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
    rows.push(['State', code(truncate(String(run.state), 50))])
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
  if (report.scan?.nodeLogPath) rows.push(['FAST node log', 'the `node-log-path` output'])
  return rows.map(([k, v]) => `- **${k}:** ${v}`).join('\n')
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

function n(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : '0'
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

function size(pieces: readonly string[]): number {
  let total = 0
  for (const piece of pieces) total += bytes(piece)
  return total
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

/** `Tests passed (exit code 0); scan failed.`: which failed, the tests, the scan, both or neither. */
export function testsLine(scan: ScanOutcome, scanConclusion: string): string {
  const exit = scan.testsExitCode
  const tests =
    exit === undefined
      ? scan.replayedRecordId !== undefined
        ? `No tests ran: test record ${scan.replayedRecordId} was replayed`
        : 'Tests did not run'
      : scan.testsCancelled
        ? `Tests cancelled (exit code ${exit})`
        : exit === 0
          ? 'Tests passed (exit code 0)'
          : `Tests failed (exit code ${exit})${scan.testsMustPass ? '' : ', not failing the step (tests-must-pass: false)'}`
  return `${tests}; scan ${escapeProse(scanConclusion)}.`
}
