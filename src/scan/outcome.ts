/**
 * What scan mode adds to a run's report: the tests' own result and what they sent. It decides, with
 * the scan's verdict, whether the step fails, and says in the summary which of the two failed. Pure.
 */
import type { GateDecision } from '../gate.js'
import { escapeProse } from '../report/markdown.js'

export interface ScanOutcome {
  /** The test command's exit code; undefined when it never ran (the node or the run failed first). */
  testsExitCode?: number
  /** The command was ended by a cancellation. */
  testsCancelled: boolean
  /** Whether failing tests fail the step (the tests-must-pass input). */
  testsMustPass: boolean
  /** The started node's log file; undefined with node-url. */
  nodeLogPath?: string
  /** The summary section of what the tests sent (table and diagnoses), when the command ran. */
  trafficMarkdown?: string
}

/** The gate's decision, with the tests' result joined in. */
export function withTests(decision: GateDecision, scan: ScanOutcome | undefined): GateDecision {
  const code = scan?.testsExitCode
  if (scan === undefined || code === undefined || code === 0) return decision
  const tests = scan.testsCancelled ? 'The tests were cancelled' : `The tests failed (exit code ${code})`
  const failed = decision.failed || scan.testsMustPass
  const scanPart = decision.failed ? `; and the scan: ${decision.reason}` : `; the scan: ${decision.reason}`
  const note = scan.testsMustPass ? '' : ' tests-must-pass is false, so only the scan decides.'
  return { ...decision, failed, reason: `${tests}${scanPart}${note}` }
}

/** The verdict in a few words: the conclusion, or, when failing tests fail the step, both results. */
export function verdictLabel(conclusion: string, scan: ScanOutcome | undefined): string {
  const code = scan?.testsExitCode
  if (scan === undefined || code === undefined || code === 0 || !scan.testsMustPass) return conclusion
  return `tests ${scan.testsCancelled ? 'cancelled' : 'failed'}, scan ${conclusion}`
}

/** The lines that say which failed — the tests, the scan, both or neither — then what the tests sent. */
export function renderScanSection(scan: ScanOutcome, scanConclusion: string): string {
  const code = scan.testsExitCode
  const tests =
    code === undefined
      ? 'not run'
      : scan.testsCancelled
        ? `cancelled (exit code ${code})`
        : code === 0
          ? 'passed (exit code 0)'
          : `failed (exit code ${code})${scan.testsMustPass ? '' : ', not failing the step (tests-must-pass: false)'}`
  const lines = [`| Tests | ${tests} |`, '| --- | --- |', `| Scan | ${escapeProse(scanConclusion)} |`]
  if (scan.nodeLogPath) lines.push(`| FAST node log | \`node-log-path\` output |`)
  return [lines.join('\n'), scan.trafficMarkdown ?? ''].filter((s) => s !== '').join('\n\n')
}
