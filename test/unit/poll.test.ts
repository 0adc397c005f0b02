import { describe, expect, it } from 'vitest'
import {
  ETA_FACTOR,
  FINAL_FETCH_MS,
  isReadyToRecord,
  nextDelay,
  waitForReadyToRecord,
  waitForRunToFinish,
  type DelayState,
  type PollProgress,
  type Sleep,
  type WaitOptions
} from '../../src/modes/poll.js'
import type { TestRun } from '../../src/wallarm/types.js'
import { testRun } from '../support/fixtures.js'
import { median, seededRandom as seeded } from '../../scripts/lib/stats.js'

// --- a virtual clock: sleeping advances it; nothing here waits for real time ---------------------

function virtualTime(start = 1_000_000) {
  let now = start
  const sleeps: number[] = []
  const clock = { now: () => now }
  const sleep: Sleep = (ms) => {
    sleeps.push(ms)
    now += ms
    return Promise.resolve()
  }
  return { clock, sleep, sleeps, start, elapsed: () => now - start, advance: (ms: number) => (now += ms) }
}

function makeRun(over: Partial<TestRun> = {}): TestRun {
  return testRun({
    name: 'ci',
    state: 'running',
    ready_for_recording: true,
    node_active: true,
    baseline_count: 10,
    baseline_check_all_terminated_count: 0,
    baseline_check_fail_count: 0,
    baseline_check_passed_count: 0,
    baseline_check_running_count: 10,
    sended_requests_count: 0,
    planing_requests_count: 0,
    start_time: null,
    end_time: null,
    domains: [],
    ...over
  })
}

/** Answers one fetch per entry (the last repeats); entries that are Errors are thrown. */
function scripted(steps: (Partial<TestRun> | Error)[]) {
  let i = 0
  const fetch = (): Promise<TestRun> => {
    const step = steps[Math.min(i, steps.length - 1)]!
    i++
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(makeRun(step))
  }
  return { fetch, calls: () => i }
}

function baseOptions(t: ReturnType<typeof virtualTime>, over: Partial<WaitOptions> = {}): WaitOptions {
  return {
    fetch: () => Promise.resolve(makeRun()),
    timeoutMs: 3_600_000,
    maxIntervalMs: 30_000,
    clock: t.clock,
    sleep: t.sleep,
    random: () => 0.5,
    ...over
  }
}

// --- the emulated run of the benchmark ----------------------------------------------------------

/**
 * A copy (no recording) that ends `durationMs` after the wait starts. Its ETA follows the spec: null
 * for the first 10 s, then planned requests / current rps, in whole seconds; `rpsNoise` makes the
 * current rate wobble (0.2 = ±20 %), so the estimate is off by as much.
 */
function emulatedRun(
  t: ReturnType<typeof virtualTime>,
  durationMs: number,
  rpsNoise = 0,
  seed = 1,
  etaScale = 1
) {
  const noise = seeded(seed * 7919)
  let requests = 0
  const fetch = (): Promise<TestRun> => {
    requests++
    const at = t.elapsed()
    const total = 20
    if (at >= durationMs) {
      return Promise.resolve(
        makeRun({ state: 'passed', baseline_check_all_terminated_count: total, baseline_count: total })
      )
    }
    const left = durationMs - at
    const wobble = 1 + rpsNoise * (2 * noise() - 1)
    const eta = at < 10_000 ? null : Math.round((etaScale * left) / 1000 / wobble)
    return Promise.resolve(
      makeRun({
        baseline_count: total,
        baseline_check_all_terminated_count: Math.floor((total * at) / durationMs),
        estimated_time_to_completion: eta
      })
    )
  }
  return { fetch, requests: () => requests }
}

async function simulate(
  durationMs: number,
  seed: number,
  rpsNoise = 0,
  maxIntervalMs = 30_000,
  etaScale = 1
) {
  const t = virtualTime()
  const run = emulatedRun(t, durationMs, rpsNoise, seed, etaScale)
  const result = await waitForRunToFinish(
    baseOptions(t, {
      fetch: run.fetch,
      maxIntervalMs,
      timeoutMs: 2 * durationMs + 60_000,
      random: seeded(seed)
    })
  )
  expect(result.outcome).toBe('finished')
  return { lagMs: t.elapsed() - durationMs, requests: run.requests() }
}

// --- tests ---------------------------------------------------------------------------------------

describe('waitForRunToFinish', () => {
  it('ends on each terminal state', async () => {
    for (const state of ['passed', 'failed', 'interrupted']) {
      const t = virtualTime()
      const s = scripted([{}, {}, { state }])
      const result = await waitForRunToFinish(baseOptions(t, { fetch: s.fetch }))
      expect(result).toMatchObject({ outcome: 'finished', polls: 3, run: { state } })
    }
  })

  it('keeps polling through paused and cloning', async () => {
    const t = virtualTime()
    const s = scripted([
      { state: 'cloning' },
      { state: 'cloning' },
      { state: 'paused' },
      { state: 'paused' },
      { state: 'running' },
      { state: 'passed' }
    ])
    const result = await waitForRunToFinish(baseOptions(t, { fetch: s.fetch }))
    expect(result).toMatchObject({ outcome: 'finished', polls: 6 })
  })

  it('times out at the deadline, never reporting finished, with the last poll at the deadline', async () => {
    const t = virtualTime()
    const s = scripted([{ recording: true }])
    const result = await waitForRunToFinish(baseOptions(t, { fetch: s.fetch, timeoutMs: 100_000 }))
    expect(result.outcome).toBe('timeout')
    expect(result.run?.state).toBe('running')
    expect(t.elapsed()).toBe(100_000)
    expect(Math.max(...t.sleeps)).toBeLessThanOrEqual(30_000)
    expect(result.polls).toBe(s.calls())
  })

  it('a run that finishes exactly at the deadline is finished, one that finishes after it is a timeout', async () => {
    for (const [endsAt, outcome] of [
      [60_000, 'finished'],
      [60_001, 'timeout']
    ] as const) {
      const t = virtualTime()
      const fetch = () => Promise.resolve(makeRun({ state: t.elapsed() >= endsAt ? 'passed' : 'running' }))
      const result = await waitForRunToFinish(baseOptions(t, { fetch, timeoutMs: 60_000 }))
      expect(result.outcome).toBe(outcome)
      expect(t.elapsed()).toBe(60_000)
    }
  })

  it('never sleeps longer than the maximum nor shorter than the minimum (except to meet the deadline)', async () => {
    const t = virtualTime()
    const s = scripted([{ recording: true }])
    await waitForRunToFinish(
      baseOptions(t, {
        fetch: s.fetch,
        timeoutMs: 600_000,
        maxIntervalMs: 20_000,
        minIntervalMs: 2000
      })
    )
    const beforeLast = t.sleeps.slice(0, -1)
    expect(Math.max(...t.sleeps)).toBeLessThanOrEqual(20_000)
    expect(Math.min(...beforeLast)).toBeGreaterThanOrEqual(2000)
    expect(t.sleeps.slice(0, 3)).toEqual([2000, 4000, 6000]) // the ramp (random 0.5 = no jitter)
  })

  it('tolerates errorBudget consecutive failures with backoff, and throws on the next', async () => {
    const t = virtualTime()
    const boom = new Error('HTTP 504')
    const errors: number[] = []
    const s = scripted([{}, boom, boom, boom, {}, boom, boom, boom, { state: 'passed' }])
    const ok = await waitForRunToFinish(
      baseOptions(t, { fetch: s.fetch, errorBudget: 3, onError: (_e, n) => errors.push(n) })
    )
    expect(ok.outcome).toBe('finished')
    expect(errors).toEqual([1, 2, 3, 1, 2, 3])
    expect(t.sleeps.slice(1, 4)).toEqual([1000, 2000, 4000]) // backoff after each failure

    const t2 = virtualTime()
    const s2 = scripted([{}, boom, boom, boom, boom, {}])
    await expect(waitForRunToFinish(baseOptions(t2, { fetch: s2.fetch, errorBudget: 3 }))).rejects.toBe(boom)
    expect(s2.calls()).toBe(5)
  })

  it('uses a default budget of 5', async () => {
    const t = virtualTime()
    const boom = new Error('ECONNRESET')
    const s = scripted([boom])
    await expect(waitForRunToFinish(baseOptions(t, { fetch: s.fetch }))).rejects.toBe(boom)
    expect(s.calls()).toBe(6)
  })

  it('rethrows a non-retryable error at once', async () => {
    const t = virtualTime()
    const denied = Object.assign(new Error('HTTP 403'), { retryable: false })
    const s = scripted([{}, denied, {}])
    let reported = 0
    await expect(
      waitForRunToFinish(baseOptions(t, { fetch: s.fetch, onError: () => reported++ }))
    ).rejects.toBe(denied)
    expect(s.calls()).toBe(2)
    expect(reported).toBe(0)

    const custom = virtualTime()
    const s2 = scripted([new Error('anything')])
    await expect(
      waitForRunToFinish(baseOptions(custom, { fetch: s2.fetch, isRetryableError: () => false }))
    ).rejects.toThrow('anything')
    expect(s2.calls()).toBe(1)
  })

  it('returns aborted promptly when the signal aborts during a sleep, with a real abortable sleep', async () => {
    const controller = new AbortController()
    const s = scripted([{ state: 'running' }])
    const started = Date.now()
    setTimeout(() => controller.abort(), 20)
    const result = await waitForRunToFinish({
      fetch: s.fetch,
      timeoutMs: 3_600_000,
      maxIntervalMs: 30_000,
      minIntervalMs: 60_000, // the first sleep would be a minute
      signal: controller.signal
    })
    expect(result).toMatchObject({ outcome: 'aborted', polls: 1, run: { state: 'running' } })
    expect(Date.now() - started).toBeLessThan(10_000) // generous: it returns within milliseconds
  })

  it('returns aborted when aborted before the first poll or while a fetch fails', async () => {
    const t = virtualTime()
    const controller = new AbortController()
    controller.abort()
    const result = await waitForRunToFinish(baseOptions(t, { signal: controller.signal }))
    expect(result).toEqual({ outcome: 'aborted', run: undefined, polls: 0 })

    const c2 = new AbortController()
    const fetch = () => {
      c2.abort()
      return Promise.reject(new Error('aborted'))
    }
    const r2 = await waitForRunToFinish(
      baseOptions(t, { fetch, signal: c2.signal, isRetryableError: () => false })
    )
    expect(r2.outcome).toBe('aborted')
  })

  it('returns aborted when a custom sleep rejects on abort', async () => {
    const t = virtualTime()
    const controller = new AbortController()
    const sleep: Sleep = () => {
      controller.abort()
      return Promise.reject(new DOMException('aborted', 'AbortError'))
    }
    const result = await waitForRunToFinish(baseOptions(t, { sleep, signal: controller.signal }))
    expect(result.outcome).toBe('aborted')
  })

  it('reports progress only on a change, plus a heartbeat when nothing changed for heartbeatMs', async () => {
    const t = virtualTime()
    const steps: Partial<TestRun>[] = [
      {},
      {},
      { baseline_check_all_terminated_count: 1 },
      { baseline_check_all_terminated_count: 1 },
      { baseline_check_all_terminated_count: 1, vulns: [{ id: '1', threat: 50, code: 'S1', type: 'xss' }] },
      {
        baseline_check_all_terminated_count: 1,
        vulns: [{ id: '1', threat: 50, code: 'S1', type: 'xss' }],
        baseline_check_tech_fail_count: 1
      },
      {
        recording: true,
        baseline_check_all_terminated_count: 1,
        vulns: [{ id: '1', threat: 50, code: 'S1', type: 'xss' }],
        baseline_check_tech_fail_count: 1
      },
      { state: 'passed' }
    ]
    const s = scripted(steps)
    const reports: PollProgress[] = []
    await waitForRunToFinish(baseOptions(t, { fetch: s.fetch, onProgress: (p) => reports.push(p) }))
    expect(reports.map((r) => r.polls)).toEqual([1, 3, 5, 6, 7, 8])
    expect(reports.every((r) => r.changed && !r.heartbeat)).toBe(true)

    // Nothing changes: only heartbeats after the first report, about one a minute.
    const t2 = virtualTime()
    const quiet: PollProgress[] = []
    await waitForRunToFinish(
      baseOptions(t2, { timeoutMs: 300_000, onProgress: (p) => quiet.push(p), heartbeatMs: 60_000 })
    )
    expect(quiet[0]).toMatchObject({ changed: true, heartbeat: false, polls: 1, elapsedMs: 0 })
    const beats = quiet.slice(1)
    expect(beats.length).toBeGreaterThanOrEqual(4)
    expect(beats.length).toBeLessThanOrEqual(5)
    expect(beats.every((b) => b.heartbeat && !b.changed)).toBe(true)
    for (let i = 1; i < quiet.length; i++) {
      const gap = quiet[i]!.elapsedMs - quiet[i - 1]!.elapsedMs
      expect(gap).toBeGreaterThanOrEqual(60_000)
      expect(gap).toBeLessThan(60_000 + 30_000)
    }
  })

  it('while recording, ignores the estimate (the run cannot end) and ramps up to the maximum', async () => {
    const t = virtualTime()
    const s = scripted([{ recording: true, estimated_time_to_completion: 2 }])
    await waitForRunToFinish(baseOptions(t, { fetch: s.fetch, timeoutMs: 1_800_000 }))
    expect(t.sleeps.slice(0, 5)).toEqual([1000, 2000, 3000, 4000, 5000])
    expect(t.sleeps.filter((d) => d === 30_000).length).toBeGreaterThan(10)
  })

  it('restarts the ramp when recording stops, then follows the estimate once it can be checked', async () => {
    const t = virtualTime()
    const steps: Partial<TestRun>[] = [
      ...Array<Partial<TestRun>>(40).fill({ recording: true }),
      { recording: false, estimated_time_to_completion: 40 },
      { recording: false, estimated_time_to_completion: 10 },
      { state: 'passed' }
    ]
    const s = scripted(steps)
    await waitForRunToFinish(baseOptions(t, { fetch: s.fetch }))
    // 40 s left says the first estimate, but it cannot be checked yet: 1 s (the ramp). The next one
    // fell 30 s in 1 s, so it over-estimates thirtyfold: the minimum.
    expect(t.sleeps.slice(39)).toEqual([30_000, 1000, 1000])
  })
})

describe('nextDelay', () => {
  const opts = { minIntervalMs: 1000, maxIntervalMs: 30_000, random: () => 0.5 }
  const state = (over: Partial<DelayState> = {}): DelayState => ({
    now: 0,
    deadline: 3_600_000,
    phasePolls: 1,
    phaseStart: { at: 0, terminated: 0 },
    consecutiveErrors: 0,
    ...over
  })

  it('ramps 1 s, 2 s, 3 s… without an estimate, up to the maximum', () => {
    expect([1, 2, 3, 10, 50].map((k) => nextDelay(makeRun(), state({ phasePolls: k }), opts))).toEqual([
      1000, 2000, 3000, 10_000, 30_000
    ])
    expect(nextDelay(undefined, state({ phasePolls: 4 }), opts)).toBe(4000)
  })

  it('sleeps a fraction of the estimate, between the minimum and the maximum', () => {
    const eta = (s: number | null) => makeRun({ estimated_time_to_completion: s })
    expect(nextDelay(eta(20), state(), opts)).toBe(20_000 * ETA_FACTOR)
    expect(nextDelay(eta(3600), state(), opts)).toBe(30_000)
    expect(nextDelay(eta(0), state(), opts)).toBe(1000)
    expect(nextDelay(eta(1), state(), opts)).toBe(1000)
  })

  it('corrects an estimate by how fast it really falls', () => {
    const eta = (s: number) => makeRun({ estimated_time_to_completion: s })
    // Fell 6 s in 2 s: a threefold over-estimate, so 24 s means 8 s.
    expect(nextDelay(eta(24), state({ now: 2000, previousEta: { at: 0, ms: 30_000 } }), opts)).toBe(
      8000 * ETA_FACTOR
    )
    // Falling with the clock, or not at all: taken as it is.
    expect(nextDelay(eta(28), state({ now: 2000, previousEta: { at: 0, ms: 30_000 } }), opts)).toBe(
      28_000 * ETA_FACTOR
    )
    expect(nextDelay(eta(20), state({ now: 5000, previousEta: { at: 0, ms: 20_000 } }), opts)).toBe(
      20_000 * ETA_FACTOR
    )
    // Readings less than a second apart are too noisy to compare.
    expect(nextDelay(eta(20), state({ now: 500, previousEta: { at: 0, ms: 60_000 } }), opts)).toBe(
      20_000 * ETA_FACTOR
    )
  })

  it('takes the request counters when they say less than the ETA, or when there is no ETA', () => {
    // 300 requests left at 10/s: 30 s, whatever a flat ETA of 600 s (the docs' formula on a cumulative
    // planing_requests_count) says.
    const counters = { planing_requests_count: 900, sended_requests_count: 600, current_rps: 10 }
    const flat = makeRun({ ...counters, estimated_time_to_completion: 600 })
    expect(nextDelay(flat, state({ now: 5000, previousEta: { at: 0, ms: 600_000 } }), opts)).toBe(
      30_000 * 0.75
    )
    expect(nextDelay(makeRun({ ...counters, estimated_time_to_completion: null }), state(), opts)).toBe(
      22_500
    )
    // A smaller ETA still wins; counters with nothing left or no rate say nothing.
    expect(nextDelay(makeRun({ ...counters, estimated_time_to_completion: 8 }), state(), opts)).toBe(6000)
    const spent = makeRun({ planing_requests_count: 50, sended_requests_count: 50, current_rps: 10 })
    expect(nextDelay(spent, state({ phasePolls: 2 }), opts)).toBe(2000)
    expect(nextDelay(makeRun({ ...counters, current_rps: null }), state({ phasePolls: 2 }), opts)).toBe(2000)
  })

  it("does not sleep long on a phase's first estimate, which cannot be checked yet", () => {
    const run = makeRun({ estimated_time_to_completion: 600 })
    expect(nextDelay(run, state({ previousEta: null, phasePolls: 1 }), opts)).toBe(1000)
    expect(nextDelay(run, state({ previousEta: null, phasePolls: 3 }), opts)).toBe(3000)
  })

  it('uses baseline progress when there is no estimate, never above the ramp', () => {
    // 5 of 10 baselines done in 20 s: about 20 s left, so 15 s, but the ramp at k = 3 is 3 s.
    const run = makeRun({ baseline_check_all_terminated_count: 5 })
    expect(nextDelay(run, state({ now: 20_000, phasePolls: 3 }), opts)).toBe(3000)
    expect(nextDelay(run, state({ now: 20_000, phasePolls: 40 }), opts)).toBe(15_000)
    // 9 of 10 done in 90 s: 10 s left.
    const late = makeRun({ baseline_check_all_terminated_count: 9 })
    expect(nextDelay(late, state({ now: 90_000, phasePolls: 40 }), opts)).toBe(7500)
  })

  it('backs off exponentially after failures, within the maximum', () => {
    expect(
      [1, 2, 3, 4, 5, 6, 30].map((n) => nextDelay(makeRun(), state({ consecutiveErrors: n }), opts))
    ).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
  })

  it('jitters by ±10 %, clamped to the bounds', () => {
    const run = makeRun({ estimated_time_to_completion: 20 })
    expect(nextDelay(run, state(), { ...opts, random: () => 0 })).toBe(13_500)
    expect(nextDelay(run, state(), { ...opts, random: () => 0.999999 })).toBe(16_500)
    const long = makeRun({ estimated_time_to_completion: 3600 })
    expect(nextDelay(long, state(), { ...opts, random: () => 0.999999 })).toBe(30_000)
    expect(nextDelay(long, state(), { ...opts, random: () => 0 })).toBe(27_000)
    expect(nextDelay(makeRun(), state(), { ...opts, random: () => 0 })).toBe(1000)
  })

  it('never sleeps past the deadline', () => {
    expect(nextDelay(makeRun(), state({ now: 3_599_500, phasePolls: 30 }), opts)).toBe(500)
    expect(nextDelay(makeRun(), state({ now: 3_600_000 }), opts)).toBe(0)
  })
})

describe('waitForReadyToRecord', () => {
  it('waits for ready_for_recording', async () => {
    const t = virtualTime()
    const s = scripted([
      { ready_for_recording: false, node_active: false },
      { ready_for_recording: false, node_active: true },
      { ready_for_recording: true, node_active: true }
    ])
    const result = await waitForReadyToRecord(baseOptions(t, { fetch: s.fetch, timeoutMs: 300_000 }))
    expect(result).toMatchObject({ outcome: 'ready', polls: 3 })
    expect(t.sleeps).toEqual([1000, 2000])
  })

  it('falls back to node_active when the API does not send ready_for_recording', async () => {
    const t = virtualTime()
    const s = scripted([
      { ready_for_recording: undefined, node_active: false },
      { ready_for_recording: undefined, node_active: true }
    ])
    const result = await waitForReadyToRecord(baseOptions(t, { fetch: s.fetch }))
    expect(result).toMatchObject({ outcome: 'ready', polls: 2 })
    expect(isReadyToRecord(makeRun({ ready_for_recording: undefined, node_active: undefined }))).toBe(false)
    expect(isReadyToRecord(makeRun({ ready_for_recording: false, node_active: true }))).toBe(false)
  })

  it('ends distinctly when the run turns terminal before it is ready', async () => {
    const t = virtualTime()
    const s = scripted([{ ready_for_recording: false }, { ready_for_recording: false, state: 'interrupted' }])
    const result = await waitForReadyToRecord(baseOptions(t, { fetch: s.fetch }))
    expect(result).toMatchObject({ outcome: 'finished', run: { state: 'interrupted' } })
  })

  it('polls at most 3 s apart and times out at the deadline', async () => {
    const t = virtualTime()
    const s = scripted([{ ready_for_recording: false, node_active: false }])
    const result = await waitForReadyToRecord(baseOptions(t, { fetch: s.fetch, timeoutMs: 60_000 }))
    expect(result.outcome).toBe('timeout')
    expect(t.elapsed()).toBe(60_000)
    expect(Math.max(...t.sleeps)).toBe(3000)
  })
})

describe('the benchmark properties, on a virtual clock', () => {
  const seeds = Array.from({ length: 15 }, (_, i) => i + 1)
  const lengths = [
    ['30 s', 30_000],
    ['5 min', 300_000],
    ['30 min', 1_800_000]
  ] as const

  it.each(lengths)('a %s run: median detection lag ≤ 2 s', async (_label, durationMs) => {
    const results = await Promise.all(seeds.map((seed) => simulate(durationMs, seed)))
    const lags = results.map((r) => r.lagMs)
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(0)
    expect(median(lags)).toBeLessThanOrEqual(2000)
    expect(Math.max(...lags)).toBeLessThanOrEqual(2000)
  })

  it('a 30 min run takes fewer status requests than a fixed 15 s poller (120)', async () => {
    const results = await Promise.all(seeds.map((seed) => simulate(1_800_000, seed)))
    expect(Math.max(...results.map((r) => r.requests))).toBeLessThan(120)
  })

  it.each([2, 3])(
    'corrects an estimate %i times too long: median lag ≤ 2 s, fewer requests than 120',
    async (scale) => {
      for (const [label, durationMs] of lengths) {
        const results = await Promise.all(seeds.map((seed) => simulate(durationMs, seed, 0, 30_000, scale)))
        const lags = results.map((r) => r.lagMs)
        expect(median(lags), label).toBeLessThanOrEqual(2000)
        expect(Math.max(...results.map((r) => r.requests)), label).toBeLessThan(120)
      }
    }
  )

  it('stays within the goals when the estimate wobbles by ±20 %', async () => {
    for (const [label, durationMs] of lengths) {
      const results = await Promise.all(seeds.map((seed) => simulate(durationMs, seed, 0.2)))
      const lags = results.map((r) => r.lagMs)
      expect(median(lags), label).toBeLessThanOrEqual(2000)
      expect(Math.max(...results.map((r) => r.requests)), label).toBeLessThan(120)
    }
  })
})

describe('a wait bounded by its deadline whatever the server does', () => {
  /** A status request that never answers until its signal aborts. */
  const hanging = (signal?: AbortSignal): Promise<TestRun> =>
    new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error)))

  it('aborts a hanging status request at the deadline and times out', async () => {
    const started = performance.now()
    const result = await waitForRunToFinish({ fetch: hanging, timeoutMs: 2500, maxIntervalMs: 1000 })
    expect(result.outcome).toBe('timeout')
    expect(performance.now() - started).toBeLessThan(2500 + 1500)
  })

  it('gives a request made at the deadline a little time, not the full request timeout', async () => {
    let calls = 0
    const fetch = (signal?: AbortSignal): Promise<TestRun> =>
      ++calls === 1 ? Promise.resolve(testRun({ state: 'running' })) : hanging(signal)
    const started = performance.now()
    const result = await waitForReadyToRecord({ fetch, timeoutMs: 1000, maxIntervalMs: 1000 })
    expect(result.outcome).toBe('timeout')
    expect(calls).toBe(2)
    expect(performance.now() - started).toBeLessThan(1000 + FINAL_FETCH_MS + 1000)
  })
})
