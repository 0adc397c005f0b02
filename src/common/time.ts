/**
 * Time as the flow, the poller and the retries see it: a monotonic clock and an abortable sleep, both
 * injectable so tests and the benchmark run them on a virtual clock.
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

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortReason(signal as AbortSignal))
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms)
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
