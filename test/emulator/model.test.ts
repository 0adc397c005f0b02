import { describe, expect, it } from 'vitest'
import type { WireTestRun as TestRun } from '../../emulator/wire.js'
import { countersAddUp, skippedBaselines } from './helpers.js'
import {
  FastApiError,
  FastModel,
  extensionMatcher,
  plannedRequestsFor,
  type ModelOptions
} from '../../emulator/index.js'

const A = 'fast-token-a'
const B = 'fast-token-b'
const T0 = 1_700_000_000_000

/** A model on a virtual clock at timeScale 1: 10 test requests per emulated second. */
function setup(options: ModelOptions = {}) {
  let now = T0
  const model = new FastModel({ tokens: [A, B], clock: () => now, ...options })
  return {
    model,
    advance: (ms: number) => (now += ms),
    at: () => now
  }
}

function req(path: string, method = 'GET', body = '') {
  return { method, url: `http://app.local:3000${path}`, headers: { host: 'app.local:3000' }, body }
}

function thrown(fn: () => unknown): FastApiError {
  try {
    fn()
  } catch (err) {
    if (err instanceof FastApiError) return err
    throw err
  }
  throw new Error('expected a FastApiError')
}

/** Reads the run every `step` ms until terminal, checking the counter identities at each read. */
function runToEnd(m: ReturnType<typeof setup>, id: number, step = 500, token = A): TestRun[] {
  const seen: TestRun[] = []
  for (let i = 0; i < 100_000; i++) {
    const run = m.model.getTestRun(token, id)
    seen.push(run)
    expect(countersAddUp(run, skippedBaselines(m.model.dump(), id))).toBe(true)
    if (['passed', 'failed', 'interrupted'].includes(run.state)) return seen
    m.advance(step)
  }
  throw new Error('run never ended')
}

describe('FastModel on a virtual clock', () => {
  it('creates a recording run that becomes ready after readyDelayMs', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r1' })
    expect(run).toMatchObject({
      state: 'running',
      recording: true,
      ready_for_recording: false,
      node_active: false,
      end_time: null,
      baseline_count: 0,
      vulns: []
    })
    expect(Number.isInteger(run.id) && run.id >= 5000).toBe(true)
    expect(Number.isInteger(run.test_record_id) && run.test_record_id >= 9000).toBe(true)
    m.advance(1999)
    expect(m.model.getTestRun(A, run.id).ready_for_recording).toBe(false)
    m.advance(1)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({ ready_for_recording: true, node_active: true })
  })

  it('does not record before ready_for_recording, records after', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    expect(m.model.recordBaseline(A, req('/early'))).toEqual({
      recorded: false,
      reason: 'not_ready',
      runId: run.id
    })
    m.advance(2000)
    expect(m.model.recordBaseline(A, req('/late'))).toMatchObject({ recorded: true, runId: run.id })
    expect(m.model.getTestRun(A, run.id).baseline_count).toBe(1)
    expect(m.model.recordBaseline(B, req('/other-node'))).toEqual({ recorded: false, reason: 'no_run' })
  })

  it('checks baselines in order and ends passed once recording stops and nothing is left', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    m.model.recordBaseline(A, req('/a'))
    m.model.recordBaseline(A, req('/b'))
    const r = m.model.getTestRun(A, run.id)
    expect(r).toMatchObject({ baseline_check_running_count: 1, baseline_check_waiting_count: 1 })
    const planned = plannedRequestsFor(req('/a')) + plannedRequestsFor(req('/b'))
    expect(r.planing_requests_count).toBe(planned)
    // All checks done, but still recording: the run cannot finish (spec §3.2 rule 2).
    m.advance(60_000)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({
      state: 'running',
      recording: true,
      baseline_check_passed_count: 2,
      sended_requests_count: planned
    })
    const stopped = m.model.stopRecording(A, run.id)
    expect(stopped).toMatchObject({ state: 'passed', recording: false, allowed_actions: [] })
    expect(stopped.end_time).toBe(Math.floor(m.at() / 1000))
  })

  it('keeps the counters consistent at every observation and ends failed with the vulnerability', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    for (const p of ['/a', '/vulnerable?id=1', '/c']) {
      m.model.recordBaseline(A, req(p))
      m.advance(700)
    }
    m.model.stopRecording(A, run.id)
    const seen = runToEnd(m, run.id, 250)
    const last = seen.at(-1)!
    expect(last).toMatchObject({
      state: 'failed',
      baseline_count: 3,
      baseline_check_fail_count: 1,
      baseline_check_passed_count: 2,
      baseline_check_all_terminated_count: 3
    })
    expect(last.vulns).toEqual([{ id: expect.any(Number), threat: 80, code: 'S0001', type: 'sqli' }])
    expect(last.sended_requests_count).toBe(last.planing_requests_count)
    // The run went through running and waiting baselines on the way.
    expect(seen.some((r) => r.baseline_check_running_count === 1 && r.baseline_check_waiting_count > 0)).toBe(
      true
    )
  })

  it('rates are null in the first 10 s and when not running; ETA = requests left / current_rps', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r', rps: 2 })
    m.advance(2000)
    m.model.recordBaseline(A, req('/a'))
    m.advance(5000)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({ current_rps: null, avg_rps: null })
    m.advance(4000) // 11 s after creation, the check has run for 9 s at 2 req/s: 18 sent
    const r = m.model.getTestRun(A, run.id)
    expect(r.sended_requests_count).toBe(18)
    expect(r.current_rps).toBe(1.8)
    expect(r.avg_rps).toBeCloseTo(18 / 11, 2)
    expect(r.estimated_time_to_completion).toBe(
      Math.ceil((r.planing_requests_count - r.sended_requests_count) / 1.8)
    )
    m.model.pause(run.id)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({
      state: 'paused',
      current_rps: null,
      avg_rps: null,
      estimated_time_to_completion: null
    })
  })

  it('the inactivity timeout ends recording after the last baseline (or creation)', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r', inactivity_timeout: 300 })
    m.advance(2000)
    m.model.recordBaseline(A, req('/a'))
    m.advance(299_999)
    expect(m.model.getTestRun(A, run.id).recording).toBe(true)
    m.advance(1)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({ recording: false, state: 'passed' })

    // No baseline at all: the timer runs from creation, and the run ends passed (spec §6.4).
    const empty = m.model.createTestRun(B, { name: 'empty' })
    m.advance(1800 * 1000 - 1)
    expect(m.model.getTestRun(B, empty.id).recording).toBe(true)
    m.advance(1)
    expect(m.model.getTestRun(B, empty.id)).toMatchObject({
      state: 'passed',
      recording: false,
      baseline_count: 0
    })
  })

  it('stop_on_first_fail ends failed at the first vulnerability, the rest interrupted', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r', stop_on_first_fail: true })
    m.advance(2000)
    m.model.recordBaseline(A, req('/vulnerable'))
    m.model.recordBaseline(A, req('/b'))
    m.model.recordBaseline(A, req('/vulnerable/2'))
    const seen = runToEnd(m, run.id, 200)
    expect(seen.at(-1)).toMatchObject({
      state: 'failed',
      recording: false,
      baseline_count: 3,
      baseline_check_fail_count: 1,
      baseline_check_interrupted_count: 2
    })
    expect(seen.at(-1)!.vulns).toHaveLength(1)
    // Nothing is recorded after the end.
    expect(m.model.recordBaseline(A, req('/x')).recorded).toBe(false)
  })

  it('stop_on_first_fail on a replay tested by a real node: failed at the first finding it reports, the rest interrupted', () => {
    const m = setup()
    const rec = m.model.createTestRun(A, { name: 'rec' })
    m.advance(2000)
    for (const p of ['/known', '/a', '/b', '/new']) m.model.recordBaseline(A, req(p))
    m.model.stopRecording(A, rec.id)
    runToEnd(m, rec.id)
    // A node process attaches: from now on its reports, not the clock, decide the checks.
    m.model.nodeHello(A, 'session-1')
    const copy = m.model.copyTestRun(A, {
      name: 'replay',
      test_record_id: rec.test_record_id,
      stop_on_first_fail: true
    })
    m.advance(5000)
    const checks = m.model.nodeWork(A).run!.checks
    expect(checks).toHaveLength(4)
    const [first, second] = checks
    m.model.nodeReport(A, copy.id, [
      { kind: 'start', baseline_id: first!.baseline_id, planned: 10 },
      { kind: 'start', baseline_id: second!.baseline_id, planned: 10 }
    ])
    m.advance(1000)
    m.model.nodeReport(A, copy.id, [
      {
        kind: 'done',
        baseline_id: first!.baseline_id,
        result: 'failed',
        findings: [{ type: 'sqli', threat: 80 }]
      }
    ])
    m.advance(1000)
    // What the node reports after the end changes nothing.
    m.model.nodeReport(A, copy.id, [{ kind: 'done', baseline_id: second!.baseline_id, result: 'passed' }])
    const end = m.model.getTestRun(A, copy.id)
    expect(end).toMatchObject({
      state: 'failed',
      stop_on_first_fail: true,
      baseline_count: 4,
      baseline_check_all_terminated_count: 4,
      baseline_check_fail_count: 1,
      baseline_check_passed_count: 0,
      baseline_check_interrupted_count: 3,
      baseline_check_running_count: 0,
      baseline_check_waiting_count: 0
    })
    expect(end.vulns).toHaveLength(1)
    expect(countersAddUp(end, skippedBaselines(m.model.dump(), copy.id))).toBe(true)
  })

  it('pause freezes progress and resume continues', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    m.model.recordBaseline(A, req('/a'))
    m.model.stopRecording(A, run.id)
    m.advance(1000)
    const before = m.model.pause(run.id)
    expect(before.state).toBe('paused')
    expect(before.allowed_actions).toContain('continue')
    m.advance(3_600_000)
    const during = m.model.getTestRun(A, run.id)
    expect(during).toMatchObject({ state: 'paused', sended_requests_count: before.sended_requests_count })
    expect(() => m.model.pause(run.id)).toThrow(FastApiError)
    expect(m.model.resume(run.id).state).toBe('running')
    m.advance(100)
    expect(m.model.getTestRun(A, run.id).sended_requests_count).toBe(before.sended_requests_count + 1)
    expect(runToEnd(m, run.id).at(-1)!.state).toBe('passed')
  })

  it('interrupt ends the run interrupted with unfinished checks counted as interrupted', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    m.model.recordBaseline(A, req('/a'))
    m.model.recordBaseline(A, req('/b'))
    m.advance(100)
    const r = m.model.interrupt(run.id)
    expect(r).toMatchObject({ state: 'interrupted', recording: false, baseline_check_interrupted_count: 2 })
    expect(r.end_time).not.toBeNull()
    expect(() => m.model.interrupt(run.id)).toThrow(FastApiError)
  })

  it('one run per node: a create or a copy interrupts the node’s current run, not other nodes’', () => {
    const m = setup()
    const first = m.model.createTestRun(A, { name: 'first' })
    const other = m.model.createTestRun(B, { name: 'other' })
    m.advance(10)
    const second = m.model.createTestRun(A, { name: 'second' })
    expect(m.model.getTestRun(A, first.id)).toMatchObject({ state: 'interrupted', recording: false })
    expect(m.model.getTestRun(B, other.id).state).toBe('running')
    expect(m.model.getTestRun(A, second.id).state).toBe('running')
    // A run of another node is 404.
    expect(thrown(() => m.model.getTestRun(B, first.id)).status).toBe(404)
  })

  it.each([
    ['counted', (planned: number, sent: number, rps: number) => Math.ceil((planned - sent) / rps)],
    ['queued', (planned: number, _sent: number, rps: number) => Math.ceil(planned / rps)],
    ['absent', () => null]
  ] as const)('reads the ETA as %s, and keeps avg_rps once the run finished', (eta, expected) => {
    const m = setup({ eta })
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    for (const p of ['/a', '/b', '/c']) m.model.recordBaseline(A, req(p))
    m.model.stopRecording(A, run.id)
    m.advance(12_000)
    const mid = m.model.getTestRun(A, run.id)
    expect(mid.state).toBe('running')
    expect(mid.current_rps).toBeGreaterThan(0)
    expect(mid.estimated_time_to_completion).toBe(
      expected(mid.planing_requests_count, mid.sended_requests_count, mid.current_rps!)
    )
    m.advance(600_000)
    const done = m.model.getTestRun(A, run.id)
    expect(done.state).toBe('passed')
    expect(done).toMatchObject({ current_rps: null, estimated_time_to_completion: null })
    expect(done.avg_rps).toBeCloseTo(done.sended_requests_count / (done.end_time! - done.start_time), 0)
  })

  it('counts excluded and duplicate baselines as recorded but not checked, and keeps them in the record', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r', file_extensions_to_exclude: 'png|ico' })
    m.advance(2000)
    expect(m.model.recordBaseline(A, req('/favicon.ico')).skipped).toBe('excluded')
    expect(m.model.recordBaseline(A, req('/a')).recorded).toBe(true)
    expect(m.model.recordBaseline(A, req('/a')).skipped).toBe('duplicate')
    expect(m.model.recordBaseline(A, req('/a', 'POST', 'x=1')).skipped).toBeUndefined()
    const counted = m.model.getTestRun(A, run.id)
    expect(counted.baseline_count).toBe(4)
    // The API has no counter for them (spec §2.T); the emulator's state says how many, by cause.
    expect(counted).not.toHaveProperty('baseline_skipped_duplicate_count')
    const skipped = skippedBaselines(m.model.dump(), run.id)
    expect(skipped).toEqual({ duplicate: 1, excluded: 1 })
    expect(countersAddUp(counted, skipped)).toBe(true)
    m.advance(600_000)
    expect(m.model.getTestRun(A, run.id)).toMatchObject({
      baseline_check_all_terminated_count: 2,
      baseline_count: 4
    })

    const noSkip = m.model.createTestRun(B, { name: 'r', skip_duplicated_baselines: false })
    m.advance(2000)
    m.model.recordBaseline(B, req('/a'))
    m.model.recordBaseline(B, req('/a'))
    expect(m.model.getTestRun(B, noSkip.id).baseline_count).toBe(2)
  })

  it('copies: 404, not_ready_for_cloning, empty, then cloning -> running -> failed again', () => {
    const m = setup()
    expect(thrown(() => m.model.copyTestRun(A, { name: 'c', test_record_id: 123 })).status).toBe(404)
    const src = m.model.createTestRun(A, { name: 'src' })
    const notReady = thrown(() => m.model.copyTestRun(B, { name: 'c', test_record_id: src.test_record_id }))
    expect(notReady.status).toBe(400)
    expect(notReady.body).toEqual({
      test_record_id: { error: 'not_ready_for_cloning', value: src.test_record_id }
    })
    m.advance(2000)
    m.model.recordBaseline(A, req('/vulnerable'))
    m.model.recordBaseline(A, req('/b'))
    m.model.stopRecording(A, src.id)
    expect(runToEnd(m, src.id).at(-1)!.state).toBe('failed')

    const empty = m.model.createTestRun(A, { name: 'empty' })
    m.model.stopRecording(A, empty.id)
    const emptyErr = thrown(() => m.model.copyTestRun(B, { name: 'c', test_record_id: empty.test_record_id }))
    expect(emptyErr.status).toBe(400)
    expect(emptyErr.body).toEqual({
      test_record_id: { error: 'empty_test_record', value: empty.test_record_id }
    })

    const copy = m.model.postTestRun(B, { name: 'copy', test_record_id: String(src.test_record_id) })
    expect(copy).toMatchObject({
      state: 'cloning',
      recording: false,
      test_record_id: src.test_record_id,
      baseline_count: 2,
      baseline_check_waiting_count: 2
    })
    m.advance(1000)
    expect(m.model.getTestRun(B, copy.id).state).toBe('running')
    const end = runToEnd(m, copy.id, 500, B).at(-1)!
    expect(end).toMatchObject({
      state: 'failed',
      baseline_check_fail_count: 1,
      baseline_check_passed_count: 1
    })
    expect(end.vulns[0]!.id).not.toBe(m.model.getTestRun(A, src.id).vulns[0]!.id)
  })

  it('validates every bounded field with {param:{error,value}}', () => {
    const m = setup()
    const cases: [Record<string, unknown>, string, unknown][] = [
      [{}, 'name', null],
      [{ name: '' }, 'name', ''],
      [{ name: 'x', rps: 'fast' }, 'rps', 'fast'],
      [{ name: 'x', rps: 0 }, 'rps', 0],
      [{ name: 'x', rps: 1001 }, 'rps', 1001],
      [{ name: 'x', rps_per_baseline: 0 }, 'rps_per_baseline', 0],
      [{ name: 'x', rps_per_baseline: 501 }, 'rps_per_baseline', 501],
      [{ name: 'x', inactivity_timeout: 299 }, 'inactivity_timeout', 299],
      [{ name: 'x', inactivity_timeout: 86401 }, 'inactivity_timeout', 86401],
      [{ name: 'x', policy_id: 0 }, 'policy_id', 0],
      [{ name: 'x', policy_id: 'abc' }, 'policy_id', 'abc'],
      [{ name: 'x', policy_id: 1.5 }, 'policy_id', 1.5]
    ]
    for (const [params, key, value] of cases) {
      const err = thrown(() => m.model.createTestRun(A, params))
      expect(err.status).toBe(400)
      expect((err.body as Record<string, { value: unknown }>)[key]).toMatchObject({
        error: expect.any(String),
        value
      })
    }
    // Limits are inclusive, and numeric strings (form encoding) are accepted.
    const ok = m.model.createTestRun(A, {
      name: 'x',
      rps: '1000',
      rps_per_baseline: 500,
      inactivity_timeout: 86400,
      policy_id: 7
    })
    expect(ok).toMatchObject({ rps: 1000, rps_per_baseline: 500, inactivity_timeout: 86400, policy_id: 7 })
    expect(m.model.createTestRun(A, { name: 'y' }).inactivity_timeout).toBe(1800)
  })

  it('rejects unknown and missing tokens with 403 (or 401 when configured)', () => {
    const m = setup()
    expect(thrown(() => m.model.createTestRun('nope', { name: 'x' })).status).toBe(403)
    expect(thrown(() => m.model.getTestRun(undefined, 1)).status).toBe(403)
    const m401 = setup({ authFailureStatus: 401 })
    expect(thrown(() => m401.model.createTestRun('nope', { name: 'x' })).status).toBe(401)
  })

  it('can omit ready_for_recording like old API versions', () => {
    const m = setup({ omitReadyForRecording: true })
    const run = m.model.createTestRun(A, { name: 'x' })
    expect('ready_for_recording' in run).toBe(false)
    m.advance(2000)
    expect(m.model.getTestRun(A, run.id).node_active).toBe(true)
  })

  it('keeps the path and query the node recorded, never normalised', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    m.model.recordBaseline(A, req("/static/../vulnerable?q='%2e%2e\\"))
    m.model.stopRecording(A, run.id)
    runToEnd(m, run.id)
    const [vuln] = m.model.listVulns({ filter: { testrun_id: [run.id] } })
    expect(vuln).toMatchObject({ path: '/static/../vulnerable', parameter: 'q' })
    expect(vuln!.template_params).toMatchObject({ path: '/static/../vulnerable' })
  })

  it('lists full vulnerabilities once found, with limit and offset', () => {
    const m = setup()
    const run = m.model.createTestRun(A, { name: 'r' })
    m.advance(2000)
    for (let i = 0; i < 3; i++) m.model.recordBaseline(A, req(`/vulnerable/${i}?q=1`))
    expect(m.model.listVulns({ filter: { testrun_id: [run.id] } })).toEqual([])
    m.model.stopRecording(A, run.id)
    runToEnd(m, run.id)
    const all = m.model.listVulns({ filter: { testrun_id: [run.id] }, limit: 1000 })
    expect(all).toHaveLength(3)
    expect(all[0]).toMatchObject({
      type: 'sqli',
      threat: 80,
      status: 'active',
      testrun_id: run.id,
      method: 'GET',
      domain: 'app.local:3000',
      path: '/vulnerable/0',
      parameter: 'q',
      validated: true
    })
    expect(m.model.listVulns({ filter: { testrun_id: [run.id] }, limit: 1, offset: 1 })).toEqual([all[1]])
    expect(m.model.listVulns({ filter: { testrun_id: null } })).toEqual([])
    expect(thrown(() => m.model.listVulns({ limit: 1001 })).status).toBe(400)
    const denied = setup({ vulnReadDenied: [B] })
    expect(thrown(() => denied.model.listVulnsAs(B, {})).status).toBe(403)
    expect(denied.model.listVulnsAs(A, {})).toEqual([])
  })
})

describe('extensionMatcher', () => {
  it('follows the pseudo-regex forms of spec §E1', () => {
    const m = extensionMatcher('jpg|png,ico')!
    expect(['/a.jpg', '/favicon.ICO', '/x/y.png'].every(m)).toBe(true)
    expect(['/a.jpgx', '/png', '/a.js'].some(m)).toBe(false)
    expect(extensionMatcher('jpe?g')!('/a.jpeg')).toBe(true)
    expect(extensionMatcher('jpe?g')!('/a.jpg')).toBe(true)
    expect(extensionMatcher('')).toBeNull()
    expect(() => extensionMatcher('*')).toThrow()
  })
})
