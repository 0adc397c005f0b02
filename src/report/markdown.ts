/**
 * GitHub-flavoured Markdown helpers for text that comes from the Wallarm API (test-run names, paths,
 * parameters, titles): whatever it holds, it renders as the text it is, inside a table cell or a line
 * of prose. It cannot close a table cell, start a link, an image, HTML, a heading, a list, math, or
 * mention a user or link an issue. Pure.
 */
import { stripInvisible } from '../text/untrusted.js'

const ZWSP = '&#8203;'

/**
 * One line: control and bidirectional characters dropped (../text/untrusted.ts), every run of white space
 * (newlines too) made one space, trimmed.
 */
export function oneLine(text: string): string {
  return stripInvisible(text).replace(/\s+/g, ' ').trim()
}

/**
 * `text` as inert Markdown for a table cell or prose, on one line:
 * - `\` and the Markdown punctuation `` ` * _ [ ] ~ | $ `` get a backslash (with `[` and `]` escaped,
 *   `(`, `)` and `!` cannot start a link or an image, so they stay as they are);
 * - `&`, `<`, `>` become entities (no HTML, no entity tricks);
 * - `@name` and `#123` get a zero-width space after the sign (no mention, no issue link), and so do
 *   `://` and `www.` (no bare-URL autolink);
 * - a leading `-`, `+`, `=`, `1.` or `1)` is escaped (no list, no setext heading);
 * - newlines and other white space runs collapse to one space; control characters go.
 */
export function escapeMarkdown(text: string): string {
  return escapeSegment(oneLine(text), true)
}

/** `escapeMarkdown` of text already on one line, with the line-start escapes only when `atStart`. */
function escapeSegment(s: string, atStart: boolean): string {
  let out = ''
  for (const ch of s) out += escapeChar(ch)
  out = out.replace(/@(?=[\p{L}\p{N}])|#(?=\p{N})/gu, (sign) => sign + ZWSP)
  // GitHub links `GH-123` to issue 123 of the repository, as it does `#123`.
  out = out.replace(/\b(GH)-(?=\d)/gi, `$1${ZWSP}-`)
  // No bare-URL autolink (GFM links `http://…`, `www.…` and e-mail addresses by themselves).
  out = out.replace(/:\/\//g, `:${ZWSP}//`).replace(/\b(www)\./gi, `$1${ZWSP}.`)
  return atStart ? out.replace(/^([-+=])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2') : out
}

function escapeChar(ch: string): string {
  switch (ch) {
    case '&':
      return '&amp;'
    case '<':
      return '&lt;'
    case '>':
      return '&gt;'
    default:
      return '\\`*_[]~|$'.includes(ch) ? `\\${ch}` : ch
  }
}

/**
 * Prose written by this action that may quote API text: `code spans` are kept as they are (they are
 * inert: no link, HTML or mention renders inside one), and everything else is escaped with
 * `escapeMarkdown`. On one line.
 */
export function escapeProse(text: string): string {
  const s = oneLine(text)
  let out = ''
  let plain = ''
  let i = 0
  while (i < s.length) {
    if (s[i] !== '`') {
      plain += s[i]
      i++
      continue
    }
    let n = 0
    while (s[i + n] === '`') n++
    const close = findRun(s, i + n, n)
    if (close < 0) {
      plain += s.slice(i, i + n)
      i += n
      continue
    }
    out += escapeSegment(plain, out === '') + s.slice(i, close + n)
    plain = ''
    i = close + n
  }
  return out + escapeSegment(plain, out === '')
}

/** Index of the next run of exactly `n` backticks at or after `from`, or -1. */
function findRun(s: string, from: number, n: number): number {
  let i = from
  while (i < s.length) {
    if (s[i] !== '`') {
      i++
      continue
    }
    let m = 0
    while (s[i + m] === '`') m++
    if (m === n) return i
    i += m
  }
  return -1
}

/**
 * `text` as an inline code span that survives backticks in it (the fence is one backtick longer than
 * the longest run inside). `table: true` also escapes `|`, which GitHub needs even inside code spans
 * in a table cell. Empty text gives an empty string.
 */
export function code(text: string, opts: { table?: boolean } = {}): string {
  let s = oneLine(text)
  if (s === '') return ''
  if (opts.table === true) s = s.replace(/\|/g, '\\|')
  let longest = 0
  for (const run of s.match(/`+/g) ?? []) longest = Math.max(longest, run.length)
  const fence = '`'.repeat(longest + 1)
  const pad = s.startsWith('`') || s.endsWith('`') || (s.startsWith(' ') && s.endsWith(' ')) ? ' ' : ''
  return `${fence}${pad}${s}${pad}${fence}`
}

/**
 * At most `max` characters (code points, so no surrogate pair is split), the last one `…` when text
 * was cut. Cut before escaping, so that no escape sequence or entity is cut in half.
 */
export function truncate(text: string, max: number, marker = '…'): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  if (max <= 0) return ''
  const keep = Math.max(0, max - Array.from(marker).length)
  return chars.slice(0, keep).join('') + marker
}

/**
 * A Markdown link to an `http(s)` URL, the label escaped. Any other URL (or none) gives the escaped
 * label alone: a `javascript:` URL from a misconfigured console-url cannot become a link.
 */
export function link(label: string, url: string | undefined): string {
  const text = escapeMarkdown(label)
  const href = safeUrl(url)
  return href === undefined ? text : `[${text}](${href})`
}

/** `url` when it is an absolute http(s) URL, with the characters that could end a Markdown link destination encoded. */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
  return parsed.href.replace(
    /[()<> "'\\`]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
  )
}

/**
 * `text` (many lines: an exploit example, a command) as a fenced code block that shows it exactly as it
 * is: no HTML, link, mention or Markdown renders inside one, and the fence is longer than any run of
 * backticks in the text, so no line of it can close the block. Control and bidirectional characters go
 * (../text/untrusted.ts); line breaks are kept. `lang` is the info string (`http`, `shell`), letters only.
 */
export function codeBlock(text: string, lang = ''): string {
  const body = stripInvisible(text).replace(/\r\n?/g, '\n').replace(/\n+$/, '')
  let longest = 0
  for (const run of body.match(/`+/g) ?? []) longest = Math.max(longest, run.length)
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return `${fence}${/^[a-z]+$/i.test(lang) ? lang : ''}\n${body}\n${fence}`
}

/**
 * `text` as inert text inside raw HTML (a `<summary>`, where GitHub renders no Markdown): one line; a
 * zero-width space after `@`, `#` before a digit, `GH-`, `://` and `www.`, so that no mention, issue link
 * or bare URL is made of it; then `& < > " '` and the Markdown punctuation as named entities, so that
 * nothing in it is HTML or Markdown whichever way a renderer reads it.
 */
export function escapeHtml(text: string): string {
  return oneLine(text)
    .replace(/@(?=[\p{L}\p{N}])|#(?=\p{N})/gu, (sign) => sign + '\u200B')
    .replace(/\b(GH)-(?=\d)/gi, '$1\u200B-')
    .replace(/:\/\//g, ':\u200B//')
    .replace(/\b(www)\./gi, '$1\u200B.')
    .replace(/[&<>"'`*_[\]|\\]/g, (c) => HTML_ENTITIES[c] ?? c)
}

/** Named, so that no `#` and digits show in the source (where a careless reader sees an issue link). */
const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '`': '&grave;',
  '*': '&ast;',
  _: '&lowbar;',
  '[': '&lsqb;',
  ']': '&rsqb;',
  '|': '&vert;',
  '\\': '&bsol;'
}

/** A collapsed block: `summary` is HTML already escaped (see {@link escapeHtml}), `body` Markdown. */
export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}>\n<summary>${summary}</summary>\n\n${body.replace(/\n+$/, '')}\n\n</details>`
}
