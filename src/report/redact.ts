/**
 * An exploit example made fit to publish. `exploit_example` is recorded traffic: the request FAST built
 * from a baseline the tests sent, so it carries whatever they sent (session cookies, bearer tokens, API
 * keys, passwords in forms), and the reports that quote it may be public (a pull-request comment) or
 * kept as artifacts. Before any report writes one:
 *
 * - the values of `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie` and of every header
 *   whose name looks like a secret (`X-Api-Key`, `X-Auth-Token`, `Private-Token`…) are masked, as raw
 *   header lines and as curl's `-H`/`-b`/`-u` arguments; Authorization keeps its scheme (`Bearer ***`);
 * - the values of query, form (urlencoded), JSON and XML fields whose names look like secrets (`token`,
 *   `password`, `secret`, `api_key`, `session`, `sid`, `auth`, `credential`…) are masked, and so is the
 *   password of a URL's user info;
 * - except the parameter the finding is about (its value is the attack, the one thing a reader needs),
 *   which stays visible wherever it is named, a cookie included; never for Authorization,
 *   Proxy-Authorization or Set-Cookie, which are masked whole;
 * - every form of the given secrets (the action's token, its API token) is masked (../text/untrusted.ts);
 * - control and bidirectional characters go, and a long example is cut with a note that says so.
 *
 * The result is plain text; Markdown output puts it in `codeBlock` (./markdown.ts), XML in JUnit's
 * escapes. Redacting redacted text changes nothing, so a report read back (`mode: summarize`) can be
 * redacted again. Pure.
 */
import { Redactor, stripInvisible } from '../text/untrusted.js'
import { findingEndpoint } from './findings.js'
import type { Finding } from './model.js'

export const MASK = '***'

/** Longer examples are cut to this many characters (the note included). */
export const EXPLOIT_MAX_CHARS = 4_000

export interface RedactOptions {
  /** The finding's parameter: its value stays visible. */
  parameter?: string | undefined
  /** Strings masked in every form wherever they appear (the action's tokens). */
  secrets?: ReadonlyArray<string | undefined> | undefined
  /** Cut to this many characters (default {@link EXPLOIT_MAX_CHARS}). */
  maxChars?: number | undefined
}

/** `example` with secrets masked and cut to size (see the module comment). */
export function redactExploit(example: string, opts: RedactOptions = {}): string {
  const keep = parameterNames(opts.parameter)
  let text = stripInvisible(example).replace(/\r\n?/g, '\n')
  text = new Redactor(opts.secrets ?? []).text(text)
  text = maskHeaderLines(text, keep)
  text = maskCurlArguments(text, keep)
  text = maskUserInfo(text)
  text = maskJsonFields(text, keep)
  text = maskXmlFields(text, keep)
  text = maskFields(text, keep)
  return cut(text, opts.maxChars ?? EXPLOIT_MAX_CHARS)
}

/**
 * A finding's own text made fit to publish: its path (a query string may carry a token), its title or
 * description (the API's words, which may quote the request). The same masking as an exploit example,
 * never cut, and also a credential header quoted inside a line of prose (`… with Authorization: Bearer
 * …`), where an exploit example only has header lines. Reports show this; the finding's identity (its
 * fingerprint, baseline and ignore entries) stays the raw text's.
 */
export function redactField(text: string, opts: Omit<RedactOptions, 'maxChars'> = {}): string {
  const keep = parameterNames(opts.parameter)
  const once = redactExploit(text, { ...opts, maxChars: Number.POSITIVE_INFINITY })
  return maskInlineHeaders(once, keep)
}

/** The finding with its path, title and description as {@link redactField} shows them. */
export function publishable<T extends Pick<Finding, 'path' | 'title' | 'description' | 'parameter'>>(
  f: T
): T {
  const field = (text: string | undefined): string | undefined =>
    text === undefined ? undefined : redactField(text, { parameter: f.parameter })
  return { ...f, path: field(f.path), title: field(f.title), description: field(f.description) }
}

/**
 * `GET /files?token=***`: the finding's endpoint as the job summary and the comment show it, its path
 * redacted as {@link redactField} redacts it (a path is recorded traffic too).
 */
export function shownEndpoint(f: Pick<Finding, 'method' | 'path' | 'parameter'>): string | undefined {
  const path = f.path === undefined ? undefined : redactField(f.path, { parameter: f.parameter })
  return findingEndpoint({ method: f.method, path })
}

/** Masked whatever the finding's parameter: credentials in every request, and cookies the server sets. */
const ALWAYS_MASKED = new Set(['authorization', 'proxy-authorization', 'set-cookie'])

/** A word of a name that makes it a secret's name (`api_key` → `api`, `key`). */
const SECRET_WORDS = new Set([
  'token',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'key',
  'apikey',
  'session',
  'sessionid',
  'sid',
  'auth',
  'authorization',
  'credential',
  'credentials',
  'jwt',
  'bearer',
  'otp',
  'signature',
  'sig',
  'cookie'
])

/** Found inside a name however it is written (`accesstoken`, `userPassword`, `x_apikey`). */
const SECRET_PARTS = [
  'token',
  'passw',
  'secret',
  'apikey',
  'sessid',
  'sessionid',
  'credential',
  'privatekey',
  'accesskey'
]

/** Whether a header, field or parameter name looks like it holds a secret. */
export function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
  if (words.some((w) => SECRET_WORDS.has(w))) return true
  const joined = words.join('')
  return SECRET_PARTS.some((part) => joined.includes(part))
}

/**
 * The names the finding's parameter may go by in the request, lower-cased: as given, its last segment
 * (`post.json.password`, `user[password]`), and the name inside Wallarm's `GET_q_value` notation.
 */
function parameterNames(parameter: string | undefined): Set<string> {
  const names = new Set<string>()
  const p = parameter?.trim()
  if (!p) return names
  names.add(p.toLowerCase())
  const last = p.split(/[.\s/[\]]+/).filter((s) => s !== '')
  if (last.length > 0) names.add(last[last.length - 1]!.toLowerCase())
  const point = /^[a-z]+_(.+)_value$/i.exec(p)
  if (point?.[1] !== undefined) names.add(point[1].toLowerCase())
  return names
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    return name
  }
}

/** Whether a field of this name is masked: it looks like a secret and is not the finding's parameter. */
function masksField(name: string, keep: Set<string>): boolean {
  const decoded = decodeName(name)
  return looksSecret(decoded) && !keep.has(decoded.toLowerCase())
}

/** A header's value as published. */
function headerValue(name: string, value: string, keep: Set<string>): string {
  const lower = name.toLowerCase()
  if (lower === 'cookie') return cookiePairs(value, keep)
  if (ALWAYS_MASKED.has(lower)) {
    // The scheme says what kind of credential it was (`Bearer ***`, `Basic ***`), never what it was.
    const scheme = /^([A-Za-z][\w-]*)\s+\S/.exec(value.trim())?.[1]
    return scheme === undefined ? MASK : `${scheme} ${MASK}`
  }
  if (looksSecret(name) && !keep.has(lower)) return MASK
  return value
}

/** `a=1; b=2` with every value masked but the finding's parameter's. */
function cookiePairs(value: string, keep: Set<string>): string {
  if (!value.includes('=')) return value.trim() === '' ? value : MASK
  return value.replace(/([^;=\s]+)(\s*=\s*)([^;]*)/g, (all, name: string, eq: string) =>
    keep.has(decodeName(name).toLowerCase()) ? all : `${name}${eq}${MASK}`
  )
}

/** A header name (RFC 9110 token). */
const HEADER_NAME = "[A-Za-z0-9!#$%&'*+.^_`|~-]+"

/** `Name: value` lines of a raw request. */
function maskHeaderLines(text: string, keep: Set<string>): string {
  const line = new RegExp(`^([ \\t]*)(${HEADER_NAME})([ \\t]*:[ \\t]*)(.*)$`, 'gm')
  return text.replace(line, (all, indent: string, name: string, colon: string, value: string) => {
    const masked = headerValue(name, value, keep)
    return masked === value ? all : `${indent}${name}${colon}${masked}`
  })
}

/**
 * `… Authorization: Bearer abc …` inside a line: the credential headers, and `X-…` headers whose names
 * look like secrets, to the end of the line (prose has no other end a value is sure to stop at). Other
 * `word: value` pairs are prose (`Missing key: id`) and stay.
 */
function maskInlineHeaders(text: string, keep: Set<string>): string {
  const inline = new RegExp(`(^|[\\s,;(\\['"])(${HEADER_NAME})([ \\t]*:[ \\t]*)(\\S[^\\n]*)`, 'g')
  return text.replace(inline, (all, pre: string, name: string, colon: string, value: string) => {
    const lower = name.toLowerCase()
    const credential = ALWAYS_MASKED.has(lower) || lower === 'cookie' || /^x-/.test(lower)
    if (!credential) return all
    const masked = headerValue(name, value, keep)
    return masked === value ? all : `${pre}${name}${colon}${masked}`
  })
}

/** curl's `-H 'Name: value'`, `-b 'cookies'` and `-u user:password`, quoted or not. */
function maskCurlArguments(text: string, keep: Set<string>): string {
  const arg = `(?:'([^']*)'|"((?:[^"\\\\]|\\\\.)*)"|([^\\s'"]+))`
  const option = (names: string): RegExp => new RegExp(`(^|\\s)(${names})(\\s+|=)${arg}`, 'g')
  const quoted = (a: string | undefined, b: string | undefined): string =>
    a !== undefined ? "'" : b !== undefined ? '"' : ''
  return text
    .replace(
      option('-H|--header'),
      (all, pre: string, opt: string, sep: string, a?: string, b?: string, c?: string) => {
        const value = a ?? b ?? c ?? ''
        const header = new RegExp(`^(${HEADER_NAME})(\\s*:\\s*)([\\s\\S]*)$`).exec(value)
        if (header === null) return all
        const [, name = '', colon = '', v = ''] = header
        const masked = headerValue(name, v, keep)
        const q = quoted(a, b)
        return masked === v ? all : `${pre}${opt}${sep}${q}${name}${colon}${masked}${q}`
      }
    )
    .replace(
      option('-b|--cookie'),
      (_all, pre: string, opt: string, sep: string, a?: string, b?: string, c?: string) => {
        const q = quoted(a, b)
        return `${pre}${opt}${sep}${q}${cookiePairs(a ?? b ?? c ?? '', keep)}${q}`
      }
    )
    .replace(
      option('-u|--user|--proxy-user'),
      (_all, pre: string, opt: string, sep: string, a?: string, b?: string, c?: string) => {
        const q = quoted(a, b)
        const user = (a ?? b ?? c ?? '').split(':')[0] ?? ''
        return `${pre}${opt}${sep}${q}${user}:${MASK}${q}`
      }
    )
}

/** `https://user:password@host` → `https://user:***@host`. */
function maskUserInfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:'"]*):([^\s/@'"]*)@/gi, `$1$2:${MASK}@`)
}

/** `"name": "value"` (or a number, true, false) at any depth of a JSON body. */
function maskJsonFields(text: string, keep: Set<string>): string {
  return text.replace(
    /"((?:[^"\\\n]|\\.)*)"(\s*:\s*)("(?:[^"\\\n]|\\.)*"|-?\d[\d.eE+-]*|true|false)/g,
    (all, name: string, colon: string) => (masksField(name, keep) ? `"${name}"${colon}"${MASK}"` : all)
  )
}

/** `<password>value</password>` in an XML body. */
function maskXmlFields(text: string, keep: Set<string>): string {
  return text.replace(
    /<([A-Za-z_][\w.:-]*)(\s[^<>]*)?>([^<]*)<\/\1\s*>/g,
    (all, name: string, attrs?: string) => {
      const local = name.split(':').pop() ?? name
      return masksField(local, keep) ? `<${name}${attrs ?? ''}>${MASK}</${name}>` : all
    }
  )
}

/**
 * `name=value` in a query string, a form body or a curl `-d`, wherever it starts a field. The value of a
 * field that is not masked is searched too: `next=/login?token=…` hides a token in it.
 */
function maskFields(text: string, keep: Set<string>): string {
  const field = /(^|[?&;\s'"])([^\s=&?#;'"<>]+)=/gm
  const value = /[^\s&#;'"<>]*/y
  let out = ''
  let from = 0
  for (let m = field.exec(text); m !== null; m = field.exec(text)) {
    const name = m[2] ?? ''
    if (!masksField(name, keep)) continue
    const start = m.index + m[0].length
    value.lastIndex = start
    const end = start + (value.exec(text)?.[0].length ?? 0)
    out += text.slice(from, start) + MASK
    from = end
    field.lastIndex = end
  }
  return out + text.slice(from)
}

/**
 * At most `max` characters (code points), the note included: cut at a line break where one is near, so
 * that the note starts a line of its own. The count is of the characters left out.
 */
function cut(text: string, max: number): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  const note = (n: number): string =>
    `\n… [cut: ${n} more characters; the whole request is in the test run in the Wallarm console]`
  // The note's length with the largest count it could show.
  const budget = Math.max(0, max - Array.from(note(chars.length)).length)
  let kept = chars.slice(0, budget).join('')
  const lastBreak = kept.lastIndexOf('\n')
  if (lastBreak >= 0 && lastBreak >= kept.length - 200) kept = kept.slice(0, lastBreak)
  return kept + note(chars.length - Array.from(kept).length)
}
