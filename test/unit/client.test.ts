/**
 * The API client against a small stub of the Wallarm API (node:http on 127.0.0.1, port 0): the requests the
 * stub received, what the client returned, and the errors it threw. Retries use an injected sleep that
 * records its delays and resolves at once.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FastClient, type FastClientOptions, type FastRetryInfo } from '../../src/wallarm/client.js'
import { WallarmApiError, isAuthError, isNotFound, isNotReadyForCloning } from '../../src/wallarm/errors.js'

const TOKEN = 'fast-node-token-5ecr3t-0123456789'

interface Received {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  text: string
  json: unknown
}

type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void

/** Answers `{status, body}` with the given HTTP status. */
function envelope(status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify({ status, body }))
  }
}

function raw(status: number, text: string, headers: http.OutgoingHttpHeaders = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, headers)
    res.end(text)
  }
}

const resetConnection: Handler = (req) => req.socket.destroy()
const neverAnswer: Handler = () => undefined

class Stub {
  readonly requests: Received[] = []
  private readonly queue: Handler[] = []
  fallback: Handler = envelope(500, 'no handler queued')
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let json: unknown
      try {
        json = text ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        text,
        json
      }
      this.requests.push(received)
      const handler = this.queue.shift() ?? this.fallback
      handler(req, res, received)
    })
  })

  then(...handlers: Handler[]): this {
    this.queue.push(...handlers)
    return this
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

const RUN = {
  id: 5080,
  name: 'ci-build-123',
  desc: 'PR #42',
  clientid: 42,
  state: 'running',
  simple_state: 'running',
  allowed_actions: ['stop'],
  test_record_id: 9058,
  recording: true,
  ready_for_recording: false,
  node_active: true,
  vulns: [],
  baseline_count: 0,
  baseline_check_all_terminated_count: 0,
  baseline_check_fail_count: 0,
  baseline_check_tech_fail_count: 0,
  baseline_check_passed_count: 0,
  baseline_check_running_count: 0,
  baseline_check_interrupted_count: 0,
  baseline_check_waiting_count: 0,
  sended_requests_count: 0,
  planing_requests_count: 0,
  current_rps: null,
  avg_rps: null,
  estimated_time_to_completion: null,
  start_time: 1555572038,
  end_time: null,
  domains: []
}

let stub: Stub
let clients: FastClient[]
let delays: number[]
let retries: FastRetryInfo[]

function client(opts: Partial<FastClientOptions> = {}): FastClient {
  const c = new FastClient({
    baseUrl: stub.url,
    token: TOKEN,
    attempts: 5,
    random: () => 0.5,
    sleep: (ms) => {
      delays.push(ms)
      return Promise.resolve()
    },
    onRetry: (info) => retries.push(info),
    ...opts
  })
  clients.push(c)
  return c
}

async function caught(p: Promise<unknown>): Promise<WallarmApiError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(WallarmApiError)
    const err = e as WallarmApiError
    expect(err.message).not.toContain(TOKEN)
    expect(JSON.stringify(err.body ?? null)).not.toContain(TOKEN)
    return err
  }
  throw new Error('expected the call to fail')
}

beforeEach(async () => {
  stub = new Stub()
  await stub.start()
  clients = []
  delays = []
  retries = []
})

afterEach(async () => {
  for (const c of clients) c.dispose()
  await stub.close()
})

describe('FastClient calls', () => {
  it('createTestRun POSTs the parameters as JSON with the token header and unwraps the envelope', async () => {
    stub.then(envelope(200, RUN))
    const run = await client().createTestRun({
      name: 'ci-build-123',
      desc: 'PR #42',
      policy_id: 104,
      rps: 200,
      rps_per_baseline: 20,
      inactivity_timeout: 600,
      stop_on_first_fail: false,
      skip_duplicated_baselines: true,
      file_extensions_to_exclude: 'js|css|png|ico',
      test_record_name: undefined
    })
    expect(run).toEqual({ ...RUN, id: '5080', test_record_id: String(RUN.test_record_id) })
    expect(stub.requests).toHaveLength(1)
    const req = stub.requests[0]!
    expect(req.method).toBe('POST')
    expect(req.url).toBe('/v1/test_run')
    expect(req.headers['x-wallarmapi-token']).toBe(TOKEN)
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers.accept).toBe('application/json')
    expect(req.headers['user-agent']).toMatch(/^wallarm-fast-action/)
    expect(req.json).toEqual({
      name: 'ci-build-123',
      desc: 'PR #42',
      policy_id: 104,
      rps: 200,
      rps_per_baseline: 20,
      inactivity_timeout: 600,
      stop_on_first_fail: false,
      skip_duplicated_baselines: true,
      file_extensions_to_exclude: 'js|css|png|ico'
    })
    expect(req.json).not.toHaveProperty('test_record_name')
  })

  it('copyTestRun POSTs test_record_id and accepts a cloning run', async () => {
    stub.then(envelope(200, { ...RUN, id: 5081, state: 'cloning', recording: false }))
    const run = await client().copyTestRun({ name: 'nightly-replay', test_record_id: 9058, policy_id: 129 })
    expect(run).toMatchObject({ id: '5081', state: 'cloning', test_record_id: '9058', recording: false })
    const req = stub.requests[0]!
    expect([req.method, req.url]).toEqual(['POST', '/v1/test_run'])
    expect(req.json).toEqual({ name: 'nightly-replay', test_record_id: 9058, policy_id: 129 })
  })

  it('getTestRun GETs /v1/test_run/{id} without a body', async () => {
    stub.then(
      envelope(200, {
        ...RUN,
        state: 'failed',
        vulns: [{ id: 7001, threat: 80, code: 'S0001', type: 'sqli' }]
      })
    )
    const run = await client().getTestRun(5080)
    expect(run.state).toBe('failed')
    expect(run.vulns).toEqual([{ id: '7001', threat: 80, code: 'S0001', type: 'sqli' }])
    const req = stub.requests[0]!
    expect([req.method, req.url, req.text]).toEqual(['GET', '/v1/test_run/5080', ''])
    expect(req.headers['x-wallarmapi-token']).toBe(TOKEN)
    expect(req.headers['content-type']).toBeUndefined()
  })

  it('stopRecording POSTs {} to /v1/test_run/{id}/action/stop', async () => {
    stub.then(envelope(200, { ...RUN, recording: false }))
    const run = await client().stopRecording(5080)
    expect(run.recording).toBe(false)
    const req = stub.requests[0]!
    expect([req.method, req.url]).toEqual(['POST', '/v1/test_run/5080/action/stop'])
    expect(req.json).toEqual({})
    expect(req.headers['content-type']).toBe('application/json')
  })

  it.each([404, 405])(
    'stopRecording falls back to the record stop when the test-run stop answers %i, and says so once',
    async (status) => {
      const notices: string[] = []
      const c = client({ onNotice: (text) => notices.push(text) })
      for (let i = 0; i < 2; i++) {
        stub.then(
          envelope(status, 'Method not allowed'),
          envelope(200, RUN),
          envelope(200, null),
          envelope(200, { ...RUN, recording: false })
        )
        expect((await c.stopRecording(5080)).recording).toBe(false)
      }
      expect(stub.requests.slice(0, 4).map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /v1/test_run/5080/action/stop',
        'GET /v1/test_run/5080',
        `POST /v1/test_record/${RUN.test_record_id}/action/stop`,
        'GET /v1/test_run/5080'
      ])
      expect(stub.requests[2]!.json).toEqual({})
      expect(notices).toEqual([
        `The test-run stop (POST /v1/test_run/5080/action/stop) answered ${status}; stopping by test record instead (POST /v1/test_record/${RUN.test_record_id}/action/stop).`
      ])
    }
  )

  it('stopRecording does not fall back on other errors, nor for a run that does not exist', async () => {
    stub.then(envelope(400, { id: { error: 'invalid', value: 5080 } }))
    await expect(client().stopRecording(5080)).rejects.toBeInstanceOf(WallarmApiError)
    expect(stub.requests).toHaveLength(1)
    stub.then(envelope(404, 'Not found'), envelope(404, 'Not found'))
    await expect(client().stopRecording(5080)).rejects.toSatisfy(isNotFound)
    expect(stub.requests.map((r) => r.url).slice(1)).toEqual([
      '/v1/test_run/5080/action/stop',
      '/v1/test_run/5080'
    ])
  })

  it('reuses one kept-alive connection across calls', async () => {
    const ports: number[] = []
    const track: Handler = (req, res) => {
      ports.push(req.socket.remotePort ?? -1)
      envelope(200, RUN)(req, res, stub.requests.at(-1)!)
    }
    stub.then(track, track, track)
    const c = client()
    await c.getTestRun(5080)
    await c.getTestRun(5080)
    await c.stopRecording(5080)
    expect(new Set(ports).size).toBe(1)
  })

  it('uses a base URL with a path prefix', async () => {
    stub.then(envelope(200, RUN))
    await client({ baseUrl: `${stub.url}/prefix/` }).getTestRun(5080)
    expect(stub.requests[0]?.url).toBe('/prefix/v1/test_run/5080')
  })

  it.each([0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])(
    'rejects the id %s before sending anything',
    async (id) => {
      const c = client()
      await expect(c.getTestRun(id)).rejects.toThrow(/test run id must be a positive integer/)
      await expect(c.stopRecording(id)).rejects.toThrow(RangeError)
      await expect(c.listVulnerabilities(id)).rejects.toThrow(RangeError)
      await expect(c.copyTestRun({ name: 'x', test_record_id: id })).rejects.toThrow(/test_record_id/)
      expect(stub.requests).toHaveLength(0)
    }
  )

  it('refuses an empty token without quoting anything', () => {
    expect(() => new FastClient({ baseUrl: stub.url, token: '' })).toThrow(/token is empty/)
    expect(() => new FastClient({ baseUrl: 'ftp://x', token: TOKEN })).toThrow(/base URL/)
  })
})

describe('FastClient response normalisation', () => {
  it('tolerates a missing envelope, string ids and missing fields, and keeps unknown fields', async () => {
    stub.then(
      raw(
        200,
        JSON.stringify({
          id: '5080',
          test_record_id: '9058',
          clientid: '42',
          state: 'running',
          recording: 'true',
          vulns: [{ id: '7001', threat: '80', code: 'S0001', type: 'sqli', extra: 1 }, 'junk'],
          baseline_count: '3',
          avg_rps: '0.26',
          policy_node_extra: { a: 1 }
        }),
        { 'content-type': 'application/json' }
      )
    )
    const run = await client().getTestRun(5080)
    expect(run).toMatchObject({
      id: '5080',
      test_record_id: '9058',
      clientid: 42,
      name: '',
      desc: '',
      recording: true,
      baseline_count: 3,
      baseline_check_waiting_count: 0,
      sended_requests_count: 0,
      planing_requests_count: 0,
      allowed_actions: [],
      domains: [],
      current_rps: null,
      avg_rps: 0.26,
      end_time: null,
      policy_node_extra: { a: 1 }
    })
    expect(run.vulns).toEqual([{ id: '7001', threat: 80, code: 'S0001', type: 'sqli', extra: 1 }])
    // Absent stays absent (old API versions have no ready_for_recording).
    expect('ready_for_recording' in run).toBe(false)
    expect('node_active' in run).toBe(false)
  })

  it('takes an envelope whose body is the only key', async () => {
    stub.then(raw(200, JSON.stringify({ body: { id: 5080 } })))
    await expect(client().getTestRun(5080)).resolves.toMatchObject({ id: '5080', vulns: [], state: '' })
  })

  it('throws a non-retryable error when a 2xx body has no usable id', async () => {
    stub.then(envelope(200, { name: 'no id here' }))
    const err = await caught(client().createTestRun({ name: 'x' }))
    expect(err.kind).toBe('malformed')
    expect(err.retryable).toBe(false)
    expect(err.message).toMatch(/Failed to create test run: .*no test run id/)
    expect(stub.requests).toHaveLength(1)
  })

  it('treats an error envelope inside an HTTP 200 as that error', async () => {
    stub.then(raw(200, JSON.stringify({ status: 403, body: 'User not authenticated' })))
    const err = await caught(client().getTestRun(5080))
    expect(isAuthError(err)).toBe(true)
    expect(err.status).toBe(403)
  })
})

describe('FastClient errors (§1.5 shapes)', () => {
  it('401 with a string body: the token was rejected', async () => {
    stub.then(envelope(401, 'Unauthorized'))
    const err = await caught(client().createTestRun({ name: 'x' }))
    expect(isAuthError(err)).toBe(true)
    expect(err).toMatchObject({
      status: 401,
      body: 'Unauthorized',
      operation: 'create test run',
      retryable: false
    })
    expect(err.message).toMatch(/at 127\.0\.0\.1:\d+ rejected the token/)
    expect(err.host).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(stub.requests).toHaveLength(1)
  })

  it('403: the same, and a body echoing the token is redacted', async () => {
    stub.then(envelope(403, `token ${TOKEN} is not valid here`))
    const err = await caught(client().getTestRun(5080))
    expect(isAuthError(err)).toBe(true)
    expect(err.body).toBe('token *** is not valid here')
    expect(stub.requests).toHaveLength(1)
  })

  it('404 with {error, value}: no such test run, naming the id; not retried', async () => {
    stub.then(envelope(404, { error: 'not found', value: 5080 }))
    const err = await caught(client().getTestRun(5080))
    expect(isNotFound(err)).toBe(true)
    expect(err).toMatchObject({ status: 404, code: 'not found', value: 5080, retryable: false })
    expect(err.message).toContain('no such test run 5080')
    expect(stub.requests).toHaveLength(1)
    expect(retries).toEqual([])
  })

  it('404 on copy names the test record', async () => {
    stub.then(envelope(404, { error: 'not found', value: 9999 }))
    const err = await caught(client().copyTestRun({ name: 'x', test_record_id: 9999 }))
    expect(err.message).toContain('no such test record 9999')
  })

  it('400 not_ready_for_cloning: the record is still recording', async () => {
    stub.then(envelope(400, { test_record_id: { error: 'not_ready_for_cloning', value: 9058 } }))
    const err = await caught(client().copyTestRun({ name: 'replay', test_record_id: 9058 }))
    expect(isNotReadyForCloning(err)).toBe(true)
    expect(err).toMatchObject({
      status: 400,
      code: 'not_ready_for_cloning',
      param: 'test_record_id',
      value: 9058
    })
    expect(err.body).toEqual({ test_record_id: { error: 'not_ready_for_cloning', value: 9058 } })
    expect(err.message).toContain('test record 9058 is still recording')
    expect(err.message).toMatch(/stop its recording first/i)
    expect(stub.requests).toHaveLength(1)
  })

  it('another 400 keyed by parameter names the parameter, code and value; not retried', async () => {
    stub.then(envelope(400, { rps: { error: 'out_of_range', value: 5000 } }))
    const err = await caught(client().createTestRun({ name: 'x', rps: 5000 }))
    expect(err).toMatchObject({
      status: 400,
      kind: 'bad_request',
      param: 'rps',
      code: 'out_of_range',
      value: 5000
    })
    expect(err.message).toContain('parameter "rps": error "out_of_range", value 5000')
    expect(stub.requests).toHaveLength(1)
  })

  it('400 with a bare string body', async () => {
    stub.then(envelope(400, 'Already exists'))
    const err = await caught(client().createTestRun({ name: 'x' }))
    expect(err).toMatchObject({ status: 400, body: 'Already exists', code: undefined, param: undefined })
    expect(err.message).toContain('Already exists')
  })

  it('an error that is not JSON keeps the raw text as its body', async () => {
    stub.then(raw(400, '<html>Bad Request</html>', { 'content-type': 'text/html' }))
    const err = await caught(client().getTestRun(5080))
    expect(err.body).toBe('<html>Bad Request</html>')
    expect(err.message).toContain('<html>Bad Request</html>')
  })

  it('does not follow redirects (the token would go with them)', async () => {
    stub.then(raw(302, '', { location: 'http://elsewhere.example/steal' }))
    const err = await caught(client().getTestRun(5080))
    expect(err).toMatchObject({ status: 302, kind: 'http', retryable: false })
    expect(err.message).toContain('redirect')
    expect(stub.requests).toHaveLength(1)
  })
})

describe('FastClient retries', () => {
  it('500 then success', async () => {
    stub.then(envelope(500, 'Timed out connecting to server'), envelope(200, RUN))
    const run = await client().getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(stub.requests).toHaveLength(2)
    expect(retries).toHaveLength(1)
    expect(retries[0]).toMatchObject({ operation: 'get test run', attempt: 1, delayMs: 500 })
    expect(retries[0]?.error.status).toBe(500)
    expect(delays).toEqual([500])
  })

  it('a burst of 503 on a POST, with growing delays', async () => {
    stub.then(envelope(503, 'down'), envelope(503, 'down'), envelope(503, 'down'), envelope(200, RUN))
    const run = await client().createTestRun({ name: 'ci' })
    expect(run.id).toBe('5080')
    expect(stub.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'POST'])
    expect(stub.requests.every((r) => (r.json as { name: string }).name === 'ci')).toBe(true)
    expect(delays).toEqual([500, 1000, 2000])
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3])
  })

  it('429 with Retry-After in seconds: the sleep receives that delay', async () => {
    stub.then(envelope(429, 'Rate limiting', { 'retry-after': '7' }), envelope(200, RUN))
    await client({ random: () => 0 }).getTestRun(5080)
    expect(delays).toEqual([7000])
    expect(retries[0]?.error).toMatchObject({ status: 429, kind: 'rate_limited', retryAfterMs: 7000 })
  })

  it('429 with Retry-After as an HTTP date', async () => {
    const at = new Date(Date.now() + 20_000).toUTCString()
    stub.then(envelope(429, 'Rate limiting', { 'retry-after': at }), envelope(200, RUN))
    await client({ random: () => 0 }).getTestRun(5080)
    expect(delays).toHaveLength(1)
    expect(delays[0]).toBeGreaterThan(10_000)
    expect(delays[0]).toBeLessThanOrEqual(20_000)
  })

  it('a Retry-After longer than maxDelayMs is capped', async () => {
    stub.then(envelope(503, 'maintenance', { 'retry-after': '3600' }), envelope(200, RUN))
    await client({ maxDelayMs: 5000 }).getTestRun(5080)
    expect(delays).toEqual([5000])
  })

  it('a connection reset, then success', async () => {
    stub.then(resetConnection, envelope(200, RUN))
    const run = await client().getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(stub.requests).toHaveLength(2)
    expect(retries[0]?.error).toMatchObject({ kind: 'network', networkCode: 'ECONNRESET', status: undefined })
  })

  it('a connection reset in the middle of the body, then success', async () => {
    const halfBody: Handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' })
      res.write('{"status":200,"body":{"id":5080,')
      setTimeout(() => req.socket.destroy(), 20)
    }
    stub.then(halfBody, envelope(200, RUN))
    const run = await client().getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(stub.requests).toHaveLength(2)
    expect(retries[0]?.error).toMatchObject({ kind: 'network', retryable: true })
  })

  it('a request that never gets an answer times out and is retried', async () => {
    stub.then(neverAnswer, envelope(200, RUN))
    const run = await client({ timeoutMs: 300 }).getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(stub.requests).toHaveLength(2)
    expect(retries[0]?.error).toMatchObject({ kind: 'network', networkCode: 'ETIMEDOUT' })
    expect(retries[0]?.error.message).toContain(`127.0.0.1:${stub.port}`)
  })

  it('a malformed (non-JSON) 2xx body, then success', async () => {
    stub.then(
      raw(200, '{"status":200,"body":{"id":50', { 'content-type': 'application/json' }),
      envelope(200, RUN)
    )
    const run = await client().getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(stub.requests).toHaveLength(2)
    expect(retries[0]?.error).toMatchObject({ kind: 'malformed', status: 200, retryable: true })
  })

  it('408 is retried', async () => {
    stub.then(envelope(408, 'Request Timeout'), envelope(200, RUN))
    await client().getTestRun(5080)
    expect(stub.requests).toHaveLength(2)
  })

  it('the attempt budget runs out: the error says how many attempts were made', async () => {
    stub.fallback = envelope(503, 'Service Unavailable')
    const err = await caught(client({ attempts: 3 }).getTestRun(5080))
    expect(err).toMatchObject({ status: 503, kind: 'unavailable', attempts: 3, retryable: true })
    expect(err.message).toBe(
      'Failed to get test run: the Wallarm API is unavailable (HTTP 503: Service Unavailable); gave up after 3 attempts'
    )
    expect(stub.requests).toHaveLength(3)
    expect(delays).toHaveLength(2)
  })

  it('a refused connection: the error names the code, the host and the attempts', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const err = await caught(client({ baseUrl: `http://127.0.0.1:${port}`, attempts: 2 }).getTestRun(5080))
    expect(err).toMatchObject({
      kind: 'network',
      networkCode: 'ECONNREFUSED',
      code: 'ECONNREFUSED',
      attempts: 2
    })
    expect(err.message).toContain(`127.0.0.1:${port}`)
    expect(err.message).toContain('ECONNREFUSED')
    expect(err.message).toContain('2 attempts')
  })

  it('an abort stops a pending request', async () => {
    stub.fallback = neverAnswer
    const ac = new AbortController()
    const p = client({ timeoutMs: 60_000 }).getTestRun(5080, ac.signal)
    while (stub.requests.length === 0) await new Promise((r) => setTimeout(r, 5))
    ac.abort()
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
    expect(retries).toEqual([])
  })
})

describe('FastClient.listVulnerabilities', () => {
  const vuln = (id: number): Record<string, unknown> => ({
    id,
    type: 'sqli',
    threat: 80,
    status: 'active',
    testrun_id: 5080,
    method: 'GET',
    domain: 'app.example.local',
    path: '/search',
    parameter: 'GET_q_value',
    title: 'SQL injection'
  })

  it('pages with limit/offset until a short page', async () => {
    stub.then(
      envelope(200, [vuln(1), vuln(2)]),
      envelope(200, [vuln(3), { ...vuln(4), id: '4', threat: '60' }]),
      envelope(200, [vuln(5)])
    )
    const vulns = await client().listVulnerabilities(5080, { pageSize: 2 })
    expect(vulns.map((v) => v.id)).toEqual(['1', '2', '3', '4', '5'])
    expect(vulns[3]).toMatchObject({ id: '4', threat: 60, type: 'sqli', path: '/search' })
    expect(stub.requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/v1/objects/vuln'],
      ['POST', '/v1/objects/vuln'],
      ['POST', '/v1/objects/vuln']
    ])
    expect(stub.requests.map((r) => r.json)).toEqual(
      [0, 2, 4].map((offset) => ({
        filter: { testrun_id: [5080] },
        limit: 2,
        offset,
        order_by: 'id',
        order_desc: true
      }))
    )
  })

  it('uses a page of 500 by default and at most 1000', async () => {
    stub.then(envelope(200, []), envelope(200, []))
    await expect(client().listVulnerabilities(5080)).resolves.toEqual([])
    await client().listVulnerabilities(5080, { pageSize: 5000 })
    expect(stub.requests.map((r) => (r.json as { limit: number }).limit)).toEqual([500, 1000])
  })

  it('stops at max', async () => {
    stub.then(envelope(200, [vuln(1), vuln(2)]), envelope(200, [vuln(3)]))
    const vulns = await client().listVulnerabilities(5080, { pageSize: 2, max: 3 })
    expect(vulns.map((v) => v.id)).toEqual(['1', '2', '3'])
    expect(stub.requests.map((r) => (r.json as { limit: number }).limit)).toEqual([2, 1])
  })

  it('stops when the server ignores offset (a page of nothing new)', async () => {
    stub.fallback = envelope(200, [vuln(1), vuln(2)])
    const vulns = await client().listVulnerabilities(5080, { pageSize: 2 })
    expect(vulns.map((v) => v.id)).toEqual(['1', '2'])
    expect(stub.requests).toHaveLength(2)
  })

  it('normalises vulnerability objects and keeps their other fields', async () => {
    stub.then(
      envelope(200, [
        {
          id: '11',
          type: 'xss',
          threat: '40',
          wid: '3',
          testrun_id: null,
          template_params: { method: 'GET' }
        },
        { threat: 10 },
        'junk'
      ])
    )
    const vulns = await client().listVulnerabilities(5080)
    expect(vulns).toEqual([
      { id: '11', type: 'xss', threat: 40, wid: 3, testrun_id: null, template_params: { method: 'GET' } },
      { id: '', type: '', threat: 10 }
    ])
  })

  it('Wallarm triage: newest first, page by page; the cap says how many were read and the oldest', async () => {
    stub.then(envelope(200, [vuln(9), vuln(8)]), envelope(200, [vuln(7), vuln(6)]))
    const capped: unknown[] = []
    const vulns = await client().listVulnerabilitiesWithStatus(['falsepositive', 'closed'], {
      pageSize: 2,
      max: 4,
      onCapped: (c) => capped.push(c)
    })
    expect(vulns.map((v) => v.id)).toEqual(['9', '8', '7', '6'])
    expect(stub.requests.map((r) => r.json)).toEqual(
      [0, 2].map((offset) => ({
        filter: { status: ['falsepositive', 'closed'] },
        limit: 2,
        offset,
        order_by: 'id',
        order_desc: true
      }))
    )
    expect(capped).toEqual([{ read: 4, oldestId: '6', cap: { kind: 'max', max: 4 } }])
  })

  it('never asks past offset 1000 (the API takes no more), and says where it stopped', async () => {
    stub.fallback = (req, res, received) => {
      const { offset } = received.json as { offset: number }
      envelope(200, [vuln(10_000 - offset), vuln(9_999 - offset)])(req, res, received)
    }
    const capped: unknown[] = []
    const vulns = await client().listVulnerabilities(5080, { pageSize: 2, onCapped: (c) => capped.push(c) })
    expect(vulns).toHaveLength(1002)
    expect(Math.max(...stub.requests.map((r) => (r.json as { offset: number }).offset))).toBe(1000)
    expect(capped).toEqual([{ read: 1002, oldestId: '8999', cap: { kind: 'offset', offset: 1002 } }])
  })

  it('a later page refused (400) ends the read with what was read, told as a cap; a first one is an error', async () => {
    stub.then(envelope(200, [vuln(9), vuln(8)]), envelope(400, { offset: { error: 'out_of_range' } }))
    const capped: unknown[] = []
    const vulns = await client().listVulnerabilities(5080, { pageSize: 2, onCapped: (c) => capped.push(c) })
    expect(vulns.map((v) => v.id)).toEqual(['9', '8'])
    expect(capped).toEqual([{ read: 2, oldestId: '8', cap: { kind: 'offset', offset: 2 } }])
    stub.then(envelope(400, { filter: { error: 'invalid' } }))
    expect((await caught(client().listVulnerabilities(5080))).status).toBe(400)
  })

  it('with apiToken, the vulnerability reads send it and nothing else does; neither leaves in an error', async () => {
    const API = 'wallarm-api-token-0123456789abcdef'
    stub.then(envelope(200, [vuln(1)]), envelope(200, [vuln(2)]), envelope(200, RUN))
    const c = client({ apiToken: API })
    await c.listVulnerabilities(5080)
    await c.listVulnerabilitiesWithStatus(['closed'])
    await c.getTestRun(5080)
    expect(stub.requests.map((r) => r.headers['x-wallarmapi-token'])).toEqual([API, API, TOKEN])
    stub.then(envelope(403, `denied for ${API} and ${TOKEN}`))
    const err = await caught(c.listVulnerabilities(5080))
    expect(isAuthError(err)).toBe(true)
    expect(JSON.stringify({ message: err.message, body: err.body })).not.toMatch(/wallarm-api-token|5ecr3t/)
    expect(() => client({ apiToken: 'a\nb' })).toThrow('api-token')
  })

  it('a 403 is an auth error the caller can fall back from', async () => {
    stub.then(envelope(403, 'Access denied'))
    const err = await caught(client().listVulnerabilities(5080))
    expect(isAuthError(err)).toBe(true)
    expect(err.operation).toBe('list vulnerabilities')
    expect(stub.requests).toHaveLength(1)
  })

  it('a body that is not a list is an unusable response', async () => {
    stub.then(envelope(200, { id: 1 }))
    const err = await caught(client().listVulnerabilities(5080))
    expect(err).toMatchObject({ kind: 'malformed', retryable: false })
  })
})

describe('FastClient through an HTTP proxy', () => {
  const PROXY_VARS = [
    'HTTP_PROXY',
    'http_proxy',
    'NO_PROXY',
    'no_proxy',
    'HTTPS_PROXY',
    'https_proxy'
  ] as const
  let saved: Partial<Record<(typeof PROXY_VARS)[number], string | undefined>>
  let proxy: http.Server
  let seen: string[]

  beforeEach(async () => {
    saved = {}
    for (const k of PROXY_VARS) {
      saved[k] = process.env[k]
      delete process.env[k]
    }
    seen = []
    // A forward proxy that sends everything to the stub, whatever host was asked for: CONNECT tunnels
    // (what @actions/http-client uses) and absolute-form requests alike.
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      const target = new URL(req.url ?? '/')
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: stub.port,
          method: req.method,
          path: target.pathname,
          headers: req.headers
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        }
      )
      req.pipe(upstream)
    })
    proxy.on('connect', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      seen.push(`CONNECT ${req.url}`)
      const upstream = net.connect(stub.port, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(socket)
        socket.pipe(upstream)
      })
      upstream.on('error', () => socket.destroy())
      socket.on('error', () => upstream.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  })

  afterEach(async () => {
    for (const k of PROXY_VARS) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
    proxy.closeAllConnections()
    await new Promise<void>((resolve) => proxy.close(() => resolve()))
  })

  it('honours HTTP_PROXY', async () => {
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    stub.then(envelope(200, RUN))
    // A host name that only the proxy can reach (loopback addresses bypass proxies).
    const target = `wallarm-api.test:${stub.port}`
    const run = await client({ baseUrl: `http://${target}` }).getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatch(new RegExp(`^(CONNECT ${target}|GET http://${target}/v1/test_run/5080)$`))
    expect(stub.requests[0]).toMatchObject({ method: 'GET', url: '/v1/test_run/5080' })
    expect(stub.requests[0]?.headers['x-wallarmapi-token']).toBe(TOKEN)
  })
})

describe('FastClient against a hostile API', () => {
  it('refuses an answer about another run than the one asked for (retryable: the poller asks again)', async () => {
    stub.then(envelope(200, { ...RUN, id: 9999 }), envelope(200, RUN))
    const err = await caught(client().getTestRun('5080'))
    expect(err).toMatchObject({ kind: 'malformed', retryable: true })
    expect(err.message).toMatch(/describes test run 9999, not 5080/)
    await expect(client().getTestRun('5080')).resolves.toMatchObject({ id: '5080' })
  })

  it('reads ids above 2^53 as their exact digits and sends them back exactly', async () => {
    const big = '18446744073709551615'
    stub.then(raw(200, `{"status":200,"body":{"id":5090,"test_record_id":${big},"state":"cloning"}}`))
    const run = await client().copyTestRun({ name: 'x', test_record_id: big })
    expect(run.test_record_id).toBe(big)
    expect(stub.requests[0]!.text).toContain(`"test_record_id":${big}`)
  })

  it('cuts a body over the cap off, as a retryable unusable answer', async () => {
    stub.then(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        const chunk = Buffer.alloc(1 << 20, 0x20)
        for (let i = 0; i < 9; i++) res.write(chunk)
        res.end('{}')
      },
      envelope(200, RUN)
    )
    const run = await client().getTestRun(5080)
    expect(run.id).toBe('5080')
    expect(retries[0]?.error).toMatchObject({ kind: 'malformed', retryable: true })
    expect(retries[0]?.error.message).toMatch(/larger than 8388608 bytes/)
  })

  it('takes JSON nested 200,000 deep as unusable and retries, with no stack overflow', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000)
    stub.then(raw(200, deep), raw(503, deep), envelope(200, RUN))
    await expect(client().getTestRun(5080)).resolves.toMatchObject({ id: '5080' })
    expect(retries.map((r) => r.error.kind)).toEqual(['malformed', 'unavailable'])
    expect(retries[0]?.error.message).toMatch(/nested deeper than 64 levels/)
  })

  it('redacts the token echoed JSON-escaped from a parsed answer and from an error', async () => {
    const echoed = JSON.stringify(TOKEN).slice(1, -1).replace(/-/g, '\\u002d')
    stub.then(
      raw(400, `{"status":400,"body":{"name":{"error":"bad ${echoed}","value":"${echoed}"}}}`),
      raw(200, `{"status":200,"body":{"id":5080,"name":"run ${echoed}","vulns":[]}}`)
    )
    const err = await caught(client().createTestRun({ name: 'x' }))
    expect(err.message).toContain('bad ***')
    const run = await client().getTestRun(5080)
    expect(run.name).toBe('run ***')
  })

  it('ends a request and its retries when the signal aborts, whatever the server does', async () => {
    stub.fallback = neverAnswer
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('deadline')), 300)
    const started = performance.now()
    await expect(client({ sleep: undefined }).getTestRun(5080, controller.signal)).rejects.toThrow('deadline')
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('makes every error message one line that no runner reads as a workflow command', async () => {
    stub.then(raw(404, 'not here\n::stop-commands::x ##[error]forged'))
    const err = await caught(client().getTestRun(5080))
    expect(err.message).not.toMatch(/[\r\n]|##\[/)
  })
})
