/**
 * Waits longer than a JavaScript timer can hold: `setTimeout` fires after 1 ms for a delay of 2^31 ms
 * or more, so a wait of 600h would end at once. The inputs refuse such values (duration.test.ts); this
 * is the safety net under them, on fake timers that behave as Node's do.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_MS, longTimeout, sleep } from '../../src/common/time.js'
import { deadlineSignal } from '../../src/wallarm/retry.js'

const HOUR = 3_600_000

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('waits beyond setTimeout’s range', () => {
  it('the fake timers overflow as Node’s do (else these tests prove nothing)', () => {
    const fired = vi.fn()
    setTimeout(fired, 2 ** 31)
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalled()
  })

  it('longTimeout fires at the time asked, not after 1 ms', () => {
    const fired = vi.fn()
    longTimeout(fired, 600 * HOUR)
    vi.advanceTimersByTime(MAX_TIMER_MS)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(600 * HOUR - MAX_TIMER_MS - 1)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledOnce()
  })

  it('longTimeout can be cancelled in any part of the wait', () => {
    const fired = vi.fn()
    const cancel = longTimeout(fired, 2 * MAX_TIMER_MS + 5)
    vi.advanceTimersByTime(MAX_TIMER_MS + 10)
    cancel()
    vi.advanceTimersByTime(3 * MAX_TIMER_MS)
    expect(fired).not.toHaveBeenCalled()
  })

  it('sleep(600h) is still asleep after 2^31 ms', async () => {
    let done = false
    void sleep(600 * HOUR).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(600 * HOUR)
    expect(done).toBe(true)
  })

  it('a deadline of 600h has not expired after 1 ms', () => {
    const bound = deadlineSignal(600 * HOUR)
    vi.advanceTimersByTime(1_000)
    expect(bound.expired()).toBe(false)
    expect(bound.signal.aborted).toBe(false)
    vi.advanceTimersByTime(600 * HOUR)
    expect(bound.expired()).toBe(true)
    bound.clear()
  })
})
