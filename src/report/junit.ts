/**
 * JUnit XML of a test run, for test-report actions: one test case per vulnerability that counts
 * (threat ≥ `min-threat`) as a `<failure>`, whether or not `fail-on` fails the step (the vulnerability
 * is there either way); one passing test case when there is none; and an `<error>` test case when the
 * run did not reach a verdict (interrupted, timed out, errored). Pure.
 */
import { countedFindings, setAsideFindings, statusLabel } from './model.js'
import type { Finding, RunReport } from './model.js'
import { findingUrl, severityOf, typeTitle } from './findings.js'
import { formatDuration } from '../common/duration.js'
import { redactExploit } from './redact.js'

interface TestCase {
  classname: string
  name: string
  failure?: { message: string; type: string; body: string }
  error?: { message: string; type: string; body: string }
  skipped?: { message: string }
}

export function buildJunit(report: RunReport): string {
  return [...junitPieces(report)].join('')
}

/**
 * The JUnit XML in pieces (the head, each test case, the tail), each ending in a newline: a file can be
 * written one piece at a time (../report/stream-write.ts), and a piece is masked whole.
 */
export function* junitPieces(report: RunReport): Generator<string> {
  const run = report.run
  const runName =
    run?.name !== undefined && run.name !== ''
      ? run.name
      : `test run ${run?.id ?? report.testRunId ?? ''}`.trim()
  const suiteName = `Wallarm FAST: ${runName}`
  const classPrefix = 'wallarm-fast'

  const counted = countedFindings(report)
  const setAside = setAsideFindings(report)
  // Known, ignored, triaged and out-of-scope findings: skipped, with the reason.
  const skippedCase = (f: Finding): TestCase => {
    const { failure, ...rest } = findingCase(f, report)
    const d = f.decision
    const why = [d && statusLabel(d.status), d?.reason, d?.ticket].filter((v) => v !== undefined)
    return { ...rest, skipped: { message: why.join(': ') || (failure?.message ?? '') } }
  }
  // The run's own case, after the findings'.
  let last: TestCase | undefined
  const c = report.conclusion
  if (c === 'timeout' || c === 'interrupted' || c === 'error' || c === 'inconclusive') {
    const what = {
      timeout: 'timed out',
      error: 'errored',
      interrupted: 'interrupted',
      inconclusive: 'inconclusive'
    }
    last = {
      classname: classPrefix,
      name: `Test run ${what[c]}`,
      error: { message: report.reason, type: c, body: [report.reason, ...report.warnings].join('\n\n') }
    }
  } else if (c === 'skipped' || c === 'recording' || c === 'running') {
    last = { classname: classPrefix, name: `Test run ${c}`, skipped: { message: report.reason } }
  } else if (counted.length === 0) {
    const threshold = report.minThreat > 1 ? ` at or above threat ${report.minThreat}` : ''
    last = { classname: classPrefix, name: `No vulnerabilities${threshold}` }
  }

  // Counted before any case is made: 20,000 test cases are rendered one at a time (npm run bench).
  const lastCases = last === undefined ? [] : [last]
  const tests = counted.length + setAside.length + lastCases.length
  const failures = counted.length + lastCases.filter((t) => t.failure !== undefined).length
  const errors = lastCases.filter((t) => t.error !== undefined).length
  const skipped = setAside.length + lastCases.filter((t) => t.skipped !== undefined).length
  const seconds = durationSeconds(run?.start_time, run?.end_time)
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds}"`
  const timestamp =
    run?.start_time !== null && run?.start_time !== undefined && Number.isFinite(run.start_time)
      ? ` timestamp="${new Date(run.start_time * 1000).toISOString().replace(/\.\d{3}Z$/, '')}"`
      : ''

  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>']
  lines.push(`<testsuites name="Wallarm FAST" ${counts}>`)
  lines.push(`  <testsuite name="${attr(suiteName)}" ${counts}${timestamp}>`)
  const props = properties(report)
  if (props.length > 0) {
    lines.push('    <properties>')
    for (const [k, v] of props) lines.push(`      <property name="${attr(k)}" value="${attr(v)}"/>`)
    lines.push('    </properties>')
  }
  yield lines.join('\n') + '\n'
  for (const f of counted) yield renderCase(findingCase(f, report)).join('\n') + '\n'
  for (const f of setAside) yield renderCase(skippedCase(f)).join('\n') + '\n'
  for (const t of lastCases) yield renderCase(t).join('\n') + '\n'
  yield '  </testsuite>\n</testsuites>\n'
}

function findingCase(f: Finding, report: RunReport): TestCase {
  const name = [f.type, f.method, f.path].filter((v) => v !== undefined).join(' ')
  const located = f.method !== undefined || f.path !== undefined || f.parameter !== undefined
  // Names stay the same from run to run (test history); only a finding with nothing but its type
  // (known from the run's summary) takes its id, so that two of them are not one test case.
  const full =
    (f.parameter === undefined ? name : `${name} [${f.parameter}]`) +
    (located ? '' : ` (vulnerability ${f.id})`)
  const details: Array<[string, string | number | undefined]> = [
    ['Type', typeTitle(f.type) === f.type ? f.type : `${typeTitle(f.type)} (${f.type})`],
    ['Threat', `${f.threat}/100 (${severityOf(f.threat)})`],
    ['Method', f.method],
    ['URL', findingUrl(f)],
    ['Parameter', f.parameter],
    ['Code', f.code],
    ['Vulnerability id', f.id],
    ['Found by legs', f.legs?.join(', ')],
    ['Status', f.status],
    ['Title', f.title],
    ['Description', f.description],
    // Recorded traffic: credentials masked, the finding's own parameter kept (./redact.ts).
    ['Exploit example', f.exploitExample && redactExploit(f.exploitExample, { parameter: f.parameter })],
    ['Test run', report.runUrl]
  ]
  return {
    classname: f.domain ?? f.type,
    name: full,
    failure: {
      message: `${typeTitle(f.type)}, threat ${f.threat} (${severityOf(f.threat)})`,
      type: f.type,
      body: details
        .filter((d): d is [string, string | number] => d[1] !== undefined)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')
    }
  }
}

function renderCase(t: TestCase): string[] {
  const open = `    <testcase classname="${attr(t.classname)}" name="${attr(t.name)}" time="0"`
  const detail = t.failure ?? t.error
  if (detail !== undefined) {
    const tag = t.failure !== undefined ? 'failure' : 'error'
    return [
      `${open}>`,
      `      <${tag} message="${attr(detail.message)}" type="${attr(detail.type)}">${text(detail.body)}</${tag}>`,
      '    </testcase>'
    ]
  }
  if (t.skipped !== undefined) {
    return [`${open}>`, `      <skipped message="${attr(t.skipped.message)}"/>`, '    </testcase>']
  }
  return [`${open}/>`]
}

function properties(report: RunReport): Array<[string, string]> {
  const run = report.run
  const out: Array<[string, string | number | undefined]> = [
    ['conclusion', report.conclusion],
    ['test-run-id', run?.id ?? report.testRunId],
    ['test-record-id', run?.test_record_id ?? report.testRecordId],
    ['state', run?.state],
    ['url', report.runUrl],
    ['min-threat', report.minThreat],
    ['baselines', run?.baseline_count],
    ['duration', durationText(run?.start_time, run?.end_time)]
  ]
  return out.filter((p): p is [string, string | number] => p[1] !== undefined).map(([k, v]) => [k, String(v)])
}

function durationSeconds(start: number | null | undefined, end: number | null | undefined): string {
  if (typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) return '0'
  return String(end - start)
}

function durationText(start: number | null | undefined, end: number | null | undefined): string | undefined {
  if (typeof start !== 'number' || typeof end !== 'number' || !(end >= start)) return undefined
  return formatDuration((end - start) * 1000)
}

/**
 * Characters XML 1.0 does not allow at all (control characters but tab, LF and CR; lone surrogates;
 * U+FFFE and U+FFFF): removed, since no escape can carry them.
 */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/gu

/** Element text: invalid characters removed, `&` and `<` and `>` escaped. */
export function xmlText(value: string): string {
  return value.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Attribute value (double-quoted): as `xmlText`, plus quotes, and tab/LF/CR as character references so they survive normalisation. */
export function xmlAttr(value: string): string {
  return xmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}

const attr = xmlAttr
const text = xmlText
