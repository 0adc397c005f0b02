/**
 * Time as the flow, the poller, the retries, the node's ready wait and the command's kill grace see it: a
 * monotonic clock and an abortable sleep, both injectable so tests and the benchmark run them on a virtual
 * clock. Every deadline is measured here, never as a difference of `Date.now()`: the wall clock is
 * stepped by NTP (an hour back on a fresh runner), which would stretch or cut any wait measured on it.
 */

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
}

/** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export const systemClock: Clock = { now: () => performance.now() }

/**
 * The error an aborted signal carries: its `reason` when that is an Error (the default reason of
 * `AbortController.abort()` is a DOMException named AbortError, which is one), else an AbortError.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error) return reason
  const why = typeof reason === 'string' ? `: ${reason}` : ''
  return new DOMException(`The operation was aborted${why}`, 'AbortError')
}

/** The largest delay `setTimeout` honours: beyond it, it fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * `setTimeout` for any delay: one longer than a timer can hold is waited in parts, so that it never
 * fires at once (a safety net under the inputs' own limit, src/common/duration.ts). Returns the cancel.
 */
export function longTimeout(fn: () => void, ms: number, unref = false): () => void {
  let timer: ReturnType<typeof setTimeout>
  const arm = (left: number): void => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()),
      Math.min(Math.max(0, left), MAX_TIMER_MS)
    )
    if (unref) timer.unref?.()
  }
  arm(Number.isNaN(ms) ? 0 : ms)
  return () => clearTimeout(timer)
}

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal))
      return
    }
    const onAbort = (): void => {
      cancel()
      reject(abortReason(signal as AbortSignal))
    }
    const cancel = longTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
