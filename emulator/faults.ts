/**
 * Fault injection for the emulated API. A fault matches the next `count` API requests whose method
 * (if given, case-insensitive) and path (string equality on the path without query, or a RegExp) match.
 * The first matching fault with uses left wins.
 *
 * What a fault does, in order:
 * - `delayMs`: wait this many real milliseconds (never scaled by timeScale) before anything else.
 * - `hang`: take the request and never answer (the connection stays open until the client gives up).
 * - `trickleMs`: answer 200 and send one byte of a body every this many real milliseconds, never ending.
 * - `reset`: destroy the socket without answering.
 * - `malformed`: answer 200 with a truncated JSON body.
 * - `status` (or `retryAfter` alone, which implies 429): answer that status, with `body` verbatim when
 *   given, otherwise the envelope `{"status":<status>,"body":"<reason>"}`; `retryAfter` sets `Retry-After`.
 * - only `delayMs`: after the delay the request is served normally (a slow API).
 */
export interface Fault {
  method?: string
  path: string | RegExp
  /** How many requests it applies to; default 1. */
  count?: number
  status?: number
  body?: string
  retryAfter?: string
  delayMs?: number
  hang?: boolean
  trickleMs?: number
  reset?: boolean
  malformed?: boolean
}

interface ActiveFault {
  fault: Fault
  remaining: number
}

export class FaultRegistry {
  private readonly faults: ActiveFault[] = []

  add(fault: Fault): void {
    this.faults.push({ fault, remaining: Math.max(1, fault.count ?? 1) })
  }

  clear(): void {
    this.faults.length = 0
  }

  /** Faults that still have uses left. */
  pending(): { fault: Fault; remaining: number }[] {
    return this.faults.filter((f) => f.remaining > 0).map((f) => ({ ...f }))
  }

  /** The fault for this request, consuming one use; undefined when none matches. */
  take(method: string, path: string): Fault | undefined {
    for (const active of this.faults) {
      if (active.remaining <= 0) continue
      const f = active.fault
      if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) continue
      const matches = typeof f.path === 'string' ? f.path === path : f.path.test(path)
      if (!matches) continue
      active.remaining--
      return f
    }
    return undefined
  }
}

/**
 * A Fault from JSON (the control endpoint): `path` is a string; `pathRegex` (a RegExp source) may be
 * given instead to match by regular expression.
 */
export function faultFromJson(input: unknown): Fault {
  if (typeof input !== 'object' || input === null) throw new Error('fault must be a JSON object')
  const o = input as Record<string, unknown>
  let path: string | RegExp
  if (typeof o.pathRegex === 'string') path = new RegExp(o.pathRegex)
  else if (typeof o.path === 'string') path = o.path
  else throw new Error('fault needs "path" (string) or "pathRegex" (RegExp source)')
  const fault: Fault = { path }
  if (typeof o.method === 'string') fault.method = o.method
  if (typeof o.count === 'number') fault.count = o.count
  if (typeof o.status === 'number') fault.status = o.status
  if (typeof o.body === 'string') fault.body = o.body
  if (typeof o.retryAfter === 'string' || typeof o.retryAfter === 'number')
    fault.retryAfter = String(o.retryAfter)
  if (typeof o.delayMs === 'number') fault.delayMs = o.delayMs
  if (o.hang === true) fault.hang = true
  if (typeof o.trickleMs === 'number' && o.trickleMs > 0) fault.trickleMs = o.trickleMs
  if (o.reset === true) fault.reset = true
  if (o.malformed === true) fault.malformed = true
  return fault
}

export function faultToJson(fault: Fault): Record<string, unknown> {
  const { path, ...rest } = fault
  return typeof path === 'string' ? { path, ...rest } : { pathRegex: path.source, ...rest }
}
