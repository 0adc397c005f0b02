/**
 * Waiting on a test run: adaptive, pure polling with an injectable clock, sleep and randomness, so tests
 * and the benchmark run it on a virtual clock. No `@actions/core`: progress and errors are reported
 * through callbacks.
 *
 * The delay between two status requests ({@link nextDelay}):
 *
 * 1. After a failed request: exponential backoff, `min × 2^(n−1)` for the n-th consecutive failure.
 * 2. While the run records (`recording: true`) it cannot finish, whatever its estimate says, so the
 *    delay only ramps: `min × k`, k being the number of requests since the run's phase (state or
 *    `recording`) last changed: 1 s, 2 s, 3 s… A change (cloning → running, recording stopped) restarts
 *    the ramp, so the end of recording is followed closely.
 * 3. With `estimated_time_to_completion` (seconds, non-null only while checks run) or the request
 *    counters: `0.75 × ` the smaller of the estimate, first corrected by how fast it really falls
 *    between two requests (see calibratedEta), and `(planing − sended) / current_rps` (see
 *    requestsEstimate). The API's ETA is read two ways and may be absent, so neither is
 *    trusted alone; an under-estimate only costs a request. Each request lands before the estimated end
 *    and the gap shrinks geometrically on it (a 40 s estimate is polled at 30 s, 7.5 s, 1.9 s, then at
 *    the minimum), so the end is noticed within about the minimum interval, with few requests on long
 *    runs.
 * 4. Without an estimate but with baseline progress since the phase began (at least 5 s of it):
 *    `0.75 × remaining baselines / observed rate`, and never more than the ramp.
 * 5. Otherwise the ramp.
 *
 * Then: clamped to [min, max], ±10 % jitter (clamped again, so max is never exceeded), and never past
 * the deadline: the last request happens at the deadline.
 */
import { sleep as realSleep, systemClock, type Clock, type Sleep } from '../common/time.js'
import { deadlineSignal } from '../wallarm/retry.js'
import { isTerminalState, type TestRun } from '../wallarm/types.js'

export type { Clock, Sleep } from '../common/time.js'

export interface PollProgress {
  run: TestRun
  /** Something worth logging changed since the previous report (always true on the first). */
  changed: boolean
  /** Nothing changed for `heartbeatMs`: a sign of life. */
  heartbeat: boolean
  /** Status requests made so far, failed ones included. */
  polls: number
  /** Since the wait began. */
  elapsedMs: number
}

export interface WaitOptions {
  /**
   * One status request (its own retries live in the client). Its signal aborts when the wait is aborted
   * or its deadline passes (a request made at the deadline gets {@link FINAL_FETCH_MS}): the request, its
   * retries and their backoff must end then, so that the wait ends near its bound whatever the server does.
   */
  fetch: (signal?: AbortSignal) => Promise<TestRun>
  /** Overall deadline from the call. */
  timeoutMs: number
  /** Never longer apart than this (input poll-interval). */
  maxIntervalMs: number
  /** Never closer together than this. Default 1000. */
  minIntervalMs?: number
  /** Report a heartbeat when nothing changed for this long. Default 60000. */
  heartbeatMs?: number
  /** Consecutive failed requests tolerated, each followed by a backoff. Default 5. */
  errorBudget?: number
  /**
   * Errors that are not retryable end the wait at once (rethrown). Default: every error is retryable
   * except one that carries `retryable: false` (as an API error for a 4xx does).
   */
  isRetryableError?: (err: unknown) => boolean
  /** Called when state, recording, counters or vulnerabilities changed, or on a heartbeat. */
  onProgress?: (p: PollProgress) => void
  /** Called for each tolerated failure, with the count of consecutive failures so far. */
  onError?: (err: unknown, consecutive: number) => void
  clock?: Clock
  sleep?: Sleep
  /** Uniform in [0, 1), for the jitter. */
  random?: (() => number) | undefined
  signal?: AbortSignal
}

/**
 * `finished`: the run is terminal. `timeout`: the deadline passed first (also in the middle of a streak
 * of tolerated errors); never a pass. `aborted`: the signal aborted. `run` is the last run seen and
 * `polls` counts status requests, failed ones included.
 */
export type WaitResult =
  | { outcome: 'finished'; run: TestRun; polls: number }
  | { outcome: 'timeout'; run?: TestRun | undefined; polls: number }
  | { outcome: 'aborted'; run?: TestRun | undefined; polls: number }

/** Options of {@link waitForReadyToRecord}: the same as {@link WaitOptions} (progress reports include readiness changes). */
export type ReadyOptions = WaitOptions

export type ReadyResult =
  | { outcome: 'ready'; run: TestRun; polls: number }
  /** The run turned terminal (e.g. interrupted by a newer run on the same node) before it was ready. */
  | { outcome: 'finished'; run: TestRun; polls: number }
  | { outcome: 'timeout'; run?: TestRun | undefined; polls: number }
  | { outcome: 'aborted'; run?: TestRun | undefined; polls: number }

/** What {@link nextDelay} needs to know besides the last run. Times are in the clock's milliseconds. */
export interface DelayState {
  now: number
  deadline: number
  /** Requests since the run's phase (state, recording) last changed, the one that saw the change included: ≥ 1. */
  phasePolls: number
  /** When the phase began and how many baselines were terminated then. */
  phaseStart: { at: number; terminated: number }
  /** Consecutive failed requests just before this delay (0 after a success). */
  consecutiveErrors: number
  /**
   * The estimate seen at the request before this one, in this phase, to check the current one against:
   * `null` when the current estimate is the phase's first (it cannot be checked yet), undefined when the
   * caller keeps no history (the estimate is taken as it is).
   */
  previousEta?: { at: number; ms: number } | null
}

export interface DelayOptions {
  minIntervalMs: number
  maxIntervalMs: number
  /** Uniform in [0, 1). */
  random: () => number
  /** Cap of the delay before jitter, below maxIntervalMs (readiness polling). */
  capMs?: number
}

/** Fraction of the estimated time left to sleep: below 1 so that requests converge on the end. */
export const ETA_FACTOR = 0.75
/** ±10 % jitter. */
export const JITTER = 0.1
/** Readiness is polled at most this far apart: the workflow's tests wait on it. */
export const READY_MAX_INTERVAL_MS = 3000
/** The time a status request made at (or just before) the deadline still gets. */
export const FINAL_FETCH_MS = 2000
/** Two estimates closer together than this are too noisy to compare. */
const MIN_ETA_CHECK_MS = 1000
/** Baseline progress shorter than this is too noisy to extrapolate. */
const MIN_PROGRESS_WINDOW_MS = 5000

/** The default {@link WaitOptions.isRetryableError}: anything but an error marked `retryable: false`. */
export function isRetryableByDefault(err: unknown): boolean {
  return !(typeof err === 'object' && err !== null && 'retryable' in err && err.retryable === false)
}

/** The delay before the next status request, in ms (see the module comment for the formula). */
export function nextDelay(run: TestRun | undefined, state: DelayState, opts: DelayOptions): number {
  const min = opts.minIntervalMs
  const max = Math.max(min, Math.min(opts.maxIntervalMs, opts.capMs ?? Infinity))
  const remaining = state.deadline - state.now
  if (remaining <= 0) return 0

  const ramp = min * Math.max(1, state.phasePolls)
  let delay: number
  if (state.consecutiveErrors > 0) {
    delay = min * 2 ** Math.min(state.consecutiveErrors - 1, 20)
  } else if (run === undefined || run.recording) {
    delay = ramp
  } else if (run.estimated_time_to_completion != null || requestsEstimate(run) !== undefined) {
    const eta =
      run.estimated_time_to_completion == null
        ? Infinity
        : calibratedEta(Math.max(0, run.estimated_time_to_completion) * 1000, state, ramp)
    delay = ETA_FACTOR * Math.min(eta, requestsEstimate(run) ?? Infinity)
  } else {
    const estimate = progressEstimate(run, state)
    delay = estimate === undefined ? ramp : Math.min(ramp, ETA_FACTOR * estimate)
  }

  delay = clamp(delay, min, max)
  delay = clamp(delay * (1 + JITTER * (2 * opts.random() - 1)), min, max)
  return Math.min(Math.round(delay), remaining)
}

/**
 * The estimate, corrected by how fast it actually falls. An estimate that drops by 3 s every second
 * over-estimates threefold (the API's ETA is `planing_requests_count / current_rps`, and what `planing`
 * counts is not documented), so the time left is `eta / drop`. An estimate falling no faster than
 * the clock is taken as it is (then it is at worst an under-estimate, which costs a request or two).
 * A phase's first estimate cannot be checked yet: until a second one arrives, sleep no longer than the
 * ramp on it.
 */
function calibratedEta(etaMs: number, state: DelayState, ramp: number): number {
  const previous = state.previousEta
  if (previous === undefined) return etaMs
  if (previous === null) return Math.min(etaMs, ramp / ETA_FACTOR)
  const elapsed = state.now - previous.at
  if (elapsed < MIN_ETA_CHECK_MS) return etaMs
  const drop = (previous.ms - etaMs) / elapsed
  return drop > 1 ? etaMs / drop : etaMs
}

/**
 * Milliseconds left from the request counters, `(planing − sended) / current_rps`, when both are known
 * and requests are still planned. With `planing` cumulative (the docs' finished example shows 70/70) this
 * is the time left even when the API's own ETA, `planing / current_rps`, never falls; with `planing`
 * the requests still queued (the docs' words) it under-estimates, which costs a request, never a late
 * verdict.
 */
function requestsEstimate(run: TestRun): number | undefined {
  const rps = run.current_rps
  const left = run.planing_requests_count - run.sended_requests_count
  if (rps == null || !(rps > 0) || !(left > 0)) return undefined
  return (left / rps) * 1000
}

/** Milliseconds left by the rate baselines terminated at since the phase began, if it can be told. */
function progressEstimate(run: TestRun, state: DelayState): number | undefined {
  const window = state.now - state.phaseStart.at
  const done = run.baseline_check_all_terminated_count - state.phaseStart.terminated
  const left = run.baseline_count - run.baseline_check_all_terminated_count
  if (window < MIN_PROGRESS_WINDOW_MS || done <= 0 || left < 0) return undefined
  return (left * window) / done
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}

/** Polls until the run is terminal (`passed`, `failed`, `interrupted`); `paused` and `cloning` are not. */
export async function waitForRunToFinish(opts: WaitOptions): Promise<WaitResult> {
  const result = await pollUntil(opts, (run) => isTerminalState(run.state), Infinity)
  if (result.outcome === 'done') return { outcome: 'finished', run: result.run, polls: result.polls }
  return result
}

/**
 * Polls a freshly created run until the node has picked it up: `ready_for_recording === true`, or,
 * where the API does not send that field, `node_active === true`. Ends with `finished` if the run turns
 * terminal first. Polled at most {@link READY_MAX_INTERVAL_MS} apart.
 */
export async function waitForReadyToRecord(opts: ReadyOptions): Promise<ReadyResult> {
  const result = await pollUntil(
    opts,
    (run) => isReadyToRecord(run) || isTerminalState(run.state),
    READY_MAX_INTERVAL_MS
  )
  if (result.outcome !== 'done') return result
  const outcome = isReadyToRecord(result.run) ? 'ready' : 'finished'
  return { outcome, run: result.run, polls: result.polls }
}

export function isReadyToRecord(run: TestRun): boolean {
  return run.ready_for_recording == null ? run.node_active === true : run.ready_for_recording === true
}

/** What a progress report compares: the fields whose change is worth a log line. */
function progressKey(run: TestRun): string {
  return JSON.stringify([
    run.state,
    run.recording,
    run.baseline_count,
    run.baseline_check_all_terminated_count,
    run.vulns.length,
    run.baseline_check_tech_fail_count,
    run.ready_for_recording,
    run.node_active
  ])
}

function phaseKey(run: TestRun): string {
  return `${run.state}|${run.recording}`
}

type PollResult =
  | { outcome: 'done'; run: TestRun; polls: number }
  | { outcome: 'timeout'; run?: TestRun | undefined; polls: number }
  | { outcome: 'aborted'; run?: TestRun | undefined; polls: number }

async function pollUntil(
  opts: WaitOptions,
  done: (run: TestRun) => boolean,
  capMs: number
): Promise<PollResult> {
  const clock = opts.clock ?? systemClock
  const sleep = opts.sleep ?? realSleep
  const random = opts.random ?? Math.random
  const isRetryable = opts.isRetryableError ?? isRetryableByDefault
  const errorBudget = opts.errorBudget ?? 5
  const heartbeatMs = opts.heartbeatMs ?? 60_000
  const delayOptions: DelayOptions = {
    minIntervalMs: opts.minIntervalMs ?? 1000,
    maxIntervalMs: opts.maxIntervalMs,
    random,
    capMs
  }
  const { signal } = opts

  const start = clock.now()
  const deadline = start + opts.timeoutMs
  let run: TestRun | undefined
  let polls = 0
  let consecutiveErrors = 0
  let lastKey: string | undefined
  let lastReportAt = start
  let phase: string | undefined
  let phasePolls = 0
  let phaseStart = { at: start, terminated: 0 }
  /** The last two estimates of this phase: the current one and the one it is checked against. */
  let currentEta: { at: number; ms: number } | null = null
  let previousEta: { at: number; ms: number } | null = null

  for (;;) {
    if (signal?.aborted) return { outcome: 'aborted', run, polls }
    polls++
    // Real time, like the requests it bounds (the clock may be virtual in tests, where fetches are instant).
    const bound = deadlineSignal(Math.max(deadline - clock.now(), FINAL_FETCH_MS), signal)
    try {
      run = await opts.fetch(bound.signal)
      consecutiveErrors = 0
    } catch (err) {
      if (signal?.aborted) return { outcome: 'aborted', run, polls }
      if (bound.expired()) return { outcome: 'timeout', run, polls }
      if (!isRetryable(err)) throw err
      consecutiveErrors++
      if (consecutiveErrors > errorBudget) throw err
      opts.onError?.(err, consecutiveErrors)
    } finally {
      bound.clear()
    }
    const now = clock.now()

    if (consecutiveErrors === 0 && run !== undefined) {
      const key = progressKey(run)
      const changed = key !== lastKey
      const heartbeat = !changed && now - lastReportAt >= heartbeatMs
      if (changed || heartbeat) {
        lastKey = key
        lastReportAt = now
        opts.onProgress?.({ run, changed, heartbeat, polls, elapsedMs: now - start })
      }
      if (done(run)) return { outcome: 'done', run, polls }

      const runPhase = phaseKey(run)
      if (runPhase !== phase) {
        phase = runPhase
        phasePolls = 0
        phaseStart = { at: now, terminated: run.baseline_check_all_terminated_count }
        currentEta = previousEta = null
      }
      phasePolls++
      const eta = run.estimated_time_to_completion
      if (eta != null) {
        previousEta = currentEta
        currentEta = { at: now, ms: Math.max(0, eta) * 1000 }
      }
    }

    if (now >= deadline) return { outcome: 'timeout', run, polls }
    const delay = nextDelay(
      run,
      { now, deadline, phasePolls, phaseStart, consecutiveErrors, previousEta },
      delayOptions
    )
    try {
      await sleep(delay, signal)
    } catch (err) {
      if (signal?.aborted) return { outcome: 'aborted', run, polls }
      throw err
    }
  }
}
