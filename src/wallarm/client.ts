/**
 * A small client for the Wallarm FAST test-run API: one method per endpoint over one private
 * `request()`.
 *
 * - HTTP goes through ./transport.ts (`@actions/http-client` where a proxy applies: HTTPS_PROXY /
 *   HTTP_PROXY / NO_PROXY), with keep-alive so that polling reuses its connection. It neither retries
 *   (http-client's retries skip POST and 429 and back off for milliseconds) nor follows redirects (a
 *   redirect to another host would carry the token).
 * - Retries (./retry.ts, full-jitter backoff): network errors and timeouts, 408, 429 (honouring
 *   `Retry-After`), 5xx, and a 2xx whose body is not JSON (a truncated answer or a proxy's error page).
 *   Never another 4xx. Each retry is reported through `onRetry`; nothing here logs.
 * - Every request has a deadline (`timeoutMs`) covering the connection, the headers and the body; a
 *   request that runs out of time is a retryable network error (`ETIMEDOUT`).
 * - Responses: the `{status, body}` envelope is unwrapped (a missing envelope is tolerated) and the
 *   payload is normalised (./normalize.ts).
 * - The token is sent only in the `X-WallarmAPI-Token` header (the API token, when given, instead of the
 *   node token on the vulnerability reads only) and never leaves the client, nor the API token, in any form
 *   (raw, JSON-escaped, URL-encoded, base64: ../text/untrusted.ts): response texts are redacted before
 *   they are quoted, and every parsed answer is redacted before it is returned.
 * - Answers are untrusted: a body is read up to {@link MAX_BODY_BYTES} in linear time, JSON nested
 *   deeper than ./json.ts allows is malformed, ids keep their exact decimal text, and an answer about
 *   another run than the one asked for is refused.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { parseRetryAfter, retry } from './retry.js'
import { abortReason } from '../common/time.js'
import { isRecord } from '../common/json.js'
import { Redactor } from '../text/untrusted.js'
import { WallarmApiError, kindForStatus, type WallarmApiErrorInit } from './errors.js'
import { parseJson } from './json.js'
import { normalizeTestRun, normalizeVulnerability, toId, toInt } from './normalize.js'
import { createTransport, type Transport, type TransportResponse } from './transport.js'
import type { CopyTestRunParams, CreateTestRunParams, Id, TestRun, Vulnerability } from './types.js'

export const TOKEN_HEADER = 'X-WallarmAPI-Token'

export const CLIENT_DEFAULTS = {
  userAgent: 'wallarm-fast-action',
  timeoutMs: 30_000,
  attempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000
} as const

/** A response body larger than this is cut off and the answer treated as malformed (retryable). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024
const TOO_LARGE = 'EMSGSIZE'

/** The page size of `listVulnerabilities` (the API accepts at most 1000). */
export const VULN_PAGE_SIZE = { default: 500, max: 1000 } as const
/**
 * At most this many vulnerabilities are read unless the caller asks for more: a bound on paging even
 * against a server that ignores `offset` and keeps answering full pages of new (id-less) items.
 */
export const VULN_READ_LIMIT = 10_000
/**
 * The largest `offset` the API takes (spec §6.1: wallarm-go documents it as 0..1000): with pages of 1000,
 * one filter reaches its newest 2000 objects. A server that refuses a smaller one (400) ends the read there.
 */
export const VULN_OFFSET_MAX = 1000

/** A vulnerability read that stopped before the end of the list: how far it got, and why. */
export interface VulnReadCapped {
  /** How many were read (the newest ones). */
  read: number
  /** The oldest one read, when it has an id: those older were not read. */
  oldestId: string | undefined
  /** `max`: the caller's cap; `offset`: the API pages no further (VULN_OFFSET_MAX, or it refused `offset`). */
  cap: { kind: 'max'; max: number } | { kind: 'offset'; offset: number }
}

export interface FastRetryInfo {
  operation: string
  /** The attempt (1-based) that just failed. */
  attempt: number
  /** How long the client waits before the next attempt. */
  delayMs: number
  error: WallarmApiError
}

export interface FastClientOptions {
  /** The API base URL (see ./hosts.ts `resolveApi`), e.g. `https://us1.api.wallarm.com`. */
  baseUrl: string
  /** The FAST node token: every call but the vulnerability reads when `apiToken` is given. */
  token: string
  /**
   * A Wallarm API token (console: Settings → API tokens, with read access to vulnerabilities): when given,
   * the only token the vulnerability reads (`POST /v1/objects/vuln`) send. Nothing else sends it.
   */
  apiToken?: string | undefined
  /** Default `wallarm-fast-action`. */
  userAgent?: string
  /** Deadline of one request (connect, headers and body), in ms. Default 30000. */
  timeoutMs?: number
  /** Attempts per call, the first included. Default 5. */
  attempts?: number
  /** Default 1000. */
  baseDelayMs?: number
  /** Cap of one backoff delay, `Retry-After` included. Default 30000. */
  maxDelayMs?: number
  onRetry?: (info: FastRetryInfo) => void
  /** Things the caller should tell the user once, e.g. that the stop fell back to the record stop. */
  onNotice?: ((message: string) => void) | undefined
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined
  random?: () => number
}

export interface CreateOptions {
  /** How long an attempt already sent may still wait for its answer once `signal` aborted. Default 0. */
  answerGraceMs?: number
  /** Called when the create fails after an attempt that got no answer: a run may have been created. */
  onUnanswered?: () => void
}

/**
 * A signal that aborts `ms` after `parent` does (at once for 0), or never without a parent; `clear()`
 * releases its timer and listener.
 */
function graceAfter(
  parent: AbortSignal | undefined,
  ms: number
): { signal: AbortSignal | undefined; clear: () => void } {
  if (parent === undefined || ms <= 0) return { signal: parent, clear: () => undefined }
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const onAbort = (): void => {
    timer = setTimeout(() => controller.abort(parent.reason), ms)
  }
  if (parent.aborted) onAbort()
  else parent.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      parent.removeEventListener('abort', onAbort)
    }
  }
}

export interface ListVulnerabilitiesOptions {
  /** Items per request, 1..1000. Default 500. */
  pageSize?: number
  /** Stop after this many items. Default {@link VULN_READ_LIMIT}. */
  max?: number
  /** Called when the read stopped at a cap with (maybe) more left: the caller says what was not read. */
  onCapped?: ((capped: VulnReadCapped) => void) | undefined
}

type Resource = { kind: string; id: Id }

interface Exchange {
  status: number
  text: string
  headers: IncomingHttpHeaders
}

/** Network error codes that another attempt cannot fix: TLS verification and programming errors. */
const PERMANENT_NETWORK_CODE =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|^ERR_TLS_CERT|^ERR_INVALID_|^ERR_HTTP_INVALID/i

function assertId(what: string, id: Id | number): Id {
  const text = toId(id)
  if (text === undefined) throw new RangeError(`${what} must be a positive integer, got ${String(id)}`)
  return text
}

/** Stands for an id in a request body until it is written as a JSON number of its exact digits. */
const RAW_ID = '\u0000id:'

/** `id` for a request body: sent as a JSON number with exactly its digits (see {@link toJsonBody}). */
function rawId(id: Id): string {
  return `${RAW_ID}${id}`
}

/** JSON.stringify, with every {@link rawId} written as a bare number (a double could not hold it). */
function toJsonBody(body: unknown): string {
  return JSON.stringify(body ?? {}).replace(/"\\u0000id:(\d+)"/g, '$1')
}

/** A copy of `o` without the keys whose value is undefined (the API gets only what was set). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** `{status, body}` → its parts; anything else is taken as the payload itself. */
function unwrap(v: unknown): { status: number | undefined; body: unknown } {
  if (isRecord(v) && 'body' in v) {
    const status = toInt(v.status)
    if (status !== undefined || Object.keys(v).length === 1) return { status, body: v.body }
  }
  return { status: undefined, body: v }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

export class FastClient {
  private readonly http: Transport
  private readonly baseUrl: string
  private readonly host: string
  private readonly token: string
  /** The token of the vulnerability reads: the API token when given, else the node token. */
  private readonly vulnToken: string
  private readonly redactor: Redactor
  private readonly timeoutMs: number
  private readonly attempts: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly onRetry: FastClientOptions['onRetry']
  private readonly onNotice: FastClientOptions['onNotice']
  private recordStopNoticed = false
  private readonly sleep: FastClientOptions['sleep']
  private readonly random: FastClientOptions['random']

  constructor(opts: FastClientOptions) {
    let url: URL
    try {
      url = new URL(opts.baseUrl)
    } catch {
      throw new Error(`Invalid Wallarm API base URL ${JSON.stringify(opts.baseUrl)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Invalid Wallarm API base URL ${JSON.stringify(opts.baseUrl)}: expected http(s)`)
    }
    if (!opts.token || /[\r\n]/.test(opts.token)) {
      // Never quote the token.
      throw new Error('The Wallarm API token is empty or contains a line break')
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.host = url.host
    if (opts.apiToken !== undefined && (opts.apiToken === '' || /[\r\n]/.test(opts.apiToken))) {
      throw new Error('The Wallarm API token (api-token) is empty or contains a line break')
    }
    this.token = opts.token
    this.vulnToken = opts.apiToken ?? opts.token
    this.redactor = new Redactor(opts.apiToken === undefined ? [opts.token] : [opts.token, opts.apiToken])
    this.timeoutMs = opts.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs
    this.attempts = opts.attempts ?? CLIENT_DEFAULTS.attempts
    this.baseDelayMs = opts.baseDelayMs ?? CLIENT_DEFAULTS.baseDelayMs
    this.maxDelayMs = opts.maxDelayMs ?? CLIENT_DEFAULTS.maxDelayMs
    this.onRetry = opts.onRetry
    this.onNotice = opts.onNotice
    this.sleep = opts.sleep
    this.random = opts.random
    this.http = createTransport({
      userAgent: opts.userAgent ?? CLIENT_DEFAULTS.userAgent,
      socketTimeoutMs: this.timeoutMs
    })
  }

  /** Closes the kept-alive connections. The client cannot be used afterwards. */
  dispose(): void {
    this.http.dispose()
  }

  /**
   * `POST /v1/test_run`, a new test run recording into a new test record.
   *
   * This call is retried like the others. If a first attempt reached the server but its answer was lost,
   * the retry creates a second run; that is acceptable because the API allows one active run per node
   * token: the newer run replaces the older one, which ends `interrupted`, and we only know the
   * newer one.
   */
  async createTestRun(
    params: CreateTestRunParams,
    signal?: AbortSignal,
    opts: CreateOptions = {}
  ): Promise<TestRun> {
    const op = 'create test run'
    const { test_record_id: _ignored, ...rest } = params as CreateTestRunParams & { test_record_id?: unknown }
    // `signal` ends the retries and the backoff at once; an attempt already sent gets `answerGraceMs` more
    // for its answer, since a run created without its id being learned could be stopped by nobody.
    const grace = graceAfter(signal, opts.answerGraceMs ?? 0)
    /** How the last attempt ended: no answer at all (sent; timed out, reset or cut off) may mean a run. */
    let last: 'in flight' | 'answered' | 'no answer' = 'answered'
    try {
      const payload = await this.request(
        op,
        'POST',
        '/v1/test_run',
        defined(rest),
        signal,
        undefined,
        undefined,
        {
          signal: grace.signal,
          onSent: (answer) => {
            last = 'in flight'
            answer.then(
              () => (last = 'answered'),
              // An HTTP answer, or a connection refused, means no run; a timeout, a reset or an abort may not.
              (err: unknown) =>
                (last =
                  err instanceof WallarmApiError &&
                  (err.kind !== 'network' || err.networkCode === 'ECONNREFUSED')
                    ? 'answered'
                    : 'no answer')
            )
          }
        }
      )
      return this.testRun(op, payload)
    } catch (err) {
      if (last !== 'answered') opts.onUnanswered?.()
      throw err
    } finally {
      grace.clear()
    }
  }

  /** `POST /v1/test_run` with `test_record_id`, a new test run replaying an existing test record. */
  async copyTestRun(params: CopyTestRunParams, signal?: AbortSignal): Promise<TestRun> {
    const recordId = assertId('test_record_id', params.test_record_id)
    const op = 'copy test run'
    const body = defined({ ...params, test_record_id: rawId(recordId) })
    const payload = await this.request(op, 'POST', '/v1/test_run', body, signal, {
      kind: 'test record',
      id: recordId
    })
    return this.testRun(op, payload)
  }

  /** `GET /v1/test_run/{id}`. */
  async getTestRun(runId: Id | number, signal?: AbortSignal): Promise<TestRun> {
    const id = assertId('test run id', runId)
    const op = 'get test run'
    const path = `/v1/test_run/${encodeURIComponent(id)}`
    const payload = await this.request(op, 'GET', path, undefined, signal, { kind: 'test run', id })
    return this.sameRun(op, id, this.testRun(op, payload))
  }

  /**
   * `POST /v1/test_run/{id}/action/stop`: stop recording baselines (testing carries on). Wallarm's docs
   * give this call two methods on one page, and the only stop proven in Wallarm's own integration code is
   * `POST /v1/test_record/{id}/action/stop`. So when this one answers 404 or 405, the client stops by the
   * run's test record instead, says so once through `onNotice`, and returns the run as a read then gives it
   * (the record stop's answer is undocumented).
   */
  async stopRecording(runId: Id | number, signal?: AbortSignal): Promise<TestRun> {
    const id = assertId('test run id', runId)
    const op = 'stop recording'
    const path = `/v1/test_run/${encodeURIComponent(id)}/action/stop`
    let payload: unknown
    try {
      payload = await this.request(op, 'POST', path, {}, signal, { kind: 'test run', id })
    } catch (e) {
      if (!(e instanceof WallarmApiError) || (e.status !== 404 && e.status !== 405)) throw e
      // A run that does not exist makes this read fail with "no such test run", as it should.
      const recordId = (await this.getTestRun(id, signal)).test_record_id
      if (recordId === '') throw e
      if (!this.recordStopNoticed) {
        this.recordStopNoticed = true
        this.onNotice?.(
          `The test-run stop (POST /v1/test_run/${id}/action/stop) answered ${e.status}; ` +
            `stopping by test record instead (POST /v1/test_record/${recordId}/action/stop).`
        )
      }
      const recordPath = `/v1/test_record/${encodeURIComponent(recordId)}/action/stop`
      await this.request(op, 'POST', recordPath, {}, signal, { kind: 'test record', id: recordId })
      return this.getTestRun(id, signal)
    }
    return this.sameRun(op, id, this.testRun(op, payload))
  }

  /**
   * `POST /v1/objects/vuln` filtered by test run, page by page until a short page (or `max`).
   * Whether a node token may call this endpoint is undocumented: a 401/403 is thrown as an error for
   * which `isAuthError()` is true, so that the caller can fall back to the run's `vulns`.
   */
  async listVulnerabilities(
    runId: Id | number,
    opts: ListVulnerabilitiesOptions = {},
    signal?: AbortSignal
  ): Promise<Vulnerability[]> {
    const testRunId = assertId('test run id', runId)
    return this.pagedVulnerabilities(
      'list vulnerabilities',
      { testrun_id: [rawId(testRunId)] },
      { kind: 'test run', id: testRunId },
      opts,
      signal
    )
  }

  /**
   * `POST /v1/objects/vuln` filtered by Wallarm's `status` (`falsepositive`, `closed`), from every run:
   * how people triaged findings in the console. A new run's vulnerabilities have new ids, so the caller
   * matches these on the identity as well as the id.
   */
  async listVulnerabilitiesWithStatus(
    statuses: readonly string[],
    opts: ListVulnerabilitiesOptions = {},
    signal?: AbortSignal
  ): Promise<Vulnerability[]> {
    return this.pagedVulnerabilities(
      'list triaged vulnerabilities',
      { status: [...statuses] },
      undefined,
      opts,
      signal
    )
  }

  /**
   * Newest first (`order_by: id`, `order_desc: true`, spec §E7), page by page: a cap leaves out the oldest,
   * never the newest. Ends at a short page, at `max`, at the API's offset bound, or when a page brings
   * nothing new (a server that ignores `offset`); a cap with more left is told through `onCapped`.
   */
  private async pagedVulnerabilities(
    op: string,
    filter: Record<string, unknown>,
    resource: Resource | undefined,
    opts: ListVulnerabilitiesOptions,
    signal: AbortSignal | undefined
  ): Promise<Vulnerability[]> {
    const pageSize = Math.min(
      VULN_PAGE_SIZE.max,
      Math.max(1, Math.floor(opts.pageSize ?? VULN_PAGE_SIZE.default))
    )
    const max = opts.max === undefined ? VULN_READ_LIMIT : Math.max(0, Math.floor(opts.max))
    const out: Vulnerability[] = []
    const seen = new Set<string>()
    let offset = 0
    let cap: VulnReadCapped['cap'] | undefined
    for (;;) {
      if (out.length >= max) {
        cap = { kind: 'max', max }
        break
      }
      if (offset > VULN_OFFSET_MAX) {
        cap = { kind: 'offset', offset }
        break
      }
      const limit = Math.min(pageSize, max - out.length)
      const body = { filter, limit, offset, order_by: 'id', order_desc: true }
      let payload: unknown
      try {
        payload = await this.request(op, 'POST', '/v1/objects/vuln', body, signal, resource, this.vulnToken)
      } catch (e) {
        // A later page refused: the API's paging ends before ours; what was read stands.
        if (offset > 0 && e instanceof WallarmApiError && e.status === 400) {
          cap = { kind: 'offset', offset }
          break
        }
        throw e
      }
      const items = Array.isArray(payload)
        ? payload
        : isRecord(payload) && Array.isArray(payload.objects)
          ? (payload.objects as unknown[])
          : undefined
      if (items === undefined) {
        throw this.unusable(op, payload, 'expected a list of vulnerabilities')
      }
      let fresh = 0
      for (const raw of items) {
        const v = normalizeVulnerability(raw)
        if (v === undefined) continue
        if (v.id !== '') {
          if (seen.has(v.id)) continue
          seen.add(v.id)
        }
        out.push(v)
        fresh++
      }
      // A short page ends the list; a page of nothing new means the server ignores `offset`.
      if (items.length < limit || fresh === 0) break
      offset += items.length
    }
    const read = out.slice(0, max)
    if (cap !== undefined)
      opts.onCapped?.({ read: read.length, oldestId: read.findLast((v) => v.id !== '')?.id, cap })
    return read
  }

  /**
   * An answer about another run than the one asked for is not used, so that the ids in outputs and
   * reports always agree. It is thrown as retryable (a proxy or cache in between may have mixed answers
   * up): the poller tolerates it and asks again.
   */
  private sameRun(operation: string, id: Id, run: TestRun): TestRun {
    if (run.id === id) return run
    throw new WallarmApiError({
      operation,
      kind: 'malformed',
      retryable: true,
      resource: { kind: 'test run', id },
      detail: `it describes test run ${run.id}, not ${id}`
    })
  }

  private testRun(operation: string, payload: unknown): TestRun {
    const run = normalizeTestRun(payload)
    if (run === undefined) throw this.unusable(operation, payload, 'no test run id in the response')
    return run
  }

  /** A 2xx whose JSON we cannot use: not retried (the API answered on purpose; a retried create would
   *  create another run). */
  private unusable(operation: string, body: unknown, detail: string): WallarmApiError {
    return new WallarmApiError({
      operation,
      kind: 'malformed',
      body,
      retryable: false,
      detail
    })
  }

  private async request(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
    resource?: Resource,
    token = this.token,
    /** What one attempt runs with: its own signal (default `signal`), and who watches it. */
    each?: { signal?: AbortSignal | undefined; onSent?: (answer: Promise<unknown>) => void }
  ): Promise<unknown> {
    let made = 0
    try {
      return await retry(
        (attempt) => {
          made = attempt
          const answer = this.send(operation, method, path, body, each?.signal ?? signal, resource, token)
          each?.onSent?.(answer)
          return answer
        },
        {
          attempts: this.attempts,
          baseDelayMs: this.baseDelayMs,
          maxDelayMs: this.maxDelayMs,
          isRetryable: (e) => e instanceof WallarmApiError && e.retryable,
          retryAfterMs: (e) => (e instanceof WallarmApiError ? e.retryAfterMs : undefined),
          onRetry: ({ attempt, delayMs, error }) =>
            this.onRetry?.({ operation, attempt, delayMs, error: error as WallarmApiError }),
          ...(this.sleep ? { sleep: this.sleep } : {}),
          ...(this.random ? { random: this.random } : {}),
          ...(signal ? { signal } : {})
        }
      )
    } catch (e) {
      if (e instanceof WallarmApiError && e.retryable && made > 1) throw e.withAttempts(made)
      throw e
    }
  }

  /** One attempt: the HTTP exchange, then the envelope. */
  private async send(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    resource: Resource | undefined,
    token: string
  ): Promise<unknown> {
    const headers: OutgoingHttpHeaders = { [TOKEN_HEADER]: token, Accept: 'application/json' }
    let data: string | null = null
    if (method === 'POST') {
      data = toJsonBody(body)
      headers['Content-Type'] = 'application/json'
    }
    let res: Exchange
    try {
      res = await this.exchange(method, `${this.baseUrl}${path}`, data, headers, signal)
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal)
      if (err instanceof Error && (err as Error & { code?: unknown }).code === TOO_LARGE) {
        // An answer, but one too large to be the API's: retried like a truncated one.
        throw new WallarmApiError({ operation, kind: 'malformed', retryable: true, detail: err.message })
      }
      throw this.networkError(operation, err)
    }

    const base = { operation, status: res.status, host: this.host, ...(resource ? { resource } : {}) }
    if (res.status >= 200 && res.status < 300) {
      const parsed = parseJson(res.text)
      if (!parsed.ok) {
        const type = header(res.headers, 'content-type')
        throw new WallarmApiError({
          ...base,
          kind: 'malformed',
          body: this.redact(res.text),
          retryable: true,
          detail: `${parsed.reason}${type ? `: ${this.redact(type)}` : ''}`
        })
      }
      // Redacted once, here: nothing the API sends back carries the token any further.
      const env = unwrap(this.redactor.deep(parsed.value))
      // An envelope that reports an error inside an HTTP 2xx is treated as that error.
      if (env.status === undefined || env.status < 400) return env.body
      throw this.statusError({ ...base, status: env.status }, res)
    }
    throw this.statusError(base, res)
  }

  private statusError(
    base: Pick<WallarmApiErrorInit, 'operation' | 'status' | 'resource' | 'host'>,
    res: Exchange
  ): WallarmApiError {
    const status = base.status ?? res.status
    const text = this.redact(res.text)
    const parsed = parseJson(text)
    const body = parsed.ok ? unwrap(this.redactor.deep(parsed.value)).body : text.trim()
    const kind = kindForStatus(status, body)
    const retryable = kind === 'rate_limited' || kind === 'unavailable'
    const retryAfterMs = retryable
      ? parseRetryAfter(header(res.headers, 'retry-after'), Date.now())
      : undefined
    let detail: string | undefined
    if (status >= 300 && status < 400) {
      const location = header(res.headers, 'location')
      detail = `a redirect${location ? ` to ${this.redact(location)}` : ''}; redirects are not followed`
    }
    return new WallarmApiError({
      ...base,
      status,
      kind,
      body,
      retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(detail === undefined ? {} : { detail })
    })
  }

  private networkError(operation: string, err: unknown): WallarmApiError {
    const e = err instanceof Error ? (err as Error & { code?: unknown }) : undefined
    let code = typeof e?.code === 'string' ? e.code : undefined
    if (code === undefined && e && /^Request timeout/i.test(e.message)) code = 'ETIMEDOUT'
    if (code === undefined && e && /socket hang up/i.test(e.message)) code = 'ECONNRESET'
    const disposed = e !== undefined && /disposed/i.test(e.message)
    const retryable = !disposed && !(code !== undefined && PERMANENT_NETWORK_CODE.test(code))
    return new WallarmApiError({
      operation,
      kind: 'network',
      retryable,
      host: this.host,
      ...(code === undefined ? {} : { networkCode: code }),
      ...(code === undefined && e ? { detail: this.redact(e.message) } : {}),
      cause: err
    })
  }

  /**
   * Sends one request and reads its body, within `timeoutMs` and until `signal` aborts. On either, the
   * response (if any) is destroyed; a request still waiting for its headers is ended by the socket
   * timeout of the HTTP client, which is set to the same `timeoutMs`.
   */
  private exchange(
    method: string,
    url: string,
    data: string | null,
    headers: OutgoingHttpHeaders,
    signal: AbortSignal | undefined
  ): Promise<Exchange> {
    return new Promise<Exchange>((resolve, reject) => {
      let settled = false
      let response: TransportResponse | undefined
      const finish = (fn: () => void): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        fn()
      }
      const timer = setTimeout(() => {
        response?.message.destroy()
        const err = Object.assign(new Error(`no complete response within ${this.timeoutMs} ms`), {
          code: 'ETIMEDOUT'
        })
        finish(() => reject(err))
      }, this.timeoutMs)
      const onAbort = (): void => {
        response?.message.destroy()
        finish(() => reject(abortReason(signal as AbortSignal)))
      }
      if (signal?.aborted) {
        onAbort()
        return
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.http.request(method, url, data, headers).then(
        (res) => {
          response = res
          if (settled) {
            res.message.destroy()
            return
          }
          // Without this listener a connection reset mid-body would be an uncaught 'error'.
          res.message.once('error', (err) => finish(() => reject(err)))
          readBody(res).then(
            (text) =>
              finish(() =>
                resolve({ status: res.message.statusCode ?? 0, text, headers: res.message.headers })
              ),
            (err: unknown) => finish(() => reject(err instanceof Error ? err : new Error(String(err))))
          )
        },
        (err: unknown) => finish(() => reject(err instanceof Error ? err : new Error(String(err))))
      )
    })
  }

  private redact(text: string): string {
    return this.redactor.text(text)
  }
}

/**
 * The body as UTF-8 text, at most {@link MAX_BODY_BYTES}: chunks are collected and joined once, in linear
 * time (`@actions/http-client`'s `readBody` joins as it goes, which is quadratic in the number of chunks).
 * A larger body destroys the response and rejects (`EMSGSIZE`: a retryable malformed answer).
 */
function readBody(res: TransportResponse): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    res.message.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        res.message.destroy()
        reject(
          Object.assign(new Error(`response body larger than ${MAX_BODY_BYTES} bytes`), { code: TOO_LARGE })
        )
        return
      }
      chunks.push(chunk)
    })
    res.message.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')))
    res.message.once('error', reject)
  })
}
