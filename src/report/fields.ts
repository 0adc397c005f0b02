/** Small field helpers the report writers share. */

/** An ISO 8601 time from Unix seconds; undefined for a missing or unusable value. */
export function isoTime(seconds: number | null | undefined): string | undefined {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return undefined
  const d = new Date(seconds * 1000)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

/** The object without its undefined properties (removed in place), so they are not written at all. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k]
  return o
}
