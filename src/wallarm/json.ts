/**
 * JSON from the API, read defensively: one linear scan before `JSON.parse` refuses nesting deeper than
 * {@link MAX_JSON_DEPTH} (a 503 page nested 200,000 deep must be a malformed answer, not a stack overflow
 * in whatever walks the value later) and turns every integer literal too long for a double into a string
 * of its exact digits, so that an id above 2^53 keeps its value (`toId` in ./normalize.ts reads both).
 *
 * The scan is the same on Node 20 and Node 24: `JSON.parse`'s reviver `context.source` exists only on the
 * newer one, and quoting the literals first needs neither.
 */

/** Deeper than any answer of the API (a vulnerability object is three levels at most). */
export const MAX_JSON_DEPTH = 64

/** Integer literals with more digits than this may not be exact as a double, so they are kept as text. */
const MAX_EXACT_DIGITS = 15

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string }

export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  const scanned = scan(text, maxDepth)
  if (typeof scanned !== 'string') return { ok: false, reason: scanned.reason }
  try {
    return { ok: true, value: JSON.parse(scanned) as unknown }
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** The text with long integer literals quoted, or why it is refused. */
function scan(text: string, maxDepth: number): string | { reason: string } {
  const parts: string[] = []
  let from = 0
  let depth = 0
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      // Skip the string, escapes included.
      i++
      while (i < n) {
        const d = text.charCodeAt(i)
        if (d === 92 /* \ */) i += 2
        else if (d === 34) break
        else i++
      }
      i++
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > maxDepth) return { reason: `nested deeper than ${maxDepth} levels` }
      i++
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--
      i++
    } else if (c === 45 /* - */ || isDigit(c)) {
      const start = i
      if (c === 45) i++
      while (i < n && isDigit(text.charCodeAt(i))) i++
      const next = text.charCodeAt(i)
      const integer = !(next === 46 /* . */ || next === 101 /* e */ || next === 69) /* E */
      const digits = i - start - (c === 45 ? 1 : 0)
      if (integer && digits > MAX_EXACT_DIGITS) {
        parts.push(text.slice(from, start), `"${text.slice(start, i)}"`)
        from = i
      }
      // Fraction and exponent: left to JSON.parse.
      while (i < n && /[0-9.eE+-]/.test(text[i]!)) i++
    } else {
      i++
    }
  }
  if (parts.length === 0) return text
  parts.push(text.slice(from))
  return parts.join('')
}
