/**
 * What a run's progress reads as, whichever node tests it (the simulated one on the clock, or a real one
 * by its reports): when recording ends, which ending comes first, and the state, rates and ETA from the
 * counters. Times are clock ms; emulated durations are scaled by the model's timeScale.
 */
import type { EvalContext, Evaluation, RunState, StoredRun } from './types.js'

/** current_rps is "requests sent in the last 10 s divided by 10" (spec §2.T). */
const RATE_WINDOW_MS = 10_000

/** An emulated duration in clock ms. */
export function scaled(ctx: EvalContext, emulatedMs: number): number {
  return emulatedMs * ctx.timeScale
}

export function newCounts(): Evaluation['counts'] {
  return {
    total: 0,
    passed: 0,
    fail: 0,
    techFail: 0,
    interrupted: 0,
    running: 0,
    waiting: 0,
    duplicate: 0,
    excluded: 0
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

/** When recording ends by itself or by stop: the inactivity timer runs from the last baseline, or
 * from creation when none arrived (spec §3.2 rule 3, §6.12: "probably does"). It runs on the clock and
 * is not frozen by a pause (§6.12 gap: a pause only freezes testing). */
export function recordingEndsAt(ctx: EvalContext, run: StoredRun): number {
  if (run.kind === 'copy') return run.createdAt
  const last = run.baselines.at(-1)?.arrivedAt ?? run.createdAt
  const inactivity = last + scaled(ctx, run.settings.inactivity_timeout * 1000)
  return Math.min(inactivity, run.stopRequestedAt ?? Infinity)
}

/** The earliest ending (of the candidates, or the console's interrupt) that has come by `now`; null while the
 * run goes on. */
export function firstTerminal(
  run: StoredRun,
  candidates: { at: number; state: RunState }[],
  now: number
): { at: number; state: RunState } | null {
  if (run.interruptedAt !== null) candidates.push({ at: run.interruptedAt, state: 'interrupted' })
  let terminal: { at: number; state: RunState } | null = null
  for (const c of candidates) if (c.at <= now && (terminal === null || c.at < terminal.at)) terminal = c
  return terminal
}

/** State, rates and ETA, common to both kinds of node. */
export function finish(
  ctx: EvalContext,
  run: StoredRun,
  now: number,
  terminal: { at: number; state: RunState } | null,
  counts: Evaluation['counts'],
  sentAt: (t: number) => number,
  planned: number,
  found: Evaluation['found'],
  recEnd: number
): Evaluation {
  const s = terminal ? terminal.at : now
  const sentCount = sentAt(s)
  const domains = new Set<string>()
  for (const rb of run.baselines) if (rb.arrivedAt <= s) domains.add(rb.baseline.host)

  let state: RunState
  if (terminal) state = terminal.state
  else if (run.kind === 'copy' && now < run.cloningEnd) state = 'cloning'
  else if (run.pauses.some((p) => p.start <= now && (p.end === null || now < p.end))) state = 'paused'
  else state = 'running'

  // Rates: null during the first 10 (emulated) s and whenever the state is not running (spec §2.T);
  // avg_rps is also given for a finished run, over end_time − start_time (spec §6.1).
  let currentRps: number | null = null
  let avgRps: number | null = null
  let eta: number | null = null
  const window = scaled(ctx, RATE_WINDOW_MS)
  if (state === 'running' && now - run.createdAt >= window) {
    currentRps = round2((sentCount - sentAt(now - window)) / (window / 1000))
    avgRps = round2(sentCount / ((now - run.createdAt) / 1000))
    eta = estimate(ctx, planned, sentCount, currentRps)
  } else if (terminal && terminal.at > run.createdAt) {
    avgRps = round2(sentCount / ((terminal.at - run.createdAt) / 1000))
  }

  const recording = terminal === null && now < recEnd
  const readyAt = run.kind === 'copy' ? Math.max(run.cloningEnd, run.readyAt) : run.readyAt
  return {
    state,
    terminalAt: terminal ? terminal.at : null,
    recording,
    ready: Math.min(now, terminal?.at ?? Infinity) >= readyAt,
    counts,
    sent: sentCount,
    planned,
    currentRps,
    avgRps,
    eta,
    found,
    domains: [...domains]
  }
}

/**
 * Seconds to completion under the model's ETA reading (see ModelOptions.eta). `planned` is
 * cumulative (every test request planned so far, sent or not). Rounded up.
 */
function estimate(ctx: EvalContext, planned: number, sent: number, currentRps: number): number | null {
  if (ctx.eta === 'absent' || !(currentRps > 0)) return null
  const requests = ctx.eta === 'queued' ? planned : Math.max(0, planned - sent)
  return Math.ceil(requests / currentRps)
}
