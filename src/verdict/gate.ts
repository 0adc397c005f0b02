/**
 * The gate: from what the flow concluded and the findings that count, whether the step fails, and the
 * one sentence that says why. Pure, so every combination is a unit test. The findings decide whatever
 * the API's state says: a `passed` run that lists vulnerabilities that count is `failed`.
 */
import { WAITED_CONCLUSIONS, type Conclusion, type FailOn, type Mode } from '../common/constants.js'
import { atThreshold, countedFindings, statusLabel, type Finding } from '../report/model.js'
import type { TestRun } from '../wallarm/types.js'

export interface GateInput {
  conclusion: Conclusion
  reason: string
  failOn: FailOn
  minThreat: number
  findings: Finding[]
  mode: Mode
  /** The run's counters, where there is a run: a pass must have tested something. */
  run?: Pick<TestRun, 'baseline_count' | 'baseline_check_tech_fail_count'> | undefined
  /** Percent of baselines (0..100) that may fail for technical reasons in a run that still passes. */
  techFailTolerance: number
}

export interface GateDecision {
  conclusion: Conclusion
  reason: string
  failed: boolean
  counted: number
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/**
 * Why a run that found nothing proves nothing, or undefined when its pass can be trusted. Wallarm's own CI
 * mode fails a run that "passed" with errors; a run that tested no baseline, or whose checks mostly could
 * not reach the application, is no pass either.
 */
export function untrustedPass(
  mode: Mode,
  run: GateInput['run'],
  techFailTolerance: number
): string | undefined {
  if (run === undefined) return undefined
  if (run.baseline_count === 0) {
    const recorded = mode === 'record' || mode === 'stop' || mode === 'scan'
    return recorded
      ? 'No baselines were recorded, so nothing was tested: check that the tests sent their requests through ' +
          "the FAST node's proxy and that their host is in the node's ALLOWED_HOSTS."
      : 'The test run has no baselines, so nothing was tested: check that its test record holds baselines.'
  }
  const techFailed = run.baseline_check_tech_fail_count
  if (techFailed > 0 && (techFailed * 100) / run.baseline_count > techFailTolerance) {
    return (
      `${plural(techFailed, 'baseline', 'baselines')} of ${run.baseline_count} could not be tested for technical ` +
      'reasons (the application was down, unreachable from the FAST node, or refused the test requests), more ' +
      `than tech-fail-tolerance ${techFailTolerance}% allows: check that the application is up and reachable ` +
      'from the node for the whole run, then run again.'
    )
  }
  return undefined
}

export function decide(input: GateInput): GateDecision {
  const counted = countedFindings(input).length
  let { conclusion, reason } = input
  if (conclusion === 'passed' && counted > 0) {
    // The findings decide, whatever the state says: a run that lists vulnerabilities has not passed.
    conclusion = 'failed'
    reason =
      `Testing found ${counted} ${fresh(input)}vulnerabilit${counted === 1 ? 'y' : 'ies'} at or above threat ${input.minThreat}, ` +
      'although the Wallarm API gave the test run the state passed.'
  } else if (conclusion === 'failed' && input.findings.length > 0 && counted === 0) {
    // The API failed the run, but every finding is below min-threat: for this step it is a pass.
    conclusion = 'passed'
    reason = `Testing found ${plural(input.findings.length, 'vulnerability', 'vulnerabilities')}, ${noneCounts(input)}.`
  } else if (conclusion === 'failed' && counted > 0) {
    reason = `Testing found ${plural(counted, `${fresh(input)}vulnerability`, `${fresh(input)}vulnerabilities`)} at or above threat ${input.minThreat}.`
  }
  if (conclusion === 'passed') {
    const untrusted = untrustedPass(input.mode, input.run, input.techFailTolerance)
    if (untrusted !== undefined) {
      conclusion = 'inconclusive'
      reason = `Inconclusive: ${untrusted}`
    }
  }
  // An error always fails; with fail-on: vulnerabilities, so does every end of a waited run but a pass.
  const failed =
    conclusion === 'error' ||
    (input.failOn !== 'never' && conclusion !== 'passed' && WAITED_CONCLUSIONS.includes(conclusion))
  return { conclusion, reason, failed, counted }
}

/** `new ` when only new findings count (fail-on: new-vulnerabilities). */
function fresh(input: GateInput): string {
  return input.failOn === 'new-vulnerabilities' ? 'new ' : ''
}

/** Why none of the findings counts: `all below min-threat 50`, or `none new: 2 known, 1 ignored`. */
function noneCounts(input: GateInput): string {
  const set = new Map<string, number>()
  for (const f of input.findings) {
    if (!atThreshold(f, input.minThreat) || f.decision === undefined) continue
    const label = statusLabel(f.decision.status)
    set.set(label, (set.get(label) ?? 0) + 1)
  }
  if (set.size === 0) return `all below min-threat ${input.minThreat}`
  const why = [...set].map(([label, n]) => `${n} ${label}`).join(', ')
  return `none that counts (${why})`
}
