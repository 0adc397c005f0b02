import { afterEach, describe, expect, it } from 'vitest'
import {
  api,
  countersAddUp,
  skippedBaselines,
  startTarget,
  viaProxy,
  waitFor,
  type Target
} from './helpers.js'
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type RecordedApiRequest
} from '../../emulator/index.js'

const A = 'fast-token-a'
const B = 'fast-token-b'

let em: Emulator | undefined
let target: Target | undefined

afterEach(async () => {
  await em?.close()
  await target?.close()
  em = undefined
  target = undefined
})

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  em = await startEmulator({ tokens: [A, B], timeScale: 0.01, ...options })
  return em
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test-run body as JSON
type RunJson = Record<string, any>

async function waitReady(e: Emulator, id: number, token = A) {
  return waitFor(async () => {
    const r = await api(e, 'GET', `/v1/test_run/${id}`, { token })
    return (r.json.body.ready_for_recording === true ? r.json.body : null) as RunJson | null
  })
}

/**
 * Polls until terminal, checking the counter identities at every observation: on the run as the
 * emulator's state shows it, the E3 object and the skipped baselines (which E3 does not give) read at
 * one instant.
 */
async function waitTerminal(e: Emulator, id: number, token = A) {
  return waitFor(async () => {
    const state = (await api(e, 'GET', '/__emulator/state', { token: null })).json.body
    const seen = (state.runs as RunJson[]).find((x) => x.id === id)
    expect(countersAddUp(seen, skippedBaselines(state, id))).toBe(true)
    const r = await api(e, 'GET', `/v1/test_run/${id}`, { token })
    expect(r.httpStatus).toBe(200)
    return (
      ['passed', 'failed', 'interrupted'].includes(r.json.body.state) ? r.json.body : null
    ) as RunJson | null
  })
}

describe('envelope and authentication', () => {
  it('wraps success in {status, body} with status equal to the HTTP status', async () => {
    const e = await start()
    const r = await api(e, 'POST', '/v1/test_run', { body: { name: 'ci-1' } })
    expect(r.httpStatus).toBe(200)
    expect(r.json.status).toBe(200)
    expect(r.json.body).toMatchObject({
      name: 'ci-1',
      state: 'running',
      recording: true,
      ready_for_recording: false,
      node_active: false
    })
    expect(r.headers.get('content-type')).toContain('application/json')
  })

  it('answers 403 {"status":403,"body":"..."} for a missing or unknown token', async () => {
    const e = await start()
    for (const token of [null, 'wrong']) {
      const r = await api(e, 'POST', '/v1/test_run', { token, body: { name: 'x' } })
      expect(r.httpStatus).toBe(403)
      expect(r.json).toEqual({ status: 403, body: expect.any(String) })
    }
    const g = await api(e, 'GET', '/v1/test_run/5001', { token: 'wrong' })
    expect(g.httpStatus).toBe(403)
  })

  it('accepts the token header in any casing', async () => {
    const e = await start()
    for (const headerName of ['X-WallarmApi-Token', 'x-wallarmapi-token', 'X-WALLARMAPI-TOKEN']) {
      const r = await api(e, 'POST', '/v1/test_run', { headerName, body: { name: 'x' } })
      expect(r.httpStatus).toBe(200)
    }
  })

  it('can answer 401 instead when configured', async () => {
    const e = await start({ authFailureStatus: 401 })
    const r = await api(e, 'GET', '/v1/test_run/1', { token: 'nope' })
    expect(r.json).toEqual({ status: 401, body: expect.any(String) })
  })

  it('answers unknown paths and wrong methods with an envelope', async () => {
    const e = await start()
    const r = await api(e, 'GET', '/v1/nothing')
    expect(r.httpStatus).toBe(404)
    expect(r.json).toEqual({ status: 404, body: expect.any(String) })
    const m = await api(e, 'DELETE', '/v1/test_run')
    expect(r.json.status).toBe(404)
    expect(m.json.status).toBe(405)
    const bad = await fetch(`${e.apiUrl}/v1/test_run`, {
      method: 'POST',
      headers: { 'x-wallarmapi-token': A, 'content-type': 'application/json' },
      body: '{"name":'
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { status: number }).status).toBe(400)
  })
})

describe('E1 create', () => {
  it('validates each bounded field with 400 {"<param>":{"error","value"}}', async () => {
    const e = await start()
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'name'],
      [{ name: 'x', rps: 0 }, 'rps'],
      [{ name: 'x', rps: 1001 }, 'rps'],
      [{ name: 'x', rps_per_baseline: 0 }, 'rps_per_baseline'],
      [{ name: 'x', rps_per_baseline: 501 }, 'rps_per_baseline'],
      [{ name: 'x', inactivity_timeout: 299 }, 'inactivity_timeout'],
      [{ name: 'x', inactivity_timeout: 86401 }, 'inactivity_timeout'],
      [{ name: 'x', policy_id: -3 }, 'policy_id'],
      [{ name: 'x', policy_id: 'p' }, 'policy_id']
    ]
    for (const [body, key] of cases) {
      const r = await api(e, 'POST', '/v1/test_run', { body })
      expect(r.httpStatus, JSON.stringify(body)).toBe(400)
      expect(r.json.status).toBe(400)
      expect(r.json.body[key]).toEqual({ error: expect.any(String), value: body[key] ?? null })
    }
    // Nothing was created by the failed calls.
    expect(e.model.runIds()).toEqual([])
  })

  it('accepts a form-encoded body', async () => {
    const e = await start()
    const r = await api(e, 'POST', '/v1/test_run', {
      form: 'name=form-run&rps=20&stop_on_first_fail=true&test_record_name=rec'
    })
    expect(r.httpStatus).toBe(200)
    expect(r.json.body).toMatchObject({ name: 'form-run', rps: 20, stop_on_first_fail: true })
  })

  // Which fields it has: 'the test-run object' below.
  it('returns a fresh run with no end_time and no rates yet', async () => {
    const e = await start()
    const r = await api(e, 'POST', '/v1/test_run', { body: { name: 'x', desc: 'd' } })
    expect(r.json.body.desc).toBe('d')
    expect(r.json.body.end_time).toBeNull()
    expect(r.json.body.current_rps).toBeNull()
  })

  it('one run per node: a second create interrupts the first; other nodes are untouched', async () => {
    const e = await start()
    const first = (await api(e, 'POST', '/v1/test_run', { body: { name: 'one' } })).json.body
    const other = (await api(e, 'POST', '/v1/test_run', { token: B, body: { name: 'other' } })).json.body
    await api(e, 'POST', '/v1/test_run', { body: { name: 'two' } })
    const r = (await api(e, 'GET', `/v1/test_run/${first.id}`)).json.body
    expect(r).toMatchObject({ state: 'interrupted', recording: false, allowed_actions: [] })
    expect(r.end_time).toEqual(expect.any(Number))
    expect((await api(e, 'GET', `/v1/test_run/${other.id}`, { token: B })).json.body.state).toBe('running')
    // A run of another node is 404.
    expect((await api(e, 'GET', `/v1/test_run/${first.id}`, { token: B })).httpStatus).toBe(404)
  })

  it('turns ready_for_recording and node_active true after the delay', async () => {
    const e = await start()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    expect(run.ready_for_recording).toBe(false)
    const ready = await waitReady(e, run.id)
    expect(ready.node_active).toBe(true)
  })

  it('omits ready_for_recording when emulating an old API version', async () => {
    const e = await start({ omitReadyForRecording: true })
    const r = await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })
    expect(r.json.body).not.toHaveProperty('ready_for_recording')
    expect(r.json.body.node_active).toBe(false)
  })
})

describe('the test-run object', () => {
  /** Spec §2.T's table: every field the docs or Wallarm's clients show. */
  const DOCUMENTED = [
    'id',
    'name',
    'desc',
    'clientid',
    'state',
    'simple_state',
    'allowed_actions',
    'test_record_id',
    'recording',
    'ready_for_recording',
    'node_active',
    'policy_name',
    'vulns',
    'baseline_count',
    'baseline_check_all_terminated_count',
    'baseline_check_fail_count',
    'baseline_check_tech_fail_count',
    'baseline_check_passed_count',
    'baseline_check_running_count',
    'baseline_check_interrupted_count',
    'baseline_check_waiting_count',
    'finished_checks_count',
    'sended_requests_count',
    'planing_requests_count',
    'current_rps',
    'avg_rps',
    'estimated_time_to_completion',
    'start_time',
    'end_time',
    'domains'
  ]
  /**
   * Spec §2.T's "plausible but unconfirmed extras: policy id, node id, tags, rps settings [I]", as the
   * emulator chose them: the ids and the E1 settings given back. Nothing else: no counter of skipped
   * baselines, which the spec says are simply missing from the check counters.
   */
  const PLAUSIBLE_EXTRAS = [
    'policy_id',
    'node_id',
    'rps',
    'rps_per_baseline',
    'inactivity_timeout',
    'stop_on_first_fail',
    'skip_duplicated_baselines',
    'file_extensions_to_exclude',
    'type'
  ]
  const KEYS = [...DOCUMENTED, ...PLAUSIBLE_EXTRAS].sort()

  function keysOf(answer: { json: { body: RunJson } }): string[] {
    return Object.keys(answer.json.body).sort()
  }

  it('has exactly the spec fields in every answer that carries it (E1, E2, E3, E4, E5), skipped baselines or not', async () => {
    const e = await start()
    target = await startTarget()
    const created = await api(e, 'POST', '/v1/test_run', {
      body: { name: 'x', file_extensions_to_exclude: 'ico' }
    })
    expect(keysOf(created)).toEqual(KEYS)
    const id = created.json.body.id as number
    await waitReady(e, id)
    for (const path of ['/favicon.ico', '/a', '/a']) await viaProxy(e.proxyUrl, `${target.url}${path}`)
    const read = await api(e, 'GET', `/v1/test_run/${id}`)
    expect(read.json.body.baseline_count).toBe(3)
    expect(keysOf(read)).toEqual(KEYS)
    // The run did skip two baselines: the emulator says so, off the API.
    expect(
      skippedBaselines((await api(e, 'GET', '/__emulator/state', { token: null })).json.body, id)
    ).toEqual({
      duplicate: 1,
      excluded: 1
    })
    expect(keysOf(await api(e, 'POST', `/v1/test_run/${id}/action/stop`))).toEqual(KEYS)
    await waitTerminal(e, id)
    expect(keysOf(await api(e, 'GET', `/v1/test_run/${id}`))).toEqual(KEYS)

    const copy = await api(e, 'POST', '/v1/test_run', {
      body: { name: 'y', test_record_id: created.json.body.test_record_id }
    })
    expect(copy.httpStatus).toBe(200)
    expect(keysOf(copy)).toEqual(KEYS)
    const another = (await api(e, 'POST', '/v1/test_run', { body: { name: 'z' } })).json.body
    const byRecord = await api(e, 'POST', `/v1/test_record/${another.test_record_id}/action/stop`)
    expect(byRecord.httpStatus).toBe(200)
    expect(keysOf(byRecord)).toEqual(KEYS)
  })

  it('drops only ready_for_recording when emulating an old API version', async () => {
    const e = await start({ omitReadyForRecording: true })
    const created = await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })
    expect(keysOf(created)).toEqual(KEYS.filter((k) => k !== 'ready_for_recording'))
  })
})

describe('recording, stopping and completion', () => {
  it('records only after readiness, then passes or fails by vulnerabilities', async () => {
    const e = await start({ readyDelayMs: 30_000 })
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    const early = await viaProxy(e.proxyUrl, `${target.url}/early`)
    expect(early.status).toBe(200)
    expect((await api(e, 'GET', `/v1/test_run/${run.id}`)).json.body.baseline_count).toBe(0)
    await waitReady(e, run.id)
    await viaProxy(e.proxyUrl, `${target.url}/ok`)
    await viaProxy(e.proxyUrl, `${target.url}/search?q=vulnerable`)
    const mid = (await api(e, 'GET', `/v1/test_run/${run.id}`)).json.body
    expect(mid.baseline_count).toBe(2)
    expect(mid.domains).toEqual([new URL(target.url).host])
    const stopped = await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    expect(stopped.httpStatus).toBe(200)
    expect(stopped.json.body).toMatchObject({
      id: run.id,
      recording: false,
      test_record_id: run.test_record_id
    })
    const end = await waitTerminal(e, run.id)
    expect(end).toMatchObject({
      state: 'failed',
      baseline_count: 2,
      baseline_check_fail_count: 1,
      baseline_check_passed_count: 1,
      allowed_actions: []
    })
    expect(end.vulns).toEqual([{ id: expect.any(Number), threat: 80, code: 'S0001', type: 'sqli' }])
    expect(end.end_time).toEqual(expect.any(Number))
    // Stopping again is a no-op with 200.
    const again = await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    expect(again.json).toMatchObject({ status: 200, body: { state: 'failed', recording: false } })
  })

  it('ends passed without vulnerabilities; stop also works with GET and by record (E5)', async () => {
    const e = await start()
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    await waitReady(e, run.id)
    await viaProxy(e.proxyUrl, `${target.url}/fine`)
    const viaGet = await api(e, 'GET', `/v1/test_run/${run.id}/action/stop`)
    expect(viaGet.json.body.recording).toBe(false)
    expect((await waitTerminal(e, run.id)).state).toBe('passed')

    const run2 = (await api(e, 'POST', '/v1/test_run', { body: { name: 'y' } })).json.body
    const byRecord = await api(e, 'POST', `/v1/test_record/${run2.test_record_id}/action/stop`, { form: '' })
    expect(byRecord.json).toMatchObject({ status: 200, body: { id: run2.id, recording: false } })
    // Zero baselines once recording stops: passed (spec §6.4 gap).
    expect((await waitTerminal(e, run2.id)).state).toBe('passed')
    expect((await api(e, 'POST', '/v1/test_record/1/action/stop')).httpStatus).toBe(404)
    expect((await api(e, 'POST', '/v1/test_run/1/action/stop')).httpStatus).toBe(404)
  })

  it('stop_on_first_fail ends failed at the first vulnerability', async () => {
    const e = await start()
    target = await startTarget()
    // rps 2: the first check lasts 150..350 ms at timeScale 0.01, time enough to record the next two.
    const run = (
      await api(e, 'POST', '/v1/test_run', { body: { name: 'x', stop_on_first_fail: true, rps: 2 } })
    ).json.body
    await waitReady(e, run.id)
    await viaProxy(e.proxyUrl, `${target.url}/vulnerable`)
    await viaProxy(e.proxyUrl, `${target.url}/a`)
    await viaProxy(e.proxyUrl, `${target.url}/b`)
    // No stop call: the first vulnerability ends the run and its recording.
    const end = await waitTerminal(e, run.id)
    expect(end).toMatchObject({ state: 'failed', recording: false, baseline_check_fail_count: 1 })
    expect(end.baseline_check_interrupted_count).toBe(2)
  })

  it('the inactivity timeout ends recording by itself; later requests are proxied, not recorded', async () => {
    // 300 emulated s at timeScale 0.001 = 0.3 real s.
    const e = await start({ timeScale: 0.001 })
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x', inactivity_timeout: 300 } })).json
      .body
    await waitReady(e, run.id)
    await viaProxy(e.proxyUrl, `${target.url}/a`)
    const end = await waitTerminal(e, run.id)
    expect(end).toMatchObject({ state: 'passed', recording: false, baseline_count: 1 })
    // What a run step with a pause longer than inactivity-timeout meets (spec §3.2 rule 2). The stop of a
    // recording that no longer records is undocumented (§6.2): 200 with the run as it is, recording false.
    await viaProxy(e.proxyUrl, `${target.url}/b`)
    const stop = await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    expect(stop.httpStatus).toBe(200)
    expect(stop.json.body).toMatchObject({ recording: false, baseline_count: 1, end_time: end.end_time })
  })

  it('pause (control call) freezes progress; resume continues', async () => {
    const e = await start()
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x', rps: 1 } })).json.body
    await waitReady(e, run.id)
    await viaProxy(e.proxyUrl, `${target.url}/a`)
    await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    const pausedBody = (await api(e, 'POST', `/__emulator/runs/${run.id}/pause`, { token: null })).json.body
    expect(pausedBody.state).toBe('paused')
    await new Promise((r) => setTimeout(r, 50))
    const still = (await api(e, 'GET', `/v1/test_run/${run.id}`)).json.body
    expect(still).toMatchObject({ state: 'paused', sended_requests_count: pausedBody.sended_requests_count })
    const resumed = await api(e, 'POST', `/__emulator/runs/${run.id}/resume`, { token: null })
    expect(resumed.json.body.state).toBe('running')
    expect((await waitTerminal(e, run.id)).state).toBe('passed')
    const again = await api(e, 'POST', `/__emulator/runs/${run.id}/pause`, { token: null })
    expect(again.httpStatus).toBe(409)
  })

  it('interrupt (control call) ends the run interrupted', async () => {
    const e = await start()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    const r = await api(e, 'POST', `/__emulator/runs/${run.id}/interrupt`, { token: null })
    expect(r.json.body.state).toBe('interrupted')
    expect((await api(e, 'GET', `/v1/test_run/${run.id}`)).json.body.state).toBe('interrupted')
  })
})

describe('E2 copy', () => {
  it('404 for an unknown record, 400 not_ready_for_cloning, 400 for an empty record', async () => {
    const e = await start()
    const unknown = await api(e, 'POST', '/v1/test_run', { body: { name: 'c', test_record_id: 1 } })
    expect(unknown.httpStatus).toBe(404)
    expect(unknown.json.status).toBe(404)

    const src = (await api(e, 'POST', '/v1/test_run', { body: { name: 'src' } })).json.body
    const busy = await api(e, 'POST', '/v1/test_run', {
      token: B,
      body: { name: 'c', test_record_id: src.test_record_id }
    })
    expect(busy.httpStatus).toBe(400)
    expect(busy.json).toEqual({
      status: 400,
      body: { test_record_id: { error: 'not_ready_for_cloning', value: src.test_record_id } }
    })

    await api(e, 'POST', `/v1/test_run/${src.id}/action/stop`)
    const empty = await api(e, 'POST', '/v1/test_run', {
      token: B,
      body: { name: 'c', test_record_id: src.test_record_id }
    })
    expect(empty.httpStatus).toBe(400)
    expect(empty.json.body.test_record_id).toEqual({ error: expect.any(String), value: src.test_record_id })
  })

  it('cloning -> running -> failed again for a record with a vulnerable baseline', async () => {
    const e = await start()
    target = await startTarget()
    const src = (await api(e, 'POST', '/v1/test_run', { body: { name: 'src' } })).json.body
    await waitReady(e, src.id)
    await viaProxy(e.proxyUrl, `${target.url}/vulnerable?id=1`)
    await viaProxy(e.proxyUrl, `${target.url}/home`)
    await api(e, 'POST', `/v1/test_run/${src.id}/action/stop`)
    expect((await waitTerminal(e, src.id)).state).toBe('failed')

    const copy = await api(e, 'POST', '/v1/test_run', {
      body: { name: 'replay', test_record_id: src.test_record_id, policy_id: 104 }
    })
    expect(copy.httpStatus).toBe(200)
    expect(copy.json.body).toMatchObject({
      state: 'cloning',
      recording: false,
      test_record_id: src.test_record_id,
      policy_id: 104
    })
    await waitFor(
      async () => (await api(e, 'GET', `/v1/test_run/${copy.json.body.id}`)).json.body.state === 'running'
    )
    const end = await waitTerminal(e, copy.json.body.id)
    expect(end).toMatchObject({ state: 'failed', baseline_count: 2, baseline_check_fail_count: 1 })
    expect(end.vulns).toHaveLength(1)
  })
})

describe('E7 vulnerabilities', () => {
  it('lists full objects by testrun_id with limit and offset; limit > 1000 is 400', async () => {
    const e = await start()
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    await waitReady(e, run.id)
    for (const p of ['/vulnerable/1', '/vulnerable/2', '/vulnerable/3'])
      await viaProxy(e.proxyUrl, target.url + p)
    await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    await waitTerminal(e, run.id)

    const all = await api(e, 'POST', '/v1/objects/vuln', {
      body: { filter: { testrun_id: [run.id] }, limit: 1000, offset: 0, order_desc: false }
    })
    expect(all.json.status).toBe(200)
    expect(all.json.body).toHaveLength(3)
    expect(all.json.body[0]).toMatchObject({
      id: expect.any(Number),
      type: 'sqli',
      threat: 80,
      method: 'GET',
      domain: new URL(target.url).host,
      path: '/vulnerable/1',
      parameter: expect.any(String),
      title: expect.any(String),
      description: expect.any(String),
      exploit_example: expect.any(String),
      status: 'active',
      testrun_id: run.id,
      validated: true
    })
    const page = await api(e, 'POST', '/v1/objects/vuln', {
      body: { filter: { testrun_id: [run.id] }, limit: 2, offset: 2 }
    })
    expect(page.json.body).toEqual([all.json.body[2]])
    const other = await api(e, 'POST', '/v1/objects/vuln', {
      body: { filter: { testrun_id: [1] }, limit: 10 }
    })
    expect(other.json.body).toEqual([])
    const form = await api(e, 'POST', '/v1/objects/vuln', { form: `filter[testrun_id][]=${run.id}&limit=1` })
    expect(form.json.body).toEqual([all.json.body[0]])
    const tooMany = await api(e, 'POST', '/v1/objects/vuln', { body: { filter: {}, limit: 1001 } })
    expect(tooMany.httpStatus).toBe(400)
    expect(tooMany.json).toEqual({ status: 400, body: { limit: { error: expect.any(String), value: 1001 } } })

    // Ordering (spec §E7: order_by a field name, order_desc) and the offset bound (§6.1: 0..1000).
    const ids = (all.json.body as Array<{ id: number }>).map((v) => v.id)
    const newest = await api(e, 'POST', '/v1/objects/vuln', {
      body: { filter: { testrun_id: [run.id] }, limit: 2, offset: 0, order_by: 'id', order_desc: true }
    })
    expect((newest.json.body as Array<{ id: number }>).map((v) => v.id)).toEqual(
      [...ids].reverse().slice(0, 2)
    )
    const atBound = await api(e, 'POST', '/v1/objects/vuln', { body: { filter: {}, limit: 5, offset: 1000 } })
    expect(atBound.json.body).toEqual([])
    for (const [body, field] of [
      [{ filter: {}, offset: 1001 }, 'offset'],
      [{ filter: {}, order_by: 'password' }, 'order_by']
    ] as const) {
      const refused = await api(e, 'POST', '/v1/objects/vuln', { body })
      expect(refused.httpStatus).toBe(400)
      expect(Object.keys(refused.json.body)).toEqual([field])
    }
  })

  it('an API token reads E7, and nothing else; node tokens can be refused there, all or one', async () => {
    const API = 'wallarm-api-token-e2e'
    const e = await start({ apiTokens: [API], nodeTokensReadVulns: false })
    const read = { body: { filter: {}, limit: 10 } }
    expect((await api(e, 'POST', '/v1/objects/vuln', { ...read, token: API })).json).toEqual({
      status: 200,
      body: []
    })
    expect((await api(e, 'POST', '/v1/user', { token: API })).json.body).toMatchObject({ id: null })
    expect((await api(e, 'POST', '/v1/test_run', { body: { name: 'x' }, token: API })).httpStatus).toBe(403)
    expect((await api(e, 'POST', '/v1/objects/vuln', { ...read, token: A })).json).toEqual({
      status: 403,
      body: 'Access denied'
    })
    expect((await api(e, 'POST', '/v1/objects/vuln', { ...read, token: 'unknown' })).httpStatus).toBe(403)
  })

  it("keeps the console's triage: a status per vulnerability, the status filter, 404 and 400", async () => {
    const e = await start()
    target = await startTarget()
    const run = (await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })).json.body
    await waitReady(e, run.id)
    for (const p of ['/vulnerable/1', '/vulnerable/2']) await viaProxy(e.proxyUrl, target.url + p)
    await api(e, 'POST', `/v1/test_run/${run.id}/action/stop`)
    await waitTerminal(e, run.id)
    const list = async (
      filter: object
    ): Promise<{ status: number; body: Array<{ id: number; status: string }> }> =>
      (await api(e, 'POST', '/v1/objects/vuln', { body: { filter, limit: 100 } })).json as {
        status: number
        body: Array<{ id: number; status: string }>
      }
    const [first, second] = (await list({ testrun_id: [run.id] })).body as [
      { id: number },
      { id: number },
      ...unknown[]
    ]
    const marked = await api(e, 'POST', `/__emulator/vulns/${first.id}/status`, {
      body: { status: 'falsepositive' }
    })
    expect(marked.json.body).toMatchObject({ id: first.id, status: 'falsepositive' })
    await api(e, 'POST', `/__emulator/vulns/${second.id}/status`, { body: { status: 'closed' } })
    expect((await list({ status: 'falsepositive' })).body.map((v) => v.id)).toEqual([first.id])
    expect(
      (await list({ status: ['falsepositive', 'closed'], testrun_id: [run.id] })).body.map(
        (v: { status: string }) => v.status
      )
    ).toEqual(['falsepositive', 'closed'])
    expect((await list({ status: 'active' })).body).toEqual([])
    expect(await list({ status: 'fixed' })).toEqual({
      status: 400,
      body: { status: { error: expect.any(String), value: 'fixed' } }
    })
    expect(
      (await api(e, 'POST', '/__emulator/vulns/1/status', { body: { status: 'closed' } })).httpStatus
    ).toBe(404)
    expect(
      (await api(e, 'POST', `/__emulator/vulns/${first.id}/status`, { body: { status: 'wontfix' } }))
        .httpStatus
    ).toBe(400)
  })

  it('answers 403 for a token configured as denied', async () => {
    const e = await start({ vulnReadDenied: [B] })
    const denied = await api(e, 'POST', '/v1/objects/vuln', { token: B, body: { filter: {}, limit: 10 } })
    expect(denied.json).toEqual({ status: 403, body: expect.any(String) })
    const allowed = await api(e, 'POST', '/v1/objects/vuln', { token: A, body: { filter: {}, limit: 10 } })
    expect(allowed.json).toEqual({ status: 200, body: [] })
  })
})

describe('control endpoints', () => {
  it('exposes state and the request log, and the log excludes control calls', async () => {
    const e = await start()
    await api(e, 'POST', '/v1/test_run', { body: { name: 'x' } })
    await api(e, 'GET', '/v1/test_run/424242')
    const log = (await api(e, 'GET', '/__emulator/requests', { token: null })).json as {
      body: RecordedApiRequest[]
    }
    expect(log.body.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/test_run', 200],
      ['GET', '/v1/test_run/424242', 404]
    ])
    expect(log.body[0]!.headers['x-wallarmapi-token']).toBe(A)
    expect(log.body[0]!.body).toEqual({ name: 'x' })
    const state = (await api(e, 'GET', '/__emulator/state', { token: null })).json
    expect(state.body.runs).toHaveLength(1)
    expect(state.body.records).toHaveLength(1)
    expect(e.requests).toHaveLength(2)
    await api(e, 'DELETE', '/__emulator/requests', { token: null })
    expect(e.requests).toHaveLength(0)
  })
})
