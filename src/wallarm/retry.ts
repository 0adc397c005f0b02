/**
 * Generic retry with full-jitter exponential backoff (pure: the clock, the randomness and the sleep can be
 * injected, nothing is logged).
 *
 * Delay before attempt n+1, after attempt n failed with a retryable error:
 *
 *   backoff = random() * min(maxDelayMs, baseDelayMs * 2^(n-1))                        (full jitter)
 *   delay   = hint === undefined ? backoff : min(maxDelayMs, max(hint, backoff))
 *
 * where `hint` is what `retryAfterMs(error)` returns (a server's `Retry-After`). The hint is honoured as a
 * floor (we never come back sooner than the server asked) but it is capped at `maxDelayMs`, so that a
 * misconfigured or hostile `Retry-After: 86400` cannot stall a CI job for a day: the attempt budget, not
 * the server, bounds how long we keep trying. With the default 30 s cap and 5 attempts the worst case is
 * about two minutes of waiting.
 */
import { abortReason, longTimeout, sleep, type Sleep } from '../common/time.js'

export interface RetryInfo {
  /** The number (1-based) of the attempt that just failed. */
  attempt: number
  /** The attempt budget (`opts.attempts`). */
  attempts: number
  /** How long we wait before the next attempt. */
  delayMs: number
  error: unknown
}

export interface RetryOptions {
  /** Total number of attempts, the first one included (at least 1). */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  isRetryable: (err: unknown) => boolean
  /** A server-provided minimum delay for this error (e.g. from `Retry-After`), in ms. */
  retryAfterMs?: (err: unknown) => number | undefined
  /** Called before each wait; never called for the last failure. */
  onRetry?: (info: RetryInfo) => void
  sleep?: Sleep
  /** Returns a number in [0, 1); defaults to Math.random. */
  random?: (() => number) | undefined
  /** Aborting stops the retries: the pending sleep rejects and no further attempt starts. */
  signal?: AbortSignal
}

/**
 * A signal that aborts after `ms` (a real-time timer) or when `parent` aborts, whichever comes first:
 * it carries a wait's deadline down to every request made for it. `expired()` says whether the time ran
 * out (rather than the parent aborting); `clear()` releases the timer.
 */
export function deadlineSignal(
  ms: number,
  parent?: AbortSignal
): { signal: AbortSignal; expired: () => boolean; clear: () => void } {
  const controller = new AbortController()
  let expired = false
  const onParent = (): void => controller.abort(parent?.reason)
  const cancel = longTimeout(
    () => {
      expired = true
      controller.abort(new DOMException(`deadline of ${Math.round(ms)} ms reached`, 'TimeoutError'))
    },
    ms,
    true
  )
  if (parent?.aborted) onParent()
  else parent?.addEventListener('abort', onParent, { once: true })
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      cancel()
      parent?.removeEventListener('abort', onParent)
    }
  }
}

/** The full-jitter backoff before retrying after failed attempt `attempt` (1-based). */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1))
  const r = Math.min(1, Math.max(0, random()))
  return Math.floor(r * ceiling)
}

/** Combines the jittered backoff with a server hint: see the module comment. */
export function retryDelay(
  attempt: number,
  opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
  hintMs?: number
): number {
  const backoff = backoffDelay(attempt, opts.baseDelayMs, opts.maxDelayMs, opts.random)
  if (hintMs === undefined || !Number.isFinite(hintMs)) return backoff
  return Math.min(opts.maxDelayMs, Math.max(Math.max(0, Math.ceil(hintMs)), backoff))
}

/**
 * Runs `fn(attempt)` until it resolves, throws a non-retryable error, or the attempt budget is spent; then
 * the last error is rethrown as it is. When `signal` aborts, the abort reason is thrown instead.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(opts.attempts))
  const doSleep = opts.sleep ?? sleep
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw abortReason(opts.signal)
    try {
      return await fn(attempt)
    } catch (error) {
      if (opts.signal?.aborted) throw abortReason(opts.signal)
      if (attempt >= attempts || !opts.isRetryable(error)) throw error
      const delayMs = retryDelay(attempt, opts, opts.retryAfterMs?.(error))
      opts.onRetry?.({ attempt, attempts, delayMs, error })
      await doSleep(delayMs, opts.signal)
    }
  }
}

/**
 * Parses an HTTP `Retry-After` value: either delta-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`). Returns milliseconds from `now` (never negative), or undefined
 * when the value is absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const v = value.trim()
  if (v === '') return undefined
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  // An HTTP date names a month and has digits; this rejects "-1", "1.2.3" and the like, which
  // Date.parse would otherwise read as some date.
  if (!/[a-z]/i.test(v) || !/\d/.test(v)) return undefined
  const at = Date.parse(v)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}
