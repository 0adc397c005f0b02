/**
 * The one home for text that comes from outside the step: the Wallarm API's answers (whose paths and
 * parameters come from recorded traffic, so from whoever can make the tests send a request), error pages
 * of proxies in between, GitHub's answers. Pure: no I/O, no `@actions/core`.
 *
 * - {@link logSafe}: for a log line. The runner acts on a line that starts with `::` (after any line
 *   break, so CR, LF and the other line separators go) and on the legacy `##[command]` anywhere in a line;
 *   both are broken with a zero-width joiner. Bidirectional controls and other control characters go.
 * - {@link stripInvisible}: what every rendering of outside text drops first (controls, bidi overrides).
 * - {@link Redactor}: every form a secret can take in a response or after parsing one (raw, JSON-escaped
 *   `\/` and `\uXXXX` in any mix, URL-encoded, base64), replaced by `***`.
 */

/** C0 controls but tab/LF/CR, DEL, C1 (U+0085 NEL included), and lone surrogates. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\p{Cs}/gu

/**
 * Bidirectional formatting characters, which make text read differently from what it is (Trojan Source,
 * CVE-2021-42574): LRE RLE PDF LRO RLO (U+202A–202E), LRI RLI FSI PDI (U+2066–2069), LRM RLM (U+200E/F)
 * and the Arabic letter mark (U+061C).
 */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g

/** Everything a line reader may split on: LF, CR, VT, FF, NEL, LINE and PARAGRAPH SEPARATOR. */
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /[\n\r\u000B\u000C\u0085\u2028\u2029]+/g

/** U+2060 WORD JOINER: invisible, and breaks `::` and `##[` so that no runner parser sees them. */
const JOINER = '\u2060'

/** Outside text without control characters (line breaks kept) and without bidirectional controls. */
export function stripInvisible(text: string): string {
  return text.replace(BIDI, '').replace(CONTROL, (c) => (c === '\u0085' ? '\n' : ''))
}

/**
 * Outside text made safe to print in a log line: one line (every run of line breaks becomes ` ⏎ `),
 * no control or bidi characters, no `##[` anywhere and no `::` at its start. Printed after our own
 * prefix or on its own, it cannot be read by the runner as a workflow command.
 */
export function logSafe(text: string): string {
  const s = text
    .replace(BIDI, '')
    .replace(LINE_BREAKS, ' ⏎ ')
    .replace(CONTROL, '')
    .replace(/##\[/g, `##${JOINER}[`)
  // The runner trims leading white space (NBSP and U+3000 too) before it looks for `::`.
  return s.replace(/^(\s*):(?=:)/u, `$1:${JOINER}`)
}

/** Whether `text` could make the runner act: a command at a line start, or the legacy form anywhere. */
export function hasWorkflowCommand(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /(^|[\n\r\u000B\u000C\u0085\u2028\u2029])\s*::[a-z-]+/i.test(text) || text.includes('##[')
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** `code` as hex digits, each letter matching either case (`2f` → `2[fF]`). */
function hexAnyCase(code: number, width: number): string {
  return code
    .toString(16)
    .padStart(width, '0')
    .replace(/[a-f]/g, (d) => `[${d}${d.toUpperCase()}]`)
}

/** One character of a secret in every spelling a JSON or URL text may give it. */
function charPattern(ch: string): string {
  const code = ch.codePointAt(0) ?? 0
  const forms: string[] = []
  if (code <= 0xffff) forms.push(`\\\\u${hexAnyCase(code, 4)}`)
  if (ch === '/') forms.push('\\\\/')
  if (code < 0x80) forms.push(`%${hexAnyCase(code, 2)}`)
  if (ch === '"' || ch === '\\') forms.push(`\\\\${escapeRegExp(ch)}`)
  // The raw character last: an escape that starts with `\` must win over a raw `\`.
  forms.push(escapeRegExp(ch))
  return `(?:${forms.join('|')})`
}

/**
 * The secret in base64 and base64url: whole, and as it reads inside a longer encoded text at each of the
 * three byte alignments (the characters that also depend on the bytes around it left out), as the runner
 * masks base64 secrets too.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [bytes.toString('base64').replace(/=+$/, '')]
  for (let k = 0; k < 3; k++) {
    const shifted = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64')
    forms.push(shifted.slice(k === 0 ? 0 : 4, 4 * Math.floor((k + bytes.length) / 3)))
  }
  const all = forms.flatMap((f) => [f, f.replace(/\+/g, '-').replace(/\//g, '_')])
  return [...new Set(all)].filter((f) => f.length >= 12)
}

/** Replaces every form of the given secrets by `***`. Secrets shorter than 4 characters are ignored. */
export class Redactor {
  private readonly pattern: RegExp | undefined
  private readonly secrets: string[]

  constructor(secrets: ReadonlyArray<string | undefined>) {
    this.secrets = [...new Set(secrets.filter((s): s is string => s !== undefined && s.length >= 4))]
    const alternatives = this.secrets.flatMap((s) => [
      Array.from(s).map(charPattern).join(''),
      ...base64Forms(s).map(escapeRegExp)
    ])
    // Longest first, so that a secret that contains another is replaced whole.
    this.pattern =
      alternatives.length === 0
        ? undefined
        : new RegExp(alternatives.sort((a, b) => b.length - a.length).join('|'), 'g')
  }

  /** Whether any form of a secret is in `text`. */
  has(text: string): boolean {
    if (this.pattern === undefined) return false
    this.pattern.lastIndex = 0
    const found = this.pattern.test(text)
    this.pattern.lastIndex = 0
    return found
  }

  /** `text` with every form of every secret replaced by `***`. */
  text(text: string): string {
    if (this.pattern === undefined) return text
    return text.replace(this.pattern, '***')
  }

  /**
   * A copy of `value` with every string (keys included) redacted; iterative, so that no nesting depth
   * can overflow the stack. Values without a secret are returned as they are.
   */
  deep<T>(value: T): T {
    if (this.pattern === undefined) return value
    const root = { v: value as unknown }
    const stack: Array<Record<string | number, unknown>> = [root]
    while (stack.length > 0) {
      const holder = stack.pop()!
      for (const key of Object.keys(holder)) {
        const v = holder[key]
        if (typeof v === 'string') {
          if (this.has(v)) holder[key] = this.text(v)
        } else if (typeof v === 'object' && v !== null) {
          const copy = (Array.isArray(v) ? [...(v as unknown[])] : { ...v }) as Record<string, unknown>
          for (const k of Object.keys(copy)) {
            const clean = this.text(k)
            if (clean !== k) {
              copy[clean] = copy[k]
              delete copy[k]
            }
          }
          holder[key] = copy
          stack.push(copy)
        }
      }
    }
    return root.v as T
  }
}
