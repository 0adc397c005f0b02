/**
 * "Waiting well": detection lag and request count of pollers, simulated on a virtual clock.
 *
 * Each trial is an emulated test run (the emulator's pure `FastModel`, driven by a virtual clock) that
 * records baselines and then stops recording; from that moment on it tests for about the target length.
 * Every poller starts right after the stop, on its own fresh copy of the same trial (the model is
 * deterministic), and `sleep` only advances the virtual clock, so a 30-minute run takes milliseconds.
 * The run's real end is found by bisection on the virtual clock (1 ms), and the lag is the time from it
 * to the status request that first saw a terminal state.
 *
 * Every run length is measured under each reading of the run's ETA (the emulator's `eta` switch:
 * `counted`, `queued`, `absent`; spec §6.1 says nobody knows which is right), against the same fixed
 * pollers, which never read the ETA.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parseDuration } from '../../src/common/duration.js'
import { waitForRunToFinish } from '../../src/modes/poll.js'
import { isTerminalState, type TestRun } from '../../src/wallarm/types.js'
import { normalizeTestRun } from '../../src/wallarm/normalize.js'
import { ETA_READINGS, FastModel, plannedRequestsFor, type EtaReading } from '../../emulator/index.js'
import { median, round, seededRandom } from './stats.js'

export type PollerName = 'ours' | 'fixed-1s' | 'fixed-15s' | 'fixed-20s' | 'fixed-120s'

/** Fixed-interval pollers found in the wild (see docs/benchmarks.md). */
export const FIXED_POLLERS: { name: PollerName; intervalMs: number; source: string }[] = [
  { name: 'fixed-1s', intervalMs: 1_000, source: "Wallarm's reference integration" },
  { name: 'fixed-15s', intervalMs: 15_000, source: "the FAST docs' suggestion" },
  { name: 'fixed-20s', intervalMs: 20_000, source: "Bright's wait-for" },
  { name: 'fixed-120s', intervalMs: 120_000, source: 'the community FAST CLI' }
]

export interface PollingRow {
  eta: EtaReading
  run_seconds: number
  poller: PollerName
  lag_median_s: number
  requests: number
}

/** Extra detail for the table, not part of the JSON. */
export interface PollingDetail extends PollingRow {
  lag_max_s: number
  /** Median length of the trials' runs, from the stop to the end. */
  actual_run_median_s: number
  actual_run_min_s: number
  actual_run_max_s: number
  trials: number
}

/** The action's own defaults (action.yml), so the bench follows them if they change. */
export function actionPollingDefaults(root: string): { maxIntervalMs: number; timeoutMs: number } {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const value = (name: string): string => {
    const d = action.inputs[name]?.default
    if (d === undefined) throw new Error(`action.yml has no default for ${name}`)
    return d
  }
  return {
    maxIntervalMs: parseDuration('poll-interval', value('poll-interval')),
    timeoutMs: parseDuration('wait-timeout', value('wait-timeout'))
  }
}

/**
 * A virtual clock shared by several pollers: `sleep` parks the caller until the scheduler moves the
 * clock to its wake-up time. Everything else being synchronous or microtask-driven, the scheduler knows
 * every poller is parked once a macrotask turn has passed, and then jumps to the earliest wake-up.
 */
class VirtualClock {
  private readonly parked: { at: number; wake: () => void }[] = []
  constructor(public t: number) {}
  now = (): number => this.t
  advanceTo(t: number): void {
    if (t < this.t) throw new Error('the virtual clock must not go backwards')
    this.t = t
  }
  sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => this.parked.push({ at: this.t + Math.max(0, ms), wake }))

  /** Runs the tasks to completion, moving the clock from one wake-up to the next. */
  async drive<T>(tasks: Promise<T>[]): Promise<T[]> {
    let settled = false
    const all = Promise.all(tasks).finally(() => (settled = true))
    all.catch(() => undefined) // observed below
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (settled) return all
      if (this.parked.length === 0) throw new Error('no poller is running nor sleeping')
      const at = Math.min(...this.parked.map((p) => p.at))
      this.advanceTo(at)
      for (let i = this.parked.length - 1; i >= 0; i--) {
        const p = this.parked[i]!
        if (p.at === at) {
          this.parked.splice(i, 1)
          p.wake()
        }
      }
    }
  }
}

const TOKEN = 'bench-node'
/** The emulated node tests at most 10 requests per second (the emulator's default rate). */
const NODE_RATE = 10

/**
 * The run's `rps`: the emulator's default rate (10/s) up to 5-minute runs, lower for longer ones
 * (2/s for 30 minutes), so that no run has more than some 80 baselines (each is 30–70 test requests).
 * The emulator recomputes a run from all its baselines on every read, so a 30-minute run at 10/s (~370
 * baselines) would make the bench slow. The rate changes nothing in how the run reports its progress.
 */
export function rpsFor(targetS: number): number {
  return Math.min(NODE_RATE, Math.max(1, Math.round(3000 / targetS)))
}

interface Scenario {
  model: FastModel
  clock: VirtualClock
  runId: number
  stopAt: number
}

/**
 * One trial: a run created at a seed-dependent epoch, baselines recorded as soon as the node is ready,
 * recording stopped a seed-dependent 0–12 s later (so at the stop the ETA is sometimes still null, the
 * emulator's rate window being the first 10 s). It has enough baselines that testing goes on after the
 * stop for a length drawn uniformly from 85–115 % of `targetS` (plus at most one baseline): the
 * spread makes the fixed pollers' lag, which depends on the length modulo their interval, a fair sample.
 * Deterministic: the same (targetS, seed) builds the same run.
 */
function buildScenario(targetS: number, seed: number, eta: EtaReading): Scenario {
  const random = seededRandom(seed * 7919 + targetS)
  const start = 1_750_000_000_000 + Math.floor(random() * 86_400_000)
  const clock = new VirtualClock(start)
  const model = new FastModel({ tokens: [TOKEN], clock: clock.now, eta })
  const rps = rpsFor(targetS)
  const run = model.createTestRun(TOKEN, {
    name: `bench-${targetS}s-${seed}`,
    rps: rps < NODE_RATE ? rps : null
  })
  const readyAt = start + model.readyDelayMs
  clock.advanceTo(readyAt)
  const offsetMs = Math.floor(random() * 12_000)
  const lengthS = targetS * (0.85 + 0.3 * random())
  const neededRequests = (lengthS + offsetMs / 1000) * rps
  let planned = 0
  for (let i = 0; planned < neededRequests; i++) {
    const url = `http://shop.example.test/api/items/${seed}-${i}?page=${Math.floor(random() * 1e6)}`
    const baseline = { method: 'GET', url, headers: { accept: 'application/json' }, body: '' }
    const result = model.recordBaseline(TOKEN, baseline)
    if (!result.recorded) throw new Error(`baseline not recorded: ${result.reason}`)
    planned += plannedRequestsFor(baseline)
  }
  clock.advanceTo(readyAt + offsetMs)
  const stopped = model.stopRecording(TOKEN, run.id)
  if (stopped.recording) throw new Error('recording did not stop')
  return { model, clock, runId: run.id, stopAt: clock.now() }
}

/**
 * The first virtual ms at which the trial's run is terminal, knowing it was not at `notDoneAt` and was at
 * `doneAt`. The clock only moves forward, so this scans forward on fresh copies of the trial: 10 ms steps,
 * then 1 ms steps in the last 10 ms.
 */
function findEnd(targetS: number, seed: number, eta: EtaReading, notDoneAt: number, doneAt: number): number {
  const firstDone = (from: number, to: number, step: number): number => {
    const sc = buildScenario(targetS, seed, eta)
    for (let t = from; ; t = Math.min(to, t + step)) {
      sc.clock.advanceTo(t)
      const done = isTerminalState(sc.model.getTestRun(TOKEN, sc.runId).state)
      if (t === from && done) throw new Error(`the run was already over at ${t}`)
      if (done) return t
      if (t === to) throw new Error(`the run was not over at ${to}`)
    }
  }
  const coarse = firstDone(notDoneAt, doneAt, 10)
  return firstDone(Math.max(notDoneAt, coarse - 10), coarse, 1)
}

interface PollOutcome {
  detectedAt: number
  /** When this poller last saw the run not finished. */
  lastRunningAt: number
  requests: number
}

async function pollOurs(
  sc: Scenario,
  seed: number,
  defaults: { maxIntervalMs: number; timeoutMs: number }
): Promise<PollOutcome> {
  let lastFetchAt = NaN
  let previousFetchAt = NaN
  let fetches = 0
  const result = await waitForRunToFinish({
    fetch: (): Promise<TestRun> => {
      fetches++
      previousFetchAt = lastFetchAt
      lastFetchAt = sc.clock.now()
      // What the client would hand the poller: the wire object, normalised.
      return Promise.resolve(normalizeTestRun(sc.model.getTestRun(TOKEN, sc.runId))!)
    },
    timeoutMs: defaults.timeoutMs,
    maxIntervalMs: defaults.maxIntervalMs,
    minIntervalMs: 1000,
    clock: sc.clock,
    sleep: sc.clock.sleep,
    random: seededRandom(seed + 1)
  })
  if (result.outcome !== 'finished') throw new Error(`our poller ended with ${result.outcome}`)
  if (result.polls !== fetches) throw new Error('poll count mismatch')
  return { detectedAt: lastFetchAt, lastRunningAt: previousFetchAt, requests: result.polls }
}

/** The baseline: fetch; if terminal, stop; sleep(interval). */
async function pollFixed(sc: Scenario, intervalMs: number, timeoutMs: number): Promise<PollOutcome> {
  const start = sc.clock.now()
  let requests = 0
  let lastRunningAt = NaN
  for (;;) {
    requests++
    const run = sc.model.getTestRun(TOKEN, sc.runId)
    if (isTerminalState(run.state)) return { detectedAt: sc.clock.now(), lastRunningAt, requests }
    lastRunningAt = sc.clock.now()
    if (lastRunningAt - start >= timeoutMs) throw new Error('fixed poller timed out')
    await sc.clock.sleep(intervalMs)
  }
}

export async function benchPolling(
  root: string,
  runSeconds: readonly number[],
  seeds: number,
  readings: readonly EtaReading[] = ETA_READINGS
): Promise<PollingDetail[]> {
  const defaults = actionPollingDefaults(root)
  const rows: PollingDetail[] = []
  for (const eta of readings)
    for (const targetS of runSeconds) rows.push(...(await benchLength(targetS, seeds, eta, defaults)))
  return rows
}

async function benchLength(
  targetS: number,
  seeds: number,
  eta: EtaReading,
  defaults: { maxIntervalMs: number; timeoutMs: number }
): Promise<PollingDetail[]> {
  const rows: PollingDetail[] = []
  {
    const samples = new Map<PollerName, { lags: number[]; requests: number[] }>()
    const lengths: number[] = []
    for (let seed = 1; seed <= seeds; seed++) {
      // All pollers on one model and one virtual clock, starting together right after the stop.
      const sc = buildScenario(targetS, seed, eta)
      const names: PollerName[] = ['ours', ...FIXED_POLLERS.map((f) => f.name)]
      const outcomes = await sc.clock.drive([
        pollOurs(sc, seed, defaults),
        ...FIXED_POLLERS.map((f) => pollFixed(sc, f.intervalMs, defaults.timeoutMs))
      ])
      // The end lies between the last "running" and the first terminal answer of any poller.
      const notDoneAt = Math.max(
        ...outcomes.map((o) => (Number.isNaN(o.lastRunningAt) ? sc.stopAt : o.lastRunningAt))
      )
      const doneAt = Math.min(...outcomes.map((o) => o.detectedAt))
      const endAt = findEnd(targetS, seed, eta, notDoneAt, doneAt)
      lengths.push((endAt - sc.stopAt) / 1000)
      outcomes.forEach((o, i) => {
        const name = names[i]!
        const s = samples.get(name) ?? { lags: [], requests: [] }
        s.lags.push((o.detectedAt - endAt) / 1000)
        s.requests.push(o.requests)
        samples.set(name, s)
      })
    }
    for (const [poller, s] of samples) {
      rows.push({
        eta,
        run_seconds: targetS,
        poller,
        lag_median_s: round(median(s.lags), 2),
        requests: median(s.requests),
        lag_max_s: round(Math.max(...s.lags), 2),
        actual_run_median_s: round(median(lengths), 1),
        actual_run_min_s: round(Math.min(...lengths), 1),
        actual_run_max_s: round(Math.max(...lengths), 1),
        trials: seeds
      })
    }
  }
  return rows
}
