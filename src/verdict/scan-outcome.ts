/**
 * scan mode's tests in the verdict: with the scan's own decision, whether the step fails, and the verdict
 * in a few words when the two disagree. Pure.
 */
import type { ScanOutcome } from '../report/model.js'
import type { GateDecision } from './gate.js'

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
