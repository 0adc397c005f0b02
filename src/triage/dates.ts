/**
 * Calendar dates (YYYY-MM-DD, UTC) for `first_seen`, `last_seen` and `expires`. An entry covers its
 * finding through the whole day it `expires`: it has expired once that day is over (UTC). The clock is
 * injected (milliseconds), so every decision about expiry is a unit test.
 */

/** How many days ahead an expiry is warned about. */
export const EXPIRY_WARNING_DAYS = 14

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** Whether `value` is a real calendar date written YYYY-MM-DD (2026-02-30 is not). */
export function isDate(value: string): boolean {
  const m = DATE.exec(value)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.toISOString().slice(0, 10) === value
}

/** Today's date (UTC) at `nowMs`. */
export function today(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10)
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

export type Expiry = 'none' | 'active' | 'soon' | 'expired'

/** An entry's state on `day`: no `expires`, still valid, valid for at most 14 more days, or past it. */
export function expiryOn(expires: string | undefined, day: string): Expiry {
  if (expires === undefined) return 'none'
  const left = daysBetween(day, expires)
  if (left < 0) return 'expired'
  return left <= EXPIRY_WARNING_DAYS ? 'soon' : 'active'
}
