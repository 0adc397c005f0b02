/**
 * The real node's reports (emulator/node/, through the private node link): the checks it sees to do, the
 * events it reports about them (a check started with its planned requests, requests sent, a check done
 * with its result and findings), and the run's counters read from those reports alone.
 */
import { finish, firstTerminal, newCounts, recordingEndsAt } from './run-progress.js'
import {
  FastApiError,
  type CheckEvent,
  type EvalContext,
  type Evaluation,
  type NodeCheck,
  type RunState,
  type StoredRun
} from './types.js'

/** The run's baselines as the node sees its work: the skipped ones say why they are not tested. */
export function nodeChecks(run: StoredRun): NodeCheck[] {
  return run.baselines.map((rb) => ({
    baseline_id: rb.baseline.id,
    seq: rb.baseline.seq,
    method: rb.baseline.method,
    url: rb.baseline.url,
    headers: rb.baseline.headers,
    body: rb.baseline.body,
    status: rb.skipped === null ? rb.check.status : `skipped_${rb.skipped}`
  }))
}

/**
 * Applies what the node reports, at `now`. A finding gets its vulnerability id from `newVulnId` (the
 * model's sequence). A baseline that is not a tested one of this run is 404.
 */
export function applyReport(
  run: StoredRun,
  events: CheckEvent[],
  now: number,
  newVulnId: () => number
): void {
  for (const e of events) {
    if (e.kind === 'sent') {
      if (Number.isInteger(e.n) && e.n > 0) run.sends.push({ at: now, n: e.n })
      continue
    }
    const rb = run.baselines.find((x) => x.baseline.id === e.baseline_id && x.skipped === null)
    if (!rb) throw new FastApiError(404, { error: 'baseline not in this run', value: e.baseline_id })
    if (e.kind === 'start') {
      rb.check.status = 'running'
      rb.check.startedAt = now
      rb.check.planned = Math.max(0, Math.floor(e.planned))
    } else {
      rb.check.status = e.result
      rb.check.startedAt ??= now
      rb.check.endedAt = now
      for (const spec of e.result === 'failed' ? (e.findings ?? []) : []) {
        rb.check.found.push({ vuln: { id: newVulnId(), spec }, foundAt: now })
      }
    }
  }
}

/**
 * A run tested by a real node (emulator/node/): the counters are what the node reported. It ends when
 * recording is over and every tested baseline's check is done, `failed` when a finding was reported;
 * with stop_on_first_fail at the first finding. Technical failures alone end it `passed` with
 * baseline_check_tech_fail_count > 0 (spec §6.1 Q4: tech_fail is a counter, never a state).
 */
export function evaluateReported(ctx: EvalContext, run: StoredRun, now: number): Evaluation {
  const tested = run.baselines.filter((rb) => rb.skipped === null)
  const findings = tested.flatMap((rb) => rb.check.found.map((f) => ({ rb, ...f })))
  const candidates: { at: number; state: RunState }[] = []
  if (run.settings.stop_on_first_fail && findings.length > 0) {
    candidates.push({ at: Math.min(...findings.map((f) => f.foundAt)), state: 'failed' })
  }
  const recEnd = recordingEndsAt(ctx, run)
  const open = tested.some((rb) => rb.check.endedAt === null)
  if (!open && run.readyAt !== Infinity) {
    const lastEnd = Math.max(recEnd, run.readyAt, ...tested.map((rb) => rb.check.endedAt ?? 0))
    candidates.push({ at: lastEnd, state: findings.length > 0 ? 'failed' : 'passed' })
  }
  const terminal = firstTerminal(run, candidates, now)
  const s = terminal ? terminal.at : now
  const counts = newCounts()
  let planned = 0
  for (const rb of tested) {
    if (rb.arrivedAt > s) continue
    counts.total++
    const c = rb.check
    if (c.startedAt !== null && c.startedAt <= s) planned += c.planned
    const status =
      c.endedAt !== null && c.endedAt <= s
        ? c.status
        : c.startedAt !== null && c.startedAt <= s
          ? 'running'
          : 'waiting'
    if (status === 'passed') counts.passed++
    else if (status === 'failed') counts.fail++
    else if (status === 'tech_fail') counts.techFail++
    else if (terminal) counts.interrupted++
    else if (status === 'running') counts.running++
    else counts.waiting++
  }
  const found = findings.filter((f) => f.foundAt <= s)
  const sentAt = (t: number): number => run.sends.reduce((n, x) => (x.at <= t ? n + x.n : n), 0)
  return finish(ctx, run, now, terminal, counts, sentAt, planned, found, recEnd)
}
