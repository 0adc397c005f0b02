/**
 * The simulated FAST node: what a node without a process behind it does, computed from timestamps. It
 * decides by the vuln rule whether a recorded request is vulnerable, plans 30..70 test requests per
 * baseline, and checks the tested baselines one at a time, in arrival order, at the run's rate; a pause
 * freezes the checks (the run's "effective" time stops), recording goes on. Nothing runs on a timer:
 * `evaluateSimulated` reads the run at any clock time.
 */
import { finish, firstTerminal, newCounts, recordingEndsAt, scaled } from './run-progress.js'
import type {
  EmulatedVuln,
  EvalContext,
  Evaluation,
  RunBaseline,
  RunState,
  Settings,
  StoredRun,
  VulnRuleInput
} from './types.js'

/** Emulated test-request rate of the node when neither `rps` nor `rps_per_baseline` caps it. */
const NODE_RATE = 10

/** Test requests per emulated second: checks are sequential (one baseline at a time, in order), so
 * rps and rps_per_baseline cap the same rate. */
export function nodeRate(settings: Settings): number {
  return Math.min(NODE_RATE, settings.rps ?? Infinity, settings.rps_per_baseline ?? Infinity)
}

/** The default rule: anything whose path or query mentions "vulnerable" has an SQL injection. */
export function defaultVulnRule(req: VulnRuleInput): EmulatedVuln | null {
  return req.path.includes('vulnerable') || req.query.includes('vulnerable')
    ? { type: 'sqli', threat: 80, code: 'S0001' }
    : null
}

/**
 * A rule that finds an `sqli` (threat 80) on every request to one of these paths, on the first query
 * parameter: what the CLI's --vulnerable-path sets up, e.g. for the sample app's injectable search.
 */
export function vulnerablePathsRule(paths: readonly string[]): (req: VulnRuleInput) => EmulatedVuln | null {
  return (req) => {
    if (!paths.includes(req.path)) return null
    const parameter = new URLSearchParams(req.query.replace(/^\?/, '')).keys().next().value
    return { type: 'sqli', threat: 80, code: 'S0001', ...(parameter ? { parameter } : {}) }
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** 30..70 planned test requests, deterministic from the request. */
export function plannedRequestsFor(b: { method: string; url: string; body: string }): number {
  return 30 + (fnv1a(`${b.method} ${b.url}\n${b.body}`) % 41)
}

interface ScheduledCheck {
  rb: RunBaseline
  /** In the run's "effective" time: clock time minus the time spent paused. */
  startE: number
  endE: number
}

/** Clock time minus the time spent paused up to t. */
function eff(run: StoredRun, t: number): number {
  let paused = 0
  for (const p of run.pauses) {
    if (p.start >= t) break
    paused += Math.min(t, p.end ?? Infinity) - p.start
  }
  return t - paused
}

/** The first clock time (outside any pause) at which the run's effective time reaches e. */
function wallAt(run: StoredRun, e: number): number {
  let t = e
  for (const p of run.pauses) {
    if (p.start > t) break
    if (p.end === null) return Infinity
    t += p.end - p.start
  }
  return t
}

function msPerRequest(ctx: EvalContext, run: StoredRun): number {
  return scaled(ctx, 1000 / run.rate)
}

/** The check schedule of the tested baselines: one at a time, in arrival order. */
function schedule(ctx: EvalContext, run: StoredRun): ScheduledCheck[] {
  const per = msPerRequest(ctx, run)
  const testingStartE = eff(run, run.kind === 'copy' ? run.cloningEnd : run.readyAt)
  let prevEnd = -Infinity
  const out: ScheduledCheck[] = []
  for (const rb of run.baselines) {
    if (rb.skipped !== null) continue
    const startE = Math.max(eff(run, rb.arrivedAt), prevEnd, testingStartE)
    const endE = startE + rb.planned * per
    out.push({ rb, startE, endE })
    prevEnd = endE
  }
  return out
}

/** Test requests sent by the run's effective time tE. */
function sentUpTo(ctx: EvalContext, run: StoredRun, sched: ScheduledCheck[], tE: number): number {
  const per = msPerRequest(ctx, run)
  let n = 0
  for (const c of sched) {
    if (tE <= c.startE) continue
    n += per <= 0 ? c.rb.planned : Math.min(c.rb.planned, Math.floor((tE - c.startE) / per))
  }
  return n
}

/** The simulated node: checks run one after another on the clock, and the vuln rule decides. */
export function evaluateSimulated(ctx: EvalContext, run: StoredRun, now: number): Evaluation {
  const sched = schedule(ctx, run)
  const anyVuln = sched.some((c) => c.rb.vuln !== null)

  // When does the run end, and how?
  const candidates: { at: number; state: RunState }[] = []
  if (run.settings.stop_on_first_fail) {
    // Spec §3.2: "failed" at the first vulnerability, found when that baseline's check completes.
    const first = sched.find((c) => c.rb.vuln !== null)
    if (first) candidates.push({ at: wallAt(run, first.endE), state: 'failed' })
  }
  const recEnd = recordingEndsAt(ctx, run)
  const lastEndE = sched.at(-1)?.endE ?? -Infinity
  const testingStartE = eff(run, run.kind === 'copy' ? run.cloningEnd : run.createdAt)
  // Natural end: recording over AND nothing waiting or running (spec §3.2 rules 2 and 4). A run that
  // stops recording with zero baselines ends `passed` (spec §6.4 gap: no vulnerability was found).
  const naturalAt = wallAt(run, Math.max(eff(run, recEnd), lastEndE, testingStartE))
  candidates.push({ at: naturalAt, state: anyVuln ? 'failed' : 'passed' })
  const terminal = firstTerminal(run, candidates, now)

  const s = terminal ? terminal.at : now
  const sE = eff(run, s)
  const counts = newCounts()
  const found: Evaluation['found'] = []
  let planned = 0
  for (const c of sched) {
    if (c.rb.arrivedAt > s) continue
    counts.total++
    planned += c.rb.planned
    if (c.endE <= sE) {
      if (c.rb.vuln) {
        counts.fail++
        found.push({ rb: c.rb, vuln: c.rb.vuln, foundAt: wallAt(run, c.endE) })
      } else counts.passed++
    } else if (terminal) counts.interrupted++
    else if (c.startE <= sE) counts.running++
    else counts.waiting++
  }
  const sentAt = (t: number): number => sentUpTo(ctx, run, sched, eff(run, t))
  return finish(ctx, run, now, terminal, counts, sentAt, planned, found, recEnd)
}
