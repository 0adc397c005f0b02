/**
 * The one error type of the Wallarm API client. It carries the facts a caller needs to decide and to
 * explain (status, code, param, kind, retryable, which resource, which host); the action layer turns
 * them into remedies in terms of its inputs (src/action/remedies.ts). It never contains the token: the client
 * redacts it from every response text before building an error, and no message quotes request headers.
 * The message is one line that no runner reads as a workflow command (../text/untrusted.ts `logSafe`).
 *
 * Error bodies come in three shapes, all surfaced:
 * - a bare string: `{"status":403,"body":"User not authenticated"}`
 * - `{error, value}`: `{"status":404,"body":{"error":"node not found","value":15049247}}`
 * - keyed by parameter: `{"status":400,"body":{"test_record_id":{"error":"not_ready_for_cloning","value":9058}}}`
 */
import { isRecord } from '../common/json.js'

import { logSafe } from '../text/untrusted.js'

export type WallarmErrorKind =
  /** 401/403: the token was refused. */
  | 'auth'
  /** 404. */
  | 'not_found'
  /** 400 `not_ready_for_cloning`: the test record is still recording. */
  | 'not_ready_for_cloning'
  /** Any other 400. */
  | 'bad_request'
  /** 429. */
  | 'rate_limited'
  /** 5xx and 408. */
  | 'unavailable'
  /** No HTTP response: connection refused or reset, DNS, TLS, timeout. */
  | 'network'
  /** A 2xx whose body is not JSON (retryable) or has no usable content (not retryable). */
  | 'malformed'
  /** Anything else (another 4xx, an unexpected redirect). */
  | 'http'

/** What the API said went wrong, read out of any of the three body shapes. */
export interface ErrorDetail {
  param?: string
  code?: string
  value?: unknown
}

export interface WallarmApiErrorInit {
  operation: string
  kind: WallarmErrorKind
  status?: number
  body?: unknown
  retryable: boolean
  cause?: unknown
  /** The API host that was asked (`us1.api.wallarm.com`). */
  host?: string
  /** The system error code of a network error (`ECONNREFUSED`, `ETIMEDOUT`, …). */
  networkCode?: string
  /** What the request was about, to name it in a 404 message. */
  resource?: { kind: string; id: string | number }
  /** How many attempts were made before giving up (set when retries were exhausted). */
  attempts?: number
  /** A server-provided delay before retrying (`Retry-After`), in ms. */
  retryAfterMs?: number
  /** Extra text for the message (e.g. why a 2xx body was unusable). */
  detail?: string
}

/** Reads `{error, value}` or `{param: {error, value}}`; a string body has no code. */
export function errorDetails(body: unknown): ErrorDetail[] {
  if (!isRecord(body)) return []
  if (typeof body.error === 'string') {
    return [{ code: body.error, ...('value' in body ? { value: body.value } : {}) }]
  }
  const out: ErrorDetail[] = []
  for (const [param, v] of Object.entries(body)) {
    if (isRecord(v) && typeof v.error === 'string') {
      out.push({ param, code: v.error, ...('value' in v ? { value: v.value } : {}) })
    }
  }
  return out
}

const MAX_QUOTE = 300

/** A short, single-line rendering of a body for a message. */
export function describeBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return ''
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE)}…` : line
}

function fmtValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : describeBody(v)
}

function withBody(status: number | undefined, body: unknown): string {
  const b = describeBody(body)
  const s = status === undefined ? '' : `HTTP ${status}`
  return [s, b].filter(Boolean).join(': ') || 'no details'
}

function attemptsSuffix(attempts: number | undefined): string {
  return attempts !== undefined && attempts > 1 ? `; gave up after ${attempts} attempts` : ''
}

function networkHint(code: string | undefined): string {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return ': the host name does not resolve'
    case 'ECONNREFUSED':
      return ': nothing is listening there'
    case 'ETIMEDOUT':
      return ': no answer in time'
    default:
      if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) {
        return ': the TLS certificate could not be verified (a proxy intercepting TLS needs NODE_EXTRA_CA_CERTS)'
      }
      return ''
  }
}

function buildMessage(i: WallarmApiErrorInit, details: ErrorDetail[]): string {
  const head = `Failed to ${i.operation}`
  const what = i.resource ? `${i.resource.kind} ${i.resource.id}` : undefined
  const at = i.host ? ` at ${i.host}` : ''
  const tail = attemptsSuffix(i.attempts)
  switch (i.kind) {
    case 'auth':
      return `${head}: the Wallarm API${at} rejected the token (${withBody(i.status, i.body)}).`
    case 'not_found':
      return `${head}: ${what ? `no such ${what}` : 'not found'}${at} (${withBody(i.status, i.body)}).`
    case 'not_ready_for_cloning': {
      const id = details.find((d) => d.code === 'not_ready_for_cloning')?.value ?? i.resource?.id
      return (
        `${head}: test record${id === undefined ? '' : ` ${describeBody(id)}`} is still recording ` +
        '(not_ready_for_cloning). Stop its recording first (stop the test run that records into it, ' +
        'or wait for its inactivity timeout), then copy it again.'
      )
    }
    case 'bad_request': {
      if (details.length > 0) {
        const parts = details.map((d) => {
          const bits = [`error ${JSON.stringify(d.code)}`]
          if ('value' in d) bits.push(`value ${fmtValue(d.value)}`)
          return d.param ? `parameter ${JSON.stringify(d.param)}: ${bits.join(', ')}` : bits.join(', ')
        })
        return `${head}: the Wallarm API rejected the request (HTTP ${i.status ?? 400}): ${parts.join('; ')}`
      }
      return `${head}: the Wallarm API rejected the request (${withBody(i.status, i.body)})`
    }
    case 'rate_limited':
      return `${head}: the Wallarm API is rate-limiting requests (${withBody(i.status, i.body)})${tail}`
    case 'unavailable':
      return `${head}: the Wallarm API is unavailable (${withBody(i.status, i.body)})${tail}`
    case 'network': {
      const code = i.networkCode ?? i.detail ?? 'network error'
      return `${head}: could not reach the Wallarm API${at} (${code})${networkHint(i.networkCode)}${tail}`
    }
    case 'malformed':
      return (
        `${head}: the Wallarm API returned an unusable response` +
        `${i.detail ? ` (${i.detail})` : ''} (${withBody(i.status, i.body)})${tail}`
      )
    case 'http':
      return (
        `${head}: unexpected response from the Wallarm API` +
        `${i.detail ? ` (${i.detail})` : ''} (${withBody(i.status, i.body)})${tail}`
      )
  }
}

export class WallarmApiError extends Error {
  override readonly name = 'WallarmApiError'
  /** What was being done, e.g. "create test run". */
  readonly operation: string
  readonly kind: WallarmErrorKind
  /** The HTTP status; undefined for network errors. */
  readonly status: number | undefined
  /** The envelope's `body` (string, `{error,value}` or `{param:{error,value}}`), or the raw text if not JSON. */
  readonly body: unknown
  /** The API's error code (`not_ready_for_cloning`, …), when the body has one. */
  readonly code: string | undefined
  /** The offending parameter, when the body is keyed by parameter. */
  readonly param: string | undefined
  /** The value the API echoed back with the error, if any. */
  readonly value: unknown
  readonly retryable: boolean
  readonly host: string | undefined
  readonly networkCode: string | undefined
  readonly resource: { kind: string; id: string | number } | undefined
  readonly attempts: number | undefined
  readonly retryAfterMs: number | undefined
  readonly #init: WallarmApiErrorInit

  constructor(init: WallarmApiErrorInit) {
    const details = errorDetails(init.body)
    // The message quotes the API's answer: made safe to log here, once, whatever it held.
    super(logSafe(buildMessage(init, details)), init.cause === undefined ? undefined : { cause: init.cause })
    this.#init = init
    this.operation = init.operation
    this.kind = init.kind
    this.status = init.status
    this.body = init.body
    const first = details.find((d) => d.code === 'not_ready_for_cloning') ?? details[0]
    this.code = first?.code ?? init.networkCode
    this.param = first?.param
    this.value = first?.value
    this.retryable = init.retryable
    this.host = init.host
    this.networkCode = init.networkCode
    this.resource = init.resource
    this.attempts = init.attempts
    this.retryAfterMs = init.retryAfterMs
  }

  /** The same error, its message saying how many attempts were made. */
  withAttempts(attempts: number): WallarmApiError {
    return new WallarmApiError({ ...this.#init, attempts })
  }
}

export function isWallarmApiError(err: unknown): err is WallarmApiError {
  return err instanceof WallarmApiError
}

/** 400 `not_ready_for_cloning`: the test record is still recording. */
export function isNotReadyForCloning(err: unknown): boolean {
  return err instanceof WallarmApiError && err.kind === 'not_ready_for_cloning'
}

/** 401 or 403: the token was refused (or may not call this endpoint). */
export function isAuthError(err: unknown): boolean {
  return err instanceof WallarmApiError && err.kind === 'auth'
}

/** 404: no such test run or test record. */
export function isNotFound(err: unknown): boolean {
  return err instanceof WallarmApiError && err.kind === 'not_found'
}

/** The kind of an error response, from its HTTP status and the API's error code. */
export function kindForStatus(status: number, body: unknown): WallarmErrorKind {
  if (status === 401 || status === 403) return 'auth'
  if (status === 404) return 'not_found'
  if (status === 429) return 'rate_limited'
  if (status === 408 || status >= 500) return 'unavailable'
  if (status === 400) {
    return errorDetails(body).some((d) => d.code === 'not_ready_for_cloning')
      ? 'not_ready_for_cloning'
      : 'bad_request'
  }
  return 'http'
}
