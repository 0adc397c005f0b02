import { describe, expect, it, vi } from 'vitest'
import {
  backoffDelay,
  deadlineSignal,
  parseRetryAfter,
  retry,
  retryDelay,
  type RetryInfo
} from '../../src/wallarm/retry.js'
import { sleep } from '../../src/common/time.js'

class Boom extends Error {
  constructor(
    readonly retryable: boolean,
    readonly hintMs?: number
  ) {
    super(retryable ? 'transient' : 'permanent')
  }
}

function fakeSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = []
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms)
      return Promise.resolve()
    }
  }
}

const isRetryable = (e: unknown): boolean => e instanceof Boom && e.retryable
const retryAfterMs = (e: unknown): number | undefined => (e instanceof Boom ? e.hintMs : undefined)

describe('backoffDelay (full jitter)', () => {
  it('is random() times the exponential ceiling', () => {
    expect(backoffDelay(1, 1000, 30_000, () => 0.5)).toBe(500)
    expect(backoffDelay(2, 1000, 30_000, () => 0.5)).toBe(1000)
    expect(backoffDelay(3, 1000, 30_000, () => 0.5)).toBe(2000)
    expect(backoffDelay(4, 1000, 30_000, () => 0.25)).toBe(2000)
  })

  it('never exceeds maxDelayMs and never goes below 0', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      expect(backoffDelay(attempt, 1000, 30_000, () => 0.999_999)).toBeLessThan(30_000)
      expect(backoffDelay(attempt, 1000, 30_000, () => 0)).toBe(0)
    }
    expect(backoffDelay(10, 1000, 30_000, () => 0.5)).toBe(15_000)
    // A misbehaving random is clamped to [0, 1].
    expect(backoffDelay(1, 1000, 30_000, () => 7)).toBe(1000)
    expect(backoffDelay(1, 1000, 30_000, () => -1)).toBe(0)
  })
})

describe('retryDelay (backoff and Retry-After)', () => {
  const opts = { baseDelayMs: 1000, maxDelayMs: 30_000, random: () => 0.5 }

  it('uses the backoff when there is no hint', () => {
    expect(retryDelay(1, opts)).toBe(500)
  })

  it('honours a hint as a floor', () => {
    expect(retryDelay(1, opts, 7000)).toBe(7000)
    expect(retryDelay(5, opts, 100)).toBe(8000)
  })

  it('caps a hint at maxDelayMs', () => {
    expect(retryDelay(1, opts, 3_600_000)).toBe(30_000)
  })
})

describe('retry', () => {
  it('returns the first success and passes the attempt number', async () => {
    const fn = vi.fn((attempt: number) => Promise.resolve(`ok ${attempt}`))
    await expect(retry(fn, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, isRetryable })).resolves.toBe('ok 1')
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('retries retryable errors with growing jittered delays and reports each retry', async () => {
    const { delays, sleep } = fakeSleep()
    const infos: RetryInfo[] = []
    const fn = vi.fn((attempt: number) =>
      attempt < 4 ? Promise.reject(new Boom(true)) : Promise.resolve('done')
    )
    const out = await retry(fn, {
      attempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      isRetryable,
      sleep,
      random: () => 0.5,
      onRetry: (i) => infos.push(i)
    })
    expect(out).toBe('done')
    expect(fn.mock.calls.map((c) => c[0])).toEqual([1, 2, 3, 4])
    expect(delays).toEqual([500, 1000, 2000])
    expect(infos.map((i) => [i.attempt, i.attempts, i.delayMs])).toEqual([
      [1, 5, 500],
      [2, 5, 1000],
      [3, 5, 2000]
    ])
    expect(infos[0]?.error).toBeInstanceOf(Boom)
  })

  it('gives up after the attempt budget and rethrows the last error', async () => {
    const { delays, sleep } = fakeSleep()
    const onRetry = vi.fn()
    let n = 0
    const fn = vi.fn(() => Promise.reject(new Error(`fail ${++n}`)))
    await expect(
      retry(fn, { attempts: 3, baseDelayMs: 10, maxDelayMs: 100, isRetryable: () => true, sleep, onRetry })
    ).rejects.toThrow('fail 3')
    expect(fn).toHaveBeenCalledTimes(3)
    expect(onRetry).toHaveBeenCalledTimes(2)
    expect(delays).toHaveLength(2)
  })

  it('does not retry a non-retryable error', async () => {
    const { delays, sleep } = fakeSleep()
    const fn = vi.fn(() => Promise.reject(new Boom(false)))
    await expect(
      retry(fn, { attempts: 5, baseDelayMs: 10, maxDelayMs: 100, isRetryable, sleep })
    ).rejects.toThrow('permanent')
    expect(fn).toHaveBeenCalledTimes(1)
    expect(delays).toEqual([])
  })

  it('treats attempts below 1 as a single attempt', async () => {
    const fn = vi.fn(() => Promise.reject(new Boom(true)))
    await expect(
      retry(fn, { attempts: 0, baseDelayMs: 1, maxDelayMs: 1, isRetryable, sleep: fakeSleep().sleep })
    ).rejects.toBeInstanceOf(Boom)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('waits what the Retry-After hint says (capped)', async () => {
    const { delays, sleep } = fakeSleep()
    const errors = [new Boom(true, 7000), new Boom(true, 120_000)]
    const fn = vi.fn((attempt: number) => {
      const e = errors[attempt - 1]
      return e ? Promise.reject(e) : Promise.resolve('ok')
    })
    await retry(fn, {
      attempts: 5,
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      isRetryable,
      retryAfterMs,
      sleep,
      random: () => 0
    })
    expect(delays).toEqual([7000, 30_000])
  })

  it('does not start when the signal is already aborted', async () => {
    const ac = new AbortController()
    ac.abort(new Error('cancelled'))
    const fn = vi.fn(() => Promise.resolve(1))
    await expect(
      retry(fn, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, isRetryable, signal: ac.signal })
    ).rejects.toThrow('cancelled')
    expect(fn).not.toHaveBeenCalled()
  })

  it('stops waiting and does not try again when aborted during the backoff', async () => {
    const ac = new AbortController()
    const fn = vi.fn(() => Promise.reject(new Boom(true)))
    const p = retry(fn, {
      attempts: 5,
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      isRetryable,
      random: () => 1,
      signal: ac.signal,
      onRetry: () => setImmediate(() => ac.abort())
    })
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('throws the abort reason, not the attempt error, when aborted during an attempt', async () => {
    const ac = new AbortController()
    const fn = vi.fn(() => {
      ac.abort(new Error('cancelled by the workflow'))
      return Promise.reject(new Boom(true))
    })
    await expect(
      retry(fn, { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, isRetryable, signal: ac.signal })
    ).rejects.toThrow('cancelled by the workflow')
    expect(fn).toHaveBeenCalledTimes(1)
  })
})

describe('sleep', () => {
  it('resolves', async () => {
    await expect(sleep(1)).resolves.toBeUndefined()
  })

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(sleep(60_000, ac.signal)).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects with the abort reason when aborted while sleeping', async () => {
    const ac = new AbortController()
    const p = sleep(60_000, ac.signal)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
  })

  it('wraps a non-Error abort reason in an AbortError', async () => {
    const ac = new AbortController()
    const p = sleep(60_000, ac.signal)
    ac.abort('SIGTERM')
    await expect(p).rejects.toMatchObject({ name: 'AbortError', message: expect.stringContaining('SIGTERM') })
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 7 ', now)).toBe(7000)
    expect(parseRetryAfter('0', now)).toBe(0)
    expect(parseRetryAfter('1.5', now)).toBe(1500)
  })

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:30 GMT', now)).toBe(30_000)
  })

  it('never returns a negative delay for a past date', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0)
  })

  it('returns undefined for an absent or unparsable value', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('1.2.3', now)).toBeUndefined()
  })
})

describe('deadlineSignal', () => {
  it('aborts at the deadline and says it expired', async () => {
    const bound = deadlineSignal(50)
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(bound.signal.aborted).toBe(true)
    expect(bound.expired()).toBe(true)
    expect((bound.signal.reason as Error).name).toBe('TimeoutError')
  })

  it('follows its parent, which is not an expiry', () => {
    const parent = new AbortController()
    const bound = deadlineSignal(10_000, parent.signal)
    parent.abort(new Error('cancelled'))
    expect(bound.signal.aborted).toBe(true)
    expect(bound.expired()).toBe(false)
    expect((bound.signal.reason as Error).message).toBe('cancelled')
    bound.clear()
  })

  it('ends a retry loop, its backoff included, at the deadline', async () => {
    const bound = deadlineSignal(100)
    const started = performance.now()
    await expect(
      retry(() => Promise.reject(new Error('busy')), {
        attempts: 100,
        baseDelayMs: 10_000,
        maxDelayMs: 10_000,
        isRetryable: () => true,
        random: () => 1,
        signal: bound.signal
      })
    ).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})
