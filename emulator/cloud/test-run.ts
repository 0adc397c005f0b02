/**
 * What a test run reads as at a moment: its evaluation (by the node that tests it: the simulated one or
 * a real one's reports) and the E3 object built from it (spec §E3, §2.T). The evaluation counts the
 * skipped baselines; the E3 object does not show them (the API has no such field), only
 * `GET /__emulator/state` does.
 */
import { evaluateReported } from './reported-checks.js'
import { evaluateSimulated } from './simulated-node.js'
import type { EvalContext, Evaluation, StoredRun } from './types.js'
import { CLIENT_ID } from './vuln-object.js'
import type { WireTestRun as TestRun, WireVulnSummary as VulnSummary } from '../wire.js'

const DEFAULT_POLICY_ID = 1

function seconds(ms: number): number {
  return Math.floor(ms / 1000)
}

/** The run at `now`, by its node; baselines skipped (duplicate, excluded) count apart, in no check. */
export function evaluateRun(ctx: EvalContext, run: StoredRun, now: number): Evaluation {
  const ev = run.driven ? evaluateReported(ctx, run, now) : evaluateSimulated(ctx, run, now)
  for (const rb of run.baselines) {
    if (rb.arrivedAt > (ev.terminalAt ?? now)) continue
    if (rb.skipped === 'duplicate') ev.counts.duplicate++
    else if (rb.skipped === 'excluded') ev.counts.excluded++
  }
  return ev
}

function allowedActions(ev: Evaluation): string[] {
  // Values undocumented (spec §6.1); these names are the emulator's choice.
  if (ev.terminalAt !== null) return []
  if (ev.state === 'cloning') return ['interrupt']
  const actions = ev.state === 'paused' ? ['continue', 'interrupt'] : ['pause', 'interrupt']
  if (ev.recording) actions.push('stop_recording')
  return actions
}

/** The E3 object of the run, from its evaluation. */
export function testRunObject(run: StoredRun, ev: Evaluation, omitReadyForRecording: boolean): TestRun {
  const vulns: VulnSummary[] = ev.found.map((f) => ({
    id: f.vuln.id,
    threat: f.vuln.spec.threat,
    code: f.vuln.spec.code ?? '',
    type: f.vuln.spec.type
  }))
  const c = ev.counts
  const allTerminated = c.passed + c.fail + c.techFail + c.interrupted
  const body: TestRun = {
    id: run.id,
    name: run.name,
    desc: run.desc,
    clientid: CLIENT_ID,
    state: ev.state,
    // simple_state: values undocumented (spec §6.3); equals state as in the only example.
    simple_state: ev.state,
    allowed_actions: allowedActions(ev),
    test_record_id: run.recordId,
    recording: ev.recording,
    // A copy never records: ready_for_recording stays false for it (spec §6.5 gap).
    ready_for_recording: run.kind === 'record' && ev.ready,
    node_active: ev.ready,
    node_id: run.nodeId,
    policy_id: run.settings.policy_id ?? DEFAULT_POLICY_ID,
    policy_name: run.settings.policy_id === null ? 'Default Policy' : `Policy #${run.settings.policy_id}`,
    vulns,
    baseline_count: allTerminated + c.running + c.waiting + c.duplicate + c.excluded,
    baseline_check_all_terminated_count: allTerminated,
    baseline_check_fail_count: c.fail,
    baseline_check_tech_fail_count: c.techFail,
    baseline_check_passed_count: c.passed,
    baseline_check_running_count: c.running,
    baseline_check_interrupted_count: c.interrupted,
    baseline_check_waiting_count: c.waiting,
    finished_checks_count: allTerminated,
    sended_requests_count: ev.sent,
    // Cumulative: every test request planned for the baselines so far, sent or not. The docs' finished
    // example shows planing == sended (70/70), which a "remaining" count would not (spec §E3).
    planing_requests_count: ev.planned,
    current_rps: ev.currentRps,
    avg_rps: ev.avgRps,
    estimated_time_to_completion: ev.eta,
    start_time: seconds(run.createdAt),
    end_time: ev.terminalAt === null ? null : seconds(ev.terminalAt),
    domains: ev.domains,
    rps: run.settings.rps,
    rps_per_baseline: run.settings.rps_per_baseline,
    inactivity_timeout: run.kind === 'record' ? run.settings.inactivity_timeout : null,
    stop_on_first_fail: run.settings.stop_on_first_fail,
    skip_duplicated_baselines: run.settings.skip_duplicated_baselines,
    file_extensions_to_exclude: run.settings.file_extensions_to_exclude,
    type: 'node'
  }
  if (omitReadyForRecording) delete body.ready_for_recording
  return body
}
