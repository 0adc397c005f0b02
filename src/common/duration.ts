/**
 * Durations as inputs take them (`90s`, `45m`, `2h`, `1h30m`, `500ms`, or a bare number of seconds) and as
 * logs and summaries show them (`1h 2m 3s`). Pure; no `@actions/core`.
 */

export interface DurationLimits {
  /** Smallest value allowed, in milliseconds (inclusive). Default 0: zero is allowed, negatives never are. */
  min?: number
  /** Largest value allowed, in milliseconds (inclusive). Default, and upper bound: {@link MAX_DURATION_MS}. */
  max?: number
}

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const
type Unit = keyof typeof UNIT_MS
/** Units from the largest to the smallest: in `1h30m` each unit appears at most once, in this order. */
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms']

const EXAMPLES = 'a duration such as 90s, 45m, 2h or 1h30m (a bare number means seconds)'

/**
 * The longest wait any duration input may ask for: 5 days, as long as a job can run at all (on a
 * self-hosted runner; 6 hours on GitHub's). It is also well inside what a JavaScript timer can hold
 * (2^31 − 1 ms, about 24.8 days): a longer `setTimeout` fires after 1 ms, so `600h` would end every wait at once.
 */
export const MAX_DURATION_MS = 120 * 3_600_000

/** Thrown by {@link parseDuration}. The message names the input, the value and what is allowed. */
export class DurationError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    /** What is allowed, starting with `expected`, without the final full stop. */
    readonly expected: string
  ) {
    super(`Input "${input}" has the value ${JSON.stringify(value)}: ${expected}.`)
    this.name = 'DurationError'
  }
}

/**
 * Parses a duration into milliseconds.
 *
 * Accepted: a bare whole number of seconds (`120`), or one or more whole-number parts with a unit, the
 * units `h`, `m`, `s`, `ms` each at most once and from the largest to the smallest (`2h`, `1h30m`,
 * `1m 30s`, `500ms`). Units are lowercase. Fractions, signs and anything else are rejected.
 *
 * @param input the input's name, for the error message
 * @param value the raw value (trimmed here)
 * @param limits inclusive bounds in milliseconds; the default minimum is 0, and no maximum is above
 *   {@link MAX_DURATION_MS}
 * @throws DurationError naming the input, the value and what is allowed
 */
export function parseDuration(input: string, value: string, limits: DurationLimits = {}): number {
  const text = value.trim()
  const ms = parse(text)
  const min = limits.min ?? 0
  const max = Math.min(limits.max ?? MAX_DURATION_MS, MAX_DURATION_MS)
  if (ms === undefined) {
    if (/^-/.test(text))
      throw new DurationError(input, value, `expected a duration that is not negative: ${EXAMPLES}`)
    throw new DurationError(input, value, `expected ${EXAMPLES}`)
  }
  if (ms < min || ms > max) {
    const why =
      ms > max && max === MAX_DURATION_MS ? ': no job runs longer (5 days on a self-hosted runner)' : ''
    throw new DurationError(input, value, `expected ${rangeText(min, max)}${why}`)
  }
  return ms
}

function parse(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return checked(Number(text) * 1000)
  if (!/^([0-9]+ *(h|ms|m|s) *)+$/.test(text)) return undefined
  let total = 0
  let lastUnit = -1
  for (const match of text.matchAll(/([0-9]+) *(h|ms|m|s)/g)) {
    const unit = match[2] as Unit
    const index = UNIT_ORDER.indexOf(unit)
    if (index <= lastUnit) return undefined // repeated or out of order, e.g. 30m1h or 1m1m
    lastUnit = index
    total += Number(match[1]) * UNIT_MS[unit]
  }
  return checked(total)
}

function checked(ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined
}

function rangeText(min: number, max: number): string {
  if (min > 0) return `a duration from ${formatDuration(min)} to ${formatDuration(max)}`
  return `a duration of at most ${formatDuration(max)}`
}

/**
 * Formats milliseconds for logs and summaries: `1h 2m 3s`, `45m`, `3s`; under a second `500ms`; zero
 * `0s`. Above one second the milliseconds are rounded to the nearest second. Negative values are shown
 * with a leading `-`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms)
  if (ms < 0) return `-${formatDuration(-ms)}`
  if (ms === 0) return '0s'
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  let seconds = Math.round(ms / 1000)
  const hours = Math.floor(seconds / 3600)
  seconds -= hours * 3600
  const minutes = Math.floor(seconds / 60)
  seconds -= minutes * 60
  const parts: string[] = []
  if (hours > 0) parts.push(`${hours}h`)
  if (minutes > 0) parts.push(`${minutes}m`)
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`)
  return parts.join(' ')
}
