/**
 * The gate: from what the flow concluded and the findings that count, whether the step fails, and the
 * one sentence that says why. Pure, so every combination is a unit test. The findings decide whatever
 * the API's state says: a `passed` run that lists vulnerabilities that count is `failed`.
 */
import { WAITED_CONCLUSIONS, type Conclusion, type FailOn, type Mode } from '../common/constants.js'
import { atThreshold, countedFindings, statusLabel, type Finding } from '../report/model.js'
import type { TestRun } from '../wallarm/types.js'

/** The run's counters the gate reads: every one the API gives about its baselines. */
export type RunCounters = Pick<
  TestRun,
  | 'baseline_count'
  | 'baseline_check_all_terminated_count'
  | 'baseline_check_passed_count'
  | 'baseline_check_fail_count'
  | 'baseline_check_tech_fail_count'
  | 'baseline_check_interrupted_count'
  | 'baseline_check_running_count'
  | 'baseline_check_waiting_count'
> & {
  /** Whether the node ends the run at its first finding: an extra of the API's object (spec §2.T), untrusted. */
  stop_on_first_fail?: unknown
}

export interface GateInput {
  conclusion: Conclusion
  reason: string
  failOn: FailOn
  minThreat: number
  findings: Finding[]
  mode: Mode
  /** The run's counters, where there is a run: a pass must have tested something. */
  run?: RunCounters | undefined
  /** Percent of the tested baselines (0..100) that may fail for technical reasons in a run that still passes. */
  techFailTolerance: number
  /** scan mode with test-record-id: the node replayed this record (a copy, as reuse mode makes), it recorded nothing. */
  replayedRecordId?: string | undefined
  /** The stop found the recording already ended: requests sent after that were not tested. */
  recordingEnded?: { requestsAfter?: number | undefined } | undefined
  /** The step's stop-on-first-fail input: what the run did when its object does not say. */
  stopOnFirstFail?: boolean | undefined
}

export interface GateDecision {
  conclusion: Conclusion
  reason: string
  failed: boolean
  counted: number
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/** The baselines by what became of them, from the API's counters (which never say "skipped" themselves). */
export function baselineTally(run: RunCounters): {
  recorded: number
  /** Checked to the end: clean, or with a vulnerability. */
  checked: number
  techFailed: number
  interrupted: number
  /** Not checked yet (the run has not finished). */
  unfinished: number
  /** Whose checks ended, one way or another. */
  tested: number
  /** Recorded but never tested: excluded by file-extensions-to-exclude, or duplicates of another baseline. */
  skipped: number
} {
  const checked = run.baseline_check_passed_count + run.baseline_check_fail_count
  const techFailed = run.baseline_check_tech_fail_count
  const interrupted = run.baseline_check_interrupted_count
  const unfinished = run.baseline_check_running_count + run.baseline_check_waiting_count
  const tested = Math.max(run.baseline_check_all_terminated_count, checked + techFailed + interrupted)
  const skipped = Math.max(0, run.baseline_count - tested - unfinished)
  return { recorded: run.baseline_count, checked, techFailed, interrupted, unfinished, tested, skipped }
}

/**
 * Why a run that found nothing proves nothing, or undefined when its pass can be trusted. Wallarm's own CI
 * mode fails a run that "passed" with errors; a run that tested no baseline, checked none to the end
 * (all skipped, all failed technically, whatever tech-fail-tolerance says), or whose checks mostly could
 * not reach the application, is no pass either. The reason names the counter that decided and what to do.
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
  const t = baselineTally(run)
  if (t.checked === 0) {
    const why: string[] = []
    if (t.skipped > 0) {
      why.push(
        `${plural(t.skipped, 'was', 'were')} skipped, not tested (baseline_count ${t.recorded} counts them, no ` +
          'baseline_check counter does): excluded by file-extensions-to-exclude, or duplicates of another ' +
          'baseline; check that file-extensions-to-exclude does not match the paths the tests request'
      )
    }
    if (t.techFailed > 0) {
      why.push(
        `${plural(t.techFailed, 'check', 'checks')} failed for technical reasons ` +
          `(baseline_check_tech_fail_count ${t.techFailed}; tech-fail-tolerance does not apply when nothing was ` +
          'checked): check that the application is up and reachable from the FAST node for the whole run'
      )
    }
    if (t.interrupted > 0) {
      why.push(
        `${plural(t.interrupted, 'check was', 'checks were')} interrupted ` +
          `(baseline_check_interrupted_count ${t.interrupted})`
      )
    }
    if (t.unfinished > 0) {
      why.push(
        `${plural(t.unfinished, 'check', 'checks')} had not finished (baseline_check_running_count and ` +
          'baseline_check_waiting_count)'
      )
    }
    return (
      `None of the ${plural(t.recorded, 'baseline', 'baselines')} was checked (baseline_check_passed_count and ` +
      `baseline_check_fail_count are 0), so nothing was tested: ${why.join('; ')}. Then run again.`
    )
  }
  const left = leftUnchecked(run, t)
  if (left !== undefined) return left
  if (t.techFailed > 0 && (t.techFailed * 100) / t.tested > techFailTolerance) {
    return (
      `${plural(t.techFailed, 'baseline', 'baselines')} of ${t.tested} tested could not be tested for technical ` +
      'reasons (baseline_check_tech_fail_count: the application was down, unreachable from the FAST node, or ' +
      `refused the test requests), more than tech-fail-tolerance ${techFailTolerance}% allows: check that the ` +
      'application is up and reachable from the node for the whole run, then run again.'
    )
  }
  return undefined
}

/** The run ended at a finding with stop-on-first-fail: the node may have stopped before the end. */
function stoppedAtFinding(run: RunCounters): boolean {
  return run.stop_on_first_fail === true && run.baseline_check_fail_count > 0
}

/**
 * Why a run whose node stopped before it had checked every baseline proves nothing of the rest, or
 * undefined when none was left. Left: the interrupted checks (stop-on-first-fail ends the run at the first
 * finding, whether or not it counts here) and those still running or waiting when the run ended; and, when
 * the node stopped at a finding, the baselines in no check counter, since the API does not say whether it
 * skipped them (duplicates, file-extensions-to-exclude) or never reached them (spec §6, gaps 4 and 16).
 */
function leftUnchecked(run: RunCounters, t: ReturnType<typeof baselineTally>): string | undefined {
  const atFinding = stoppedAtFinding(run)
  const unaccounted = atFinding ? t.skipped : 0
  const left = t.interrupted + t.unfinished + unaccounted
  if (left === 0) return undefined
  const counters: string[] = []
  if (t.interrupted > 0) counters.push(`baseline_check_interrupted_count ${t.interrupted}`)
  if (t.unfinished > 0) counters.push(`${t.unfinished} running or waiting`)
  if (unaccounted > 0) counters.push(`${unaccounted} in baseline_count but in no check counter`)
  const head = `${left} of the ${t.recorded} baselines ${left === 1 ? 'was' : 'were'} left unchecked (${counters.join(', ')})`
  if (atFinding) {
    return (
      `${head}: the node stopped at its first finding (stop-on-first-fail), which does not count here, and ` +
      'never tested the rest. Run without stop-on-first-fail for a gate that sets findings aside.'
    )
  }
  return (
    `${head}: their checks were interrupted or had not finished when the run ended, so they were never ` +
    'tested. Run again.'
  )
}

/**
 * Why a pass cannot be trusted when the recording had ended by itself before the stop: the requests sent
 * after it were proxied, not recorded, so not tested. Undefined when none were (counted, scan mode).
 */
function untestedAfterEnd(
  ended: GateInput['recordingEnded'],
  run: RunCounters | undefined
): string | undefined {
  if (ended === undefined) return undefined
  const n = ended.requestsAfter
  if (n === 0) return undefined
  const what =
    n === undefined
      ? 'requests sent after that were not recorded, and this step cannot see whether the tests sent any'
      : `${plural(n, 'request', 'requests')} to recorded hosts ${n === 1 ? 'was' : 'were'} sent after that, ` +
        'proxied but not recorded, so not tested'
  if (run !== undefined && stoppedAtFinding(run)) {
    return (
      'The node ended the test run at its first finding (stop-on-first-fail), which does not count here, and ' +
      `its recording with it, before the stop: ${what}. Run without stop-on-first-fail for a gate that sets ` +
      'findings aside.'
    )
  }
  return (
    `The recording ended by itself (inactivity-timeout, or the Wallarm console) before the stop: ${what}. ` +
    'Raise inactivity-timeout (up to 86400 s; scan mode uses that unless the input is set), or stop the ' +
    'recording right after the tests, then run again.'
  )
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
    // A replay recorded nothing: its empty run is an empty record, not traffic that missed the proxy.
    const mode = input.replayedRecordId !== undefined ? 'reuse' : input.mode
    const run = runWithSetting(input)
    const untrusted =
      untrustedPass(mode, run, input.techFailTolerance) ?? untestedAfterEnd(input.recordingEnded, run)
    if (untrusted !== undefined) {
      conclusion = 'inconclusive'
      // What was found and set aside stays said.
      reason = `Inconclusive: ${untrusted}${input.findings.length > 0 ? ` ${reason}` : ''}`
    }
  }
  // An error always fails; with fail-on: vulnerabilities, so does every end of a waited run but a pass.
  const failed =
    conclusion === 'error' ||
    (input.failOn !== 'never' && conclusion !== 'passed' && WAITED_CONCLUSIONS.includes(conclusion))
  return { conclusion, reason, failed, counted }
}

/** The run's counters, with the step's stop-on-first-fail where the API's object does not say. */
function runWithSetting(input: GateInput): RunCounters | undefined {
  const { run } = input
  if (run === undefined || typeof run.stop_on_first_fail === 'boolean' || input.stopOnFirstFail === undefined)
    return run
  return { ...run, stop_on_first_fail: input.stopOnFirstFail }
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
