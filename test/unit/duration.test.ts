import { describe, expect, it } from 'vitest'
import { DurationError, MAX_DURATION_MS, formatDuration, parseDuration } from '../../src/common/duration.js'

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['45m', 2_700_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['500ms', 500],
    ['120', 120_000],
    ['0', 0],
    ['0s', 0],
    [' 30s ', 30_000]
  ])('%s is %d ms', (value, ms) => {
    expect(parseDuration('wait-timeout', value)).toBe(ms)
  })

  it.each([
    'abc',
    '',
    '1.5h',
    '-5s',
    '-5',
    '1d',
    '10 seconds',
    '5M',
    '1m1m',
    '30m1h',
    's',
    '1h-30m',
    '9'.repeat(30)
  ])('rejects %j naming the input, the value and the accepted forms', (value) => {
    let error: unknown
    try {
      parseDuration('wait-timeout', value)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(DurationError)
    const message = (error as Error).message
    expect(message).toContain(`Input "wait-timeout" has the value ${JSON.stringify(value)}: expected`)
    expect(message).toMatch(/90s, 45m/)
    expect(message.endsWith('.')).toBe(true)
  })

  it('gives the exact message of the brief for junk', () => {
    expect(() => parseDuration('wait-timeout', 'abc')).toThrow(
      'Input "wait-timeout" has the value "abc": expected a duration such as 90s, 45m, 2h or 1h30m (a bare number means seconds).'
    )
  })

  it('says a negative value is not allowed', () => {
    expect(() => parseDuration('poll-interval', '-5s')).toThrow(/not negative/)
  })

  it('enforces the limits, naming them', () => {
    expect(() => parseDuration('poll-interval', '0s', { min: 1000, max: 3_600_000 })).toThrow(
      'Input "poll-interval" has the value "0s": expected a duration from 1s to 1h.'
    )
    expect(() => parseDuration('poll-interval', '2h', { min: 1000, max: 3_600_000 })).toThrow(/from 1s to 1h/)
    expect(() => parseDuration('wait-timeout', '500ms', { min: 1000 })).toThrow(/from 1s to 120h/)
    expect(() => parseDuration('stop-grace-period', '6m', { max: 300_000 })).toThrow(/at most 5m/)
    expect(parseDuration('stop-grace-period', '0', { max: 300_000 })).toBe(0)
    expect(parseDuration('poll-interval', '1h', { min: 1000, max: 3_600_000 })).toBe(3_600_000)
    expect(parseDuration('poll-interval', '1s', { min: 1000, max: 3_600_000 })).toBe(1000)
  })

  it('refuses what no timer can wait for (600h, 2^31 ms and more) and more than a job can run, saying why', () => {
    for (const value of ['600h', '596h 31m 24s', `${2 ** 31}`, '121h', '120h 1ms']) {
      expect(() => parseDuration('wait-timeout', value, { min: 1000 })).toThrow(
        `Input "wait-timeout" has the value ${JSON.stringify(value)}: expected a duration from 1s to 120h: ` +
          'no job runs longer (5 days on a self-hosted runner).'
      )
    }
    expect(parseDuration('wait-timeout', '120h', { min: 1000 })).toBe(MAX_DURATION_MS)
    // A limit of the input's own above the cap does not lift it.
    expect(() => parseDuration('ready-timeout', '200h', { max: 1e12 })).toThrow(/at most 120h/)
  })

  it('carries the input and value on the error', () => {
    try {
      parseDuration('ready-timeout', 'soon')
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({ input: 'ready-timeout', value: 'soon' })
    }
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [999.6, '1s'],
    [1000, '1s'],
    [1499, '1s'],
    [59_000, '59s'],
    [60_000, '1m'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [3_723_000, '1h 2m 3s'],
    [5_400_000, '1h 30m'],
    [90_000_000, '25h'],
    [-90_000, '-1m 30s']
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('round-trips what parseDuration accepts', () => {
    for (const ms of [1000, 90_000, 2_700_000, 5_400_000, 3_723_000]) {
      expect(parseDuration('x', formatDuration(ms).replace(/ /g, ''))).toBe(ms)
    }
  })
})
