/**
 * The real FastClient against the real emulator (in-process, 127.0.0.1, port 0): every client call and
 * error, what the emulator received (method, path, token header, JSON body), and the retry policy proven
 * with injected faults. Retries use an injected sleep that records its delays and resolves at once; the
 * emulator runs 50 times faster than real time (timeScale 0.02). No assertion depends on timing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FastClient, type FastClientOptions, type FastRetryInfo } from '../../src/wallarm/client.js'
import { WallarmApiError, isAuthError, isNotFound, isNotReadyForCloning } from '../../src/wallarm/errors.js'
import { isTerminalState, type TestRun } from '../../src/wallarm/types.js'
import { startTarget, viaProxy, waitFor, type Target } from '../emulator/helpers.js'
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type RecordedApiRequest
} from '../../emulator/index.js'

const A = 'fast-int-token-a-5ecr3t'
const B = 'fast-int-token-b-5ecr3t'
const TIME_SCALE = 0.02
/** Real ms a poll may take before the test gives up (generous: the emulated run takes well under 1 s). */
const POLL_TIMEOUT_MS = 15_000

interface Harness {
  client: FastClient
  sleeps: number[]
  retries: FastRetryInfo[]
}

const clients: FastClient[] = []

function makeClient(emu: Emulator, token: string, opts: Partial<FastClientOptions> = {}): Harness {
  const sleeps: number[] = []
  const retries: FastRetryInfo[] = []
  const client = new FastClient({
    baseUrl: emu.apiUrl,
    token,
    baseDelayMs: 1,
    maxDelayMs: 30_000,
    timeoutMs: 5_000,
    sleep: (ms) => {
      sleeps.push(ms)
      return Promise.resolve()
    },
    onRetry: (info) => retries.push(info),
    ...opts
  })
  clients.push(client)
  return { client, sleeps, retries }
}

function disposeClients(): void {
  for (const c of clients.splice(0)) c.dispose()
}

/** The error `p` rejects with, as a WallarmApiError (fails the test if it resolves or throws another). */
async function rejection(p: Promise<unknown>): Promise<WallarmApiError> {
  let caught: unknown
  try {
    await p
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(WallarmApiError)
  return caught as WallarmApiError
}

function requestsTo(emu: Emulator, method: string, path: string | RegExp): RecordedApiRequest[] {
  return emu.requests.filter(
    (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))
  )
}

async function pollRun(client: FastClient, id: string, until: (run: TestRun) => boolean): Promise<TestRun> {
  return waitFor(
    async () => {
      const run = await client.getTestRun(id)
      return until(run) ? run : null
    },
    POLL_TIMEOUT_MS,
    10
  )
}

const untilTerminal = (run: TestRun): boolean => isTerminalState(run.state)

// ---------------------------------------------------------------------------------------------------

describe('the recording flow end to end: create, ready, record, stop, verdict, vulnerabilities, copy', () => {
  let emu: Emulator
  let target: Target
  let h: Harness
  let created: TestRun
  let finished: TestRun

  beforeAll(async () => {
    emu = await startEmulator({ tokens: [A, B], timeScale: TIME_SCALE })
    target = await startTarget()
    h = makeClient(emu, A)
  })

  afterAll(async () => {
    disposeClients()
    await emu.close()
    await target.close()
  })

  it('createTestRun sends only the parameters that were set, under their API names, with the token', async () => {
    created = await h.client.createTestRun({
      name: 'ci-build-1',
      desc: 'PR #42',
      test_record_name: 'record-1',
      rps: 500,
      rps_per_baseline: 50,
      inactivity_timeout: 600,
      stop_on_first_fail: false,
      skip_duplicated_baselines: true,
      file_extensions_to_exclude: 'png|ico',
      policy_id: undefined
    })
    const posts = requestsTo(emu, 'POST', '/v1/test_run')
    expect(posts).toHaveLength(1)
    const req = posts[0]!
    expect(req.headers['x-wallarmapi-token']).toBe(A)
    expect(req.headers['content-type']).toMatch(/^application\/json/)
    expect(req.body).toEqual({
      name: 'ci-build-1',
      desc: 'PR #42',
      test_record_name: 'record-1',
      rps: 500,
      rps_per_baseline: 50,
      inactivity_timeout: 600,
      stop_on_first_fail: false,
      skip_duplicated_baselines: true,
      file_extensions_to_exclude: 'png|ico'
    })
    expect(req.body).not.toHaveProperty('policy_id')
    expect(req.body).not.toHaveProperty('test_record_id')
  })

  it('createTestRun returns the normalised new run: running, recording, not yet ready, ids as decimal text', () => {
    expect(created.state).toBe('running')
    expect(created.recording).toBe(true)
    expect(created.ready_for_recording).toBe(false)
    expect(created.name).toBe('ci-build-1')
    // Ids are their exact decimal text (they may exceed 2^53).
    expect(created.id).toMatch(/^[1-9]\d*$/)
    expect(created.test_record_id).toMatch(/^[1-9]\d*$/)
    expect(created.vulns).toEqual([])
    expect(created.baseline_count).toBe(0)
  })

  it('getTestRun is a GET of /v1/test_run/{id} and reaches ready_for_recording', async () => {
    const ready = await pollRun(h.client, created.id, (r) => r.ready_for_recording === true)
    expect(ready.id).toBe(created.id)
    expect(ready.recording).toBe(true)
    expect(ready.node_active).toBe(true)
    const gets = requestsTo(emu, 'GET', `/v1/test_run/${created.id}`)
    expect(gets.length).toBeGreaterThanOrEqual(1)
    for (const g of gets) {
      expect(g.headers['x-wallarmapi-token']).toBe(A)
      // No body is sent (the emulator logs an empty body as {}).
      expect(g.headers['content-type']).toBeUndefined()
      expect(g.headers['content-length'] ?? '0').toBe('0')
      expect(g.headers['transfer-encoding']).toBeUndefined()
    }
  })

  it('requests through the node proxy become baselines (baseline_count)', async () => {
    for (const path of ['/products', '/vulnerable/a', '/vulnerable/b', '/search?q=vulnerable']) {
      const res = await viaProxy(emu.proxyUrl, `${target.url}${path}`)
      expect(res.status).toBe(200)
    }
    const run = await h.client.getTestRun(created.id)
    expect(run.baseline_count).toBe(4)
    expect(run.recording).toBe(true)
  })

  it('stopRecording POSTs /v1/test_run/{id}/action/stop and returns recording false', async () => {
    const stopped = await h.client.stopRecording(created.id)
    expect(stopped.id).toBe(created.id)
    expect(stopped.recording).toBe(false)
    expect(stopped.test_record_id).toBe(created.test_record_id)
    const stops = requestsTo(emu, 'POST', `/v1/test_run/${created.id}/action/stop`)
    expect(stops).toHaveLength(1)
    expect(stops[0]!.headers['x-wallarmapi-token']).toBe(A)
  })

  it('polling getTestRun reaches failed with sqli vulnerabilities', async () => {
    finished = await pollRun(h.client, created.id, untilTerminal)
    expect(finished.state).toBe('failed')
    expect(finished.recording).toBe(false)
    expect(finished.baseline_count).toBe(4)
    expect(finished.vulns.length).toBe(3)
    for (const v of finished.vulns) {
      expect(v.type).toBe('sqli')
      expect(v.id).toMatch(/^[1-9]\d*$/)
      expect(v.threat).toBe(80)
      expect(v.code).toBe('S0001')
    }
  })

  it('listVulnerabilities returns full objects and pages with limit/offset', async () => {
    const before = emu.requests.length
    const vulns = await h.client.listVulnerabilities(created.id, { pageSize: 1 })
    expect(vulns).toHaveLength(3)
    expect(vulns.map((v) => v.id).sort()).toEqual(finished.vulns.map((v) => v.id).sort())
    const host = new URL(target.url).host
    expect(vulns.map((v) => v.path).sort()).toEqual(['/search', '/vulnerable/a', '/vulnerable/b'])
    for (const v of vulns) {
      expect(v.type).toBe('sqli')
      expect(v.threat).toBe(80)
      expect(v.method).toBe('GET')
      expect(v.domain).toBe(host)
      expect(String(v.testrun_id)).toBe(created.id)
      expect(typeof v.parameter).toBe('string')
      expect(typeof v.title).toBe('string')
    }
    expect(vulns.find((v) => v.path === '/search')?.parameter).toBe('q')

    const pages = emu.requests.slice(before)
    expect(pages.length).toBeGreaterThanOrEqual(3)
    pages.forEach((r, i) => {
      expect(r.method).toBe('POST')
      expect(r.path).toBe('/v1/objects/vuln')
      expect(r.headers['x-wallarmapi-token']).toBe(A)
      expect(r.body).toMatchObject({ filter: { testrun_id: [Number(created.id)] }, limit: 1, offset: i })
    })
    // Three full pages, then a short (empty) page that ends the list.
    expect(pages).toHaveLength(4)
  })

  it('listVulnerabilities with the default page size takes one request', async () => {
    const before = emu.requests.length
    const vulns = await h.client.listVulnerabilities(created.id)
    expect(vulns).toHaveLength(3)
    const pages = emu.requests.slice(before)
    expect(pages).toHaveLength(1)
    expect(pages[0]!.body).toMatchObject({
      filter: { testrun_id: [Number(created.id)] },
      limit: 500,
      offset: 0
    })
  })

  it('listVulnerabilities with max asks for no more than it needs', async () => {
    const before = emu.requests.length
    const vulns = await h.client.listVulnerabilities(created.id, { pageSize: 5, max: 2 })
    expect(vulns).toHaveLength(2)
    const pages = emu.requests.slice(before)
    expect(pages).toHaveLength(1)
    expect(pages[0]!.body).toMatchObject({
      filter: { testrun_id: [Number(created.id)] },
      limit: 2,
      offset: 0
    })
  })

  it('copyTestRun passes an invalid rps through: 400 naming the parameter, nothing created', async () => {
    const runsBefore = emu.model.runIds().length
    const err = await rejection(
      h.client.copyTestRun({ name: 'bad-copy', test_record_id: created.test_record_id, rps: 0 })
    )
    expect(err.status).toBe(400)
    expect(err.kind).toBe('bad_request')
    expect(err.param).toBe('rps')
    expect(err.value).toBe(0)
    expect(requestsTo(emu, 'POST', '/v1/test_run').at(-1)!.body).toEqual({
      name: 'bad-copy',
      test_record_id: Number(created.test_record_id),
      rps: 0
    })
    expect(emu.model.runIds()).toHaveLength(runsBefore)
  })

  it('copyTestRun from the stopped record: cloning, then failed again', async () => {
    const copy = await h.client.copyTestRun({ name: 'replay-1', test_record_id: created.test_record_id })
    const post = requestsTo(emu, 'POST', '/v1/test_run').at(-1)!
    expect(post.headers['x-wallarmapi-token']).toBe(A)
    expect(post.body).toEqual({ name: 'replay-1', test_record_id: Number(created.test_record_id) })
    expect(copy.id).not.toBe(created.id)
    expect(copy.state).toBe('cloning')
    expect(copy.recording).toBe(false)
    expect(copy.test_record_id).toBe(created.test_record_id)
    const done = await pollRun(h.client, copy.id, untilTerminal)
    expect(done.state).toBe('failed')
    expect(done.vulns.length).toBe(3)
    expect(done.vulns.every((v) => v.type === 'sqli')).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------------

describe('errors from the emulator', () => {
  let emu: Emulator

  async function start(options: EmulatorOptions = {}): Promise<Emulator> {
    emu = await startEmulator({ tokens: [A, B], timeScale: TIME_SCALE, ...options })
    return emu
  }

  afterEach(async () => {
    disposeClients()
    await emu.close()
  })

  it('copyTestRun of a record still recording: not_ready_for_cloning, message says it is still recording', async () => {
    await start()
    const a = makeClient(emu, A)
    const b = makeClient(emu, B)
    const rec = await a.client.createTestRun({ name: 'recording' })
    const err = await rejection(
      b.client.copyTestRun({ name: 'too-early', test_record_id: rec.test_record_id })
    )
    expect(isNotReadyForCloning(err)).toBe(true)
    expect(err.kind).toBe('not_ready_for_cloning')
    expect(err.status).toBe(400)
    expect(err.code).toBe('not_ready_for_cloning')
    expect(err.param).toBe('test_record_id')
    expect(String(err.value)).toBe(rec.test_record_id)
    expect(err.retryable).toBe(false)
    expect(err.message).toContain(`test record ${rec.test_record_id} is still recording`)
    expect(b.retries).toHaveLength(0)
    expect(requestsTo(emu, 'POST', '/v1/test_run')).toHaveLength(2)
    // The failed copy did not preempt anything: the recording run is still recording.
    expect((await a.client.getTestRun(rec.id)).recording).toBe(true)
  })

  it('copyTestRun of an unknown record: 404, isNotFound, the record named', async () => {
    await start()
    const { client, retries } = makeClient(emu, A)
    const err = await rejection(client.copyTestRun({ name: 'ghost', test_record_id: 987654 }))
    expect(isNotFound(err)).toBe(true)
    expect(err.status).toBe(404)
    expect(err.param).toBe('test_record_id')
    expect(err.value).toBe(987654)
    expect(err.message).toContain('test record 987654')
    expect(retries).toHaveLength(0)
    expect(emu.requests).toHaveLength(1)
  })

  it('copyTestRun of an empty record (created, stopped with no baseline): 400 naming the parameter', async () => {
    await start()
    const { client } = makeClient(emu, A)
    const rec = await client.createTestRun({ name: 'empty' })
    const stopped = await client.stopRecording(rec.id)
    expect(stopped.recording).toBe(false)
    const err = await rejection(
      client.copyTestRun({ name: 'from-empty', test_record_id: rec.test_record_id })
    )
    expect(err.status).toBe(400)
    expect(err.kind).toBe('bad_request')
    expect(isNotReadyForCloning(err)).toBe(false)
    expect(err.param).toBe('test_record_id')
    expect(err.code).toBe('empty_test_record')
    expect(String(err.value)).toBe(rec.test_record_id)
    expect(err.message).toContain('parameter "test_record_id"')
    expect(err.retryable).toBe(false)
  })

  it.each([
    { param: 'rps', value: 0 },
    { param: 'rps_per_baseline', value: 501 },
    { param: 'inactivity_timeout', value: 10 }
  ] as const)(
    'createTestRun passes $param $value through; the 400 surfaces param and value, not retried',
    async ({ param, value }) => {
      await start()
      const { client, retries } = makeClient(emu, A)
      const err = await rejection(client.createTestRun({ name: 'bad', [param]: value }))
      expect(err.status).toBe(400)
      expect(err.kind).toBe('bad_request')
      expect(err.param).toBe(param)
      expect(err.value).toBe(value)
      expect(err.code).toBe('out_of_range')
      expect(err.message).toContain(`parameter "${param}"`)
      expect(err.message).toContain(`value ${value}`)
      expect(err.retryable).toBe(false)
      expect(retries).toHaveLength(0)
      const posts = requestsTo(emu, 'POST', '/v1/test_run')
      expect(posts).toHaveLength(1)
      expect(posts[0]!.body).toEqual({ name: 'bad', [param]: value })
    }
  )

  it.each([403, 401] as const)(
    'an unknown token (auth failure %i): isAuthError, message says the token was rejected, never quotes it',
    async (status) => {
      await start({ authFailureStatus: status })
      const secret = 'unknown-token-9f8e7d6c5b4a'
      const { client, retries } = makeClient(emu, secret)
      const err = await rejection(client.createTestRun({ name: 'x' }))
      expect(isAuthError(err)).toBe(true)
      expect(err.status).toBe(status)
      expect(err.retryable).toBe(false)
      expect(err.message).toContain('rejected the token')
      expect(err.message).not.toContain(secret)
      expect(JSON.stringify(err.body)).not.toContain(secret)
      expect(retries).toHaveLength(0)
      expect(emu.requests).toHaveLength(1)
      expect(emu.requests[0]!.headers['x-wallarmapi-token']).toBe(secret)
      // The other calls fail the same way.
      expect(isAuthError(await rejection(client.getTestRun(5001)))).toBe(true)
      expect(isAuthError(await rejection(client.stopRecording(5001)))).toBe(true)
      expect(isAuthError(await rejection(client.listVulnerabilities(5001)))).toBe(true)
    }
  )

  it('getTestRun of an unknown id: 404 with the id in the message', async () => {
    await start()
    const { client, retries } = makeClient(emu, A)
    const err = await rejection(client.getTestRun(424242))
    expect(isNotFound(err)).toBe(true)
    expect(err.status).toBe(404)
    expect(err.value).toBe(424242)
    expect(err.message).toContain('424242')
    expect(err.message).toContain('test run 424242')
    expect(retries).toHaveLength(0)
    expect(emu.requests).toHaveLength(1)
  })

  it('stopRecording of an unknown id: 404 with the id in the message', async () => {
    await start()
    const { client } = makeClient(emu, A)
    const err = await rejection(client.stopRecording(424243))
    expect(isNotFound(err)).toBe(true)
    expect(err.message).toContain('test run 424243')
  })

  it('getTestRun of another node’s run: 404', async () => {
    await start()
    const a = makeClient(emu, A)
    const b = makeClient(emu, B)
    const run = await a.client.createTestRun({ name: 'mine' })
    const err = await rejection(b.client.getTestRun(run.id))
    expect(isNotFound(err)).toBe(true)
  })

  it('vulnReadDenied token: listVulnerabilities throws isAuthError; run.vulns still has the findings', async () => {
    await start({ vulnReadDenied: [B] })
    const target = await startTarget()
    try {
      const { client } = makeClient(emu, B)
      const run = await client.createTestRun({ name: 'denied' })
      await pollRun(client, run.id, (r) => r.ready_for_recording === true)
      const res = await viaProxy(emu.proxyUrls[B]!, `${target.url}/vulnerable/x`)
      expect(res.status).toBe(200)
      await client.stopRecording(run.id)
      const done = await pollRun(client, run.id, untilTerminal)
      expect(done.state).toBe('failed')

      const before = emu.requests.length
      const err = await rejection(client.listVulnerabilities(run.id))
      expect(isAuthError(err)).toBe(true)
      expect(err.status).toBe(403)
      expect(err.message).not.toContain(B)
      expect(emu.requests.slice(before)).toHaveLength(1)
      // The fallback the action uses: the run's own summary.
      expect(done.vulns).toHaveLength(1)
      expect(done.vulns[0]!.type).toBe('sqli')
    } finally {
      await target.close()
    }
  })

  it('one run per node: a second create with the same token makes the first interrupted', async () => {
    await start()
    const { client } = makeClient(emu, A)
    const first = await client.createTestRun({ name: 'first' })
    const second = await client.createTestRun({ name: 'second' })
    expect(second.id).not.toBe(first.id)
    const old = await client.getTestRun(first.id)
    expect(old.state).toBe('interrupted')
    expect(old.recording).toBe(false)
    const current = await client.getTestRun(second.id)
    expect(current.state).toBe('running')
    expect(current.recording).toBe(true)
  })

  it('a run of another token is not interrupted by a create with a different token', async () => {
    await start()
    const a = makeClient(emu, A)
    const b = makeClient(emu, B)
    const first = await a.client.createTestRun({ name: 'a' })
    await b.client.createTestRun({ name: 'b' })
    expect((await a.client.getTestRun(first.id)).state).toBe('running')
  })
})

// ---------------------------------------------------------------------------------------------------

describe('the old API variant (omitReadyForRecording)', () => {
  let emu: Emulator

  afterEach(async () => {
    disposeClients()
    await emu.close()
  })

  it('the run has no ready_for_recording field, and node_active turns true', async () => {
    emu = await startEmulator({ tokens: [A], timeScale: TIME_SCALE, omitReadyForRecording: true })
    const { client } = makeClient(emu, A)
    const run = await client.createTestRun({ name: 'old-api' })
    expect('ready_for_recording' in run).toBe(false)
    expect(run.ready_for_recording).toBeUndefined()
    expect(run.node_active).toBe(false)
    const active = await pollRun(client, run.id, (r) => r.node_active === true)
    expect('ready_for_recording' in active).toBe(false)
    expect(active.recording).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------------

describe('a cloud where only the record stop works (refuseTestRunStop)', () => {
  let emu: Emulator

  afterEach(async () => {
    disposeClients()
    await emu.close()
  })

  it.each([404, 405] as const)(
    'E4 answers %i: the client stops by record (E5) and says so once',
    async (status) => {
      emu = await startEmulator({ tokens: [A], timeScale: TIME_SCALE, refuseTestRunStop: status })
      const notices: string[] = []
      const { client } = makeClient(emu, A, { onNotice: (text) => notices.push(text) })
      const run = await client.createTestRun({ name: 'e5' })
      await pollRun(client, run.id, (r) => r.ready_for_recording === true)
      const stopped = await client.stopRecording(run.id)
      expect(stopped.recording).toBe(false)
      expect(requestsTo(emu, 'POST', `/v1/test_run/${run.id}/action/stop`).map((r) => r.status)).toEqual([
        status
      ])
      expect(
        requestsTo(emu, 'POST', `/v1/test_record/${run.test_record_id}/action/stop`).map((r) => r.status)
      ).toEqual([200])
      expect(notices).toHaveLength(1)
      expect(notices[0]).toContain(`POST /v1/test_record/${run.test_record_id}/action/stop`)
      expect(await pollRun(client, run.id, (r) => isTerminalState(r.state))).toMatchObject({
        state: 'passed'
      })
    }
  )
})

describe('retries, proven with injected faults', () => {
  let emu: Emulator

  async function start(): Promise<Emulator> {
    emu = await startEmulator({ tokens: [A], timeScale: TIME_SCALE })
    return emu
  }

  afterEach(async () => {
    disposeClients()
    await emu.close()
  })

  /** A created run and the path of its GET, the request log cleared. */
  async function withRun(h: Harness): Promise<{ run: TestRun; path: string }> {
    const run = await h.client.createTestRun({ name: 'retry' })
    emu.requests.length = 0
    return { run, path: `/v1/test_run/${run.id}` }
  }

  it('500 twice, then success: three requests, the result, onRetry once per retry with the operation', async () => {
    await start()
    const h = makeClient(emu, A)
    emu.injectFault({ method: 'POST', path: '/v1/test_run', status: 500, count: 2 })
    const run = await h.client.createTestRun({ name: 'after-500s' })
    expect(run.name).toBe('after-500s')
    expect(run.state).toBe('running')
    const posts = requestsTo(emu, 'POST', '/v1/test_run')
    expect(posts.map((r) => r.status)).toEqual([500, 500, 200])
    for (const p of posts) {
      expect(p.headers['x-wallarmapi-token']).toBe(A)
      expect(p.body).toEqual({ name: 'after-500s' })
    }
    expect(h.retries.map((r) => [r.operation, r.attempt, r.error.status])).toEqual([
      ['create test run', 1, 500],
      ['create test run', 2, 500]
    ])
    expect(h.sleeps).toHaveLength(2)
    // Only one run was created: the faulted attempts never reached the model.
    expect(emu.model.runIds().map(String)).toEqual([run.id])
  })

  it('a burst of four 503 with attempts 5: success on the fifth request', async () => {
    await start()
    const h = makeClient(emu, A, { attempts: 5 })
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, status: 503, count: 4 })
    const got = await h.client.getTestRun(run.id)
    expect(got.id).toBe(run.id)
    expect(requestsTo(emu, 'GET', path).map((r) => r.status)).toEqual([503, 503, 503, 503, 200])
    expect(h.retries).toHaveLength(4)
    expect(h.retries.every((r) => r.operation === 'get test run')).toBe(true)
    expect(h.retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4])
  })

  it('429 with Retry-After 1: the client waits at least 1000 ms (injected sleep), then succeeds', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, status: 429, retryAfter: '1' })
    const got = await h.client.getTestRun(run.id)
    expect(got.id).toBe(run.id)
    expect(requestsTo(emu, 'GET', path).map((r) => r.status)).toEqual([429, 200])
    expect(h.sleeps).toHaveLength(1)
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(1000)
    expect(h.retries).toHaveLength(1)
    expect(h.retries[0]!.operation).toBe('get test run')
    expect(h.retries[0]!.error.kind).toBe('rate_limited')
    expect(h.retries[0]!.delayMs).toBeGreaterThanOrEqual(1000)
  })

  it('a connection reset, then success', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'POST', path: `${path}/action/stop`, reset: true })
    const stopped = await h.client.stopRecording(run.id)
    expect(stopped.recording).toBe(false)
    expect(requestsTo(emu, 'POST', `${path}/action/stop`).map((r) => r.status)).toEqual([0, 200])
    expect(h.retries).toHaveLength(1)
    expect(h.retries[0]!.operation).toBe('stop recording')
    expect(h.retries[0]!.error.kind).toBe('network')
  })

  it('a truncated (malformed) JSON answer, then success', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, malformed: true })
    const got = await h.client.getTestRun(run.id)
    expect(got.id).toBe(run.id)
    expect(requestsTo(emu, 'GET', path).map((r) => r.status)).toEqual([200, 200])
    expect(h.retries).toHaveLength(1)
    expect(h.retries[0]!.error.kind).toBe('malformed')
  })

  it('a request that outlives timeoutMs, then success', async () => {
    await start()
    const h = makeClient(emu, A, { timeoutMs: 300 })
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, delayMs: 2_000 })
    const got = await h.client.getTestRun(run.id)
    expect(got.id).toBe(run.id)
    expect(requestsTo(emu, 'GET', path)).toHaveLength(2)
    expect(h.retries).toHaveLength(1)
    expect(h.retries[0]!.operation).toBe('get test run')
    expect(h.retries[0]!.error.kind).toBe('network')
    expect(h.retries[0]!.error.networkCode).toBe('ETIMEDOUT')
  })

  it('listVulnerabilities retries a failed page and keeps paging', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run } = await withRun(h)
    emu.injectFault({ method: 'POST', path: '/v1/objects/vuln', status: 502 })
    const vulns = await h.client.listVulnerabilities(run.id)
    expect(vulns).toEqual([])
    expect(requestsTo(emu, 'POST', '/v1/objects/vuln').map((r) => r.status)).toEqual([502, 200])
    expect(h.retries.map((r) => r.operation)).toEqual(['list vulnerabilities'])
  })

  it('copyTestRun is retried too', async () => {
    await start()
    const target = await startTarget()
    try {
      const h = makeClient(emu, A)
      const rec = await h.client.createTestRun({ name: 'rec' })
      await pollRun(h.client, rec.id, (r) => r.ready_for_recording === true)
      await viaProxy(emu.proxyUrl, `${target.url}/clean`)
      await h.client.stopRecording(rec.id)
      emu.requests.length = 0
      emu.injectFault({ method: 'POST', path: '/v1/test_run', status: 504 })
      const copy = await h.client.copyTestRun({ name: 'copy', test_record_id: rec.test_record_id })
      expect(copy.test_record_id).toBe(rec.test_record_id)
      expect(requestsTo(emu, 'POST', '/v1/test_run').map((r) => r.status)).toEqual([504, 200])
      expect(h.retries.map((r) => r.operation)).toEqual(['copy test run'])
    } finally {
      await target.close()
    }
  })

  it('an injected 400 is not retried: exactly one request', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, status: 400, count: 5 })
    const err = await rejection(h.client.getTestRun(run.id))
    expect(err.status).toBe(400)
    expect(err.kind).toBe('bad_request')
    expect(err.retryable).toBe(false)
    expect(requestsTo(emu, 'GET', path)).toHaveLength(1)
    expect(h.retries).toHaveLength(0)
    expect(h.sleeps).toHaveLength(0)
  })

  it('an injected 404 is not retried: exactly one request', async () => {
    await start()
    const h = makeClient(emu, A)
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, status: 404, count: 5 })
    const err = await rejection(h.client.getTestRun(run.id))
    expect(isNotFound(err)).toBe(true)
    expect(err.status).toBe(404)
    expect(err.message).toContain(`test run ${run.id}`)
    expect(requestsTo(emu, 'GET', path)).toHaveLength(1)
    expect(h.retries).toHaveLength(0)
  })

  it('budget exhausted (502 ×10, attempts 3): the error says 3 attempts; exactly 3 requests', async () => {
    await start()
    const h = makeClient(emu, A, { attempts: 3 })
    const { run, path } = await withRun(h)
    emu.injectFault({ method: 'GET', path, status: 502, count: 10 })
    const err = await rejection(h.client.getTestRun(run.id))
    expect(err.status).toBe(502)
    expect(err.kind).toBe('unavailable')
    expect(err.retryable).toBe(true)
    expect(err.attempts).toBe(3)
    expect(err.message).toContain('3 attempts')
    expect(err.message).not.toContain(A)
    expect(requestsTo(emu, 'GET', path)).toHaveLength(3)
    expect(h.retries.map((r) => r.attempt)).toEqual([1, 2])
    expect(h.sleeps).toHaveLength(2)
  })
})
