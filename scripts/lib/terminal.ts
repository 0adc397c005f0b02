/**
 * Small terminal helpers for the demo: colours (only on a TTY without NO_COLOR), secret masking, the
 * runner's workflow commands (`::error title=…::…`) rendered as a log reader sees them, and GitHub
 * Markdown (job summaries) rendered as plain text. No dependencies.
 */

export interface Style {
  bold: (s: string) => string
  dim: (s: string) => string
  italic: (s: string) => string
  underline: (s: string) => string
  red: (s: string) => string
  green: (s: string) => string
  yellow: (s: string) => string
  blue: (s: string) => string
  magenta: (s: string) => string
  cyan: (s: string) => string
}

/** Colours when the stream is a terminal and NO_COLOR is unset or empty (https://no-color.org). */
export function colourEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env
): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

export function makeStyle(enabled: boolean): Style {
  const sgr =
    (open: number, close: number) =>
    (s: string): string =>
      enabled && s !== '' ? `\x1b[${open}m${s}\x1b[${close}m` : s
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    italic: sgr(3, 23),
    underline: sgr(4, 24),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39)
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '')
}

/** Columns a string takes in a terminal: wide East Asian characters and emoji count 2, zero-width ones 0. */
export function displayWidth(s: string): number {
  const chars = Array.from(stripAnsi(s))
  let width = 0
  chars.forEach((ch, i) => {
    const cp = ch.codePointAt(0)!
    if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0xfe00 && cp <= 0xfe0f) || /\p{Mn}/u.test(ch)) return
    const emoji =
      /\p{Extended_Pictographic}/u.test(ch) &&
      (cp >= 0x1f000 ||
        chars[i + 1] === '\uFE0F' ||
        /[\u23E9-\u23F3\u2705\u274C\u2753-\u2757\u2B50]/u.test(ch))
    const eastAsianWide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xff00 && cp <= 0xff60)
    width += emoji || eastAsianWide ? 2 : 1
  })
  return width
}

export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)))
}

export function padStart(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(s))) + s
}

/** At most `max` characters, `…` at the end when cut. */
export function shorten(s: string, max: number): string {
  const chars = Array.from(s)
  return chars.length <= max ? s : chars.slice(0, Math.max(0, max - 1)).join('') + '…'
}

/** Replaces every registered secret with `***`, as the runner does in logs. */
export class Masker {
  private readonly secrets = new Set<string>()

  add(...values: string[]): void {
    for (const value of values) {
      for (const line of value.split(/\r?\n/)) if (line.trim() !== '') this.secrets.add(line)
    }
  }

  /** Registers the values of the `::add-mask::` commands in a step's raw log. */
  addFromLog(raw: string): void {
    for (const m of raw.matchAll(/^::add-mask::(.*)$/gm))
      this.add(decodeCommandData(m[1]!.replace(/\r$/, '')))
  }

  /** `text` with every secret replaced by `***` (or `replacement`, e.g. `\\*\\*\\*` in Markdown). */
  apply(text: string, replacement = '***'): string {
    const longestFirst = [...this.secrets].sort((a, b) => b.length - a.length)
    return longestFirst.reduce((t, secret) => t.split(secret).join(replacement), text)
  }

  values(): string[] {
    return [...this.secrets]
  }
}

/** Undoes the %-escapes of a workflow command's message or property (`%25`, `%0D`, `%0A`, `%3A`, `%2C`). */
export function decodeCommandData(s: string): string {
  const map: Record<string, string> = { '25': '%', '0D': '\r', '0A': '\n', '3A': ':', '2C': ',' }
  return s.replace(/%(25|0D|0A|3A|2C)/gi, (_, code: string) => map[code.toUpperCase()]!)
}

/**
 * A step's raw stdout as the Actions log shows it: `::add-mask::` and `::debug::` lines dropped, groups
 * as a `▸ title` line with the lines inside indented, annotations as `Error: title: message` (red),
 * `Warning: …` (yellow) and `Notice: …` (cyan). Masking is the caller's job.
 */
export function renderLog(raw: string, style: Style): string[] {
  const out: string[] = []
  let indent = ''
  const lines = raw.replace(/\r\n/g, '\n').split('\n')
  if (lines.at(-1) === '') lines.pop()
  // As the runner: after ::stop-commands::TOKEN every line is text until ::TOKEN:: turns commands back on.
  let stoppedUntil: string | undefined
  for (const line of lines) {
    if (stoppedUntil !== undefined) {
      if (line === stoppedUntil) stoppedUntil = undefined
      else out.push(indent + line)
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) {
      stoppedUntil = `::${stop[1]}::`
      continue
    }
    const m = /^::([A-Za-z][\w-]*)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) {
      out.push(indent + line)
      continue
    }
    const [, command, props = '', data = ''] = m
    const message = decodeCommandData(data)
    switch (command) {
      case 'add-mask':
      case 'debug':
      case 'save-state':
      case 'set-output':
        break
      case 'group':
        out.push(indent + style.bold(`▸ ${message}`))
        indent = '  '
        break
      case 'endgroup':
        indent = ''
        break
      case 'error':
      case 'warning':
      case 'notice': {
        const properties: Record<string, string> = {}
        for (const pair of props.split(',')) {
          const at = pair.indexOf('=')
          if (at > 0) properties[pair.slice(0, at).trim()] = decodeCommandData(pair.slice(at + 1))
        }
        const label = { error: 'Error', warning: 'Warning', notice: 'Notice' }[command]
        const colour = { error: style.red, warning: style.yellow, notice: style.cyan }[command]
        const where = properties.file
          ? `${properties.file}${properties.line ? `:${properties.line}` : ''}: `
          : ''
        const title = properties.title ? `${properties.title}: ` : ''
        const [first = '', ...rest] = message.split(/\r?\n/)
        out.push(indent + colour(`${style.bold(`${label}:`)} ${where}${title}${first}`))
        for (const more of rest) out.push(indent + colour(`  ${more}`))
        break
      }
      default:
        out.push(indent + line)
    }
  }
  return out
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const cp =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole
    }
    return ENTITIES[name.toLowerCase()] ?? whole
  })
}

/** One line of Markdown inline syntax as terminal text: code, escapes, links as `text <url>`, emphasis, entities. */
export function renderInline(text: string, style: Style): string {
  const held: string[] = []
  const hold = (s: string): string => `\uE000${held.push(s) - 1}\uE001`
  let t = text
    .replace(/(`+)(?!`)(.+?)(?<!`)\1(?!`)/g, (_, _fence: string, body: string) =>
      hold(style.cyan(/^ .*[^ ].* $/.test(body) ? body.slice(1, -1) : body))
    )
    .replace(/\\([!-/:-@[-`{-~])/g, (_, ch: string) => hold(ch))
    .replace(/<((?:https?|mailto):[^\s<>]+)>/g, (_, url: string) => hold(style.underline(url)))
    .replace(/!?\[([^\]]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g, (_, label: string, url: string) => {
      const text = renderEmphasis(label, style)
      return hold(stripAnsi(text) === url ? style.underline(url) : `${text} ${style.dim(`<${url}>`)}`)
    })
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<\/?[A-Za-z][^<>]*>/g, '')
  t = decodeEntities(renderEmphasis(t, style)).replace(/\u200B/g, '')
  while (/\uE000\d+\uE001/.test(t))
    t = t.replace(/\uE000(\d+)\uE001/g, (_, i: string) => held[Number(i)] ?? '')
  return t.replace(/\u200B/g, '')
}

function renderEmphasis(t: string, style: Style): string {
  return t
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, (_, _m: string, body: string) => style.bold(body))
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, (_, body: string) => style.dim(body))
    .replace(/(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])/g, (_, body: string) => style.italic(body))
    .replace(/(?<![\p{L}\p{N}_])_(?=\S)(.+?)(?<=\S)_(?![\p{L}\p{N}_])/gu, (_, body: string) =>
      style.italic(body)
    )
}

/** Cells of a table row, split on unescaped pipes; `\|` becomes `|` (GFM does this before inline parsing). */
function splitRow(line: string): string[] {
  let t = line.trim()
  if (t.startsWith('|')) t = t.slice(1)
  if (t.endsWith('|') && !t.endsWith('\\|')) t = t.slice(0, -1)
  return t.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'))
}

const DELIMITER_ROW = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/

function renderTable(rows: string[], style: Style): string[] {
  const header = splitRow(rows[0]!)
  const aligns = splitRow(rows[1]!).map((c) => (c.endsWith(':') && !c.startsWith(':') ? 'right' : 'left'))
  const body = rows.slice(2).map(splitRow)
  const cells = [header, ...body].map((row) =>
    header.map((_, i) => renderInline(row[i] ?? '', style).replace(/\s+/g, ' '))
  )
  const widths = header.map((_, i) => Math.max(...cells.map((row) => displayWidth(row[i]!))))
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (aligns[i] === 'right' ? padStart(cell, widths[i]!) : padEnd(cell, widths[i]!)))
      .join('  ')
      .trimEnd()
  return [
    style.bold(line(cells[0]!)),
    style.dim(widths.map((w) => '─'.repeat(w)).join('  ')),
    ...cells.slice(1).map(line)
  ]
}

const ALERTS: Record<string, [string, keyof Style]> = {
  NOTE: ['Note', 'blue'],
  TIP: ['Tip', 'green'],
  IMPORTANT: ['Important', 'magenta'],
  WARNING: ['Warning', 'yellow'],
  CAUTION: ['Caution', 'red']
}

/**
 * GitHub Markdown (a job summary) as terminal text: headings bold, tables as aligned columns, links as
 * `text <url>`, entities decoded, `<details>` open with its `<summary>` as a `▸` line, alerts
 * (`> [!WARNING]`) as a coloured `Warning:` block, lists with bullets, code fences indented.
 */
export function renderMarkdown(markdown: string, style: Style): string[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n')
  const out: string[] = []
  const push = (s: string): void => {
    if (s.trim() === '' && (out.length === 0 || out.at(-1)!.trim() === '')) return
    out.push(s)
  }
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!
    if (/^\s*(```|~~~)/.test(line)) {
      for (i++; i < lines.length && !/^\s*(```|~~~)/.test(lines[i]!); i++) push(`    ${style.dim(lines[i]!)}`)
      continue
    }
    if (/^\s*\|/.test(line) && DELIMITER_ROW.test(lines[i + 1] ?? '') && lines[i + 1]!.includes('-')) {
      const rows = [line, lines[++i]!]
      while (i + 1 < lines.length && /^\s*\|/.test(lines[i + 1]!)) rows.push(lines[++i]!)
      for (const row of renderTable(rows, style)) push(row)
      continue
    }
    if (/^\s*>/.test(line)) {
      const quoted = [line]
      while (i + 1 < lines.length && /^\s*>/.test(lines[i + 1]!)) quoted.push(lines[++i]!)
      const content = quoted.map((q) => q.replace(/^\s*> ?/, ''))
      const alert = /^\[!(\w+)\]\s*$/.exec(content[0] ?? '')
      const kind = alert ? ALERTS[alert[1]!.toUpperCase()] : undefined
      if (kind) {
        const colour = style[kind[1]]
        const [first = '', ...rest] = content.slice(1)
        push(colour(`│ ${style.bold(`${kind[0]}:`)} ${renderInline(first, style)}`))
        for (const more of rest) push(colour(`│ ${renderInline(more, style)}`))
      } else {
        for (const q of content) push(`${style.dim('│')} ${renderInline(q, style)}`)
      }
      continue
    }
    line = line.replace(/<\/?details(\s[^>]*)?>/gi, '')
    const summary = /<summary>(.*?)<\/summary>/i.exec(line)
    const heading = /^\s{0,3}(#{1,6})\s+(.*?)(\s+#+)?\s*$/.exec(line)
    const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line)
    if (summary) push(style.bold(`▸ ${renderInline(summary[1]!, style)}`))
    else if (heading)
      push(
        style.bold(
          heading[1] === '#'
            ? style.underline(renderInline(heading[2]!, style))
            : renderInline(heading[2]!, style)
        )
      )
    else if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) push(style.dim('─'.repeat(40)))
    else if (bullet) push(`${bullet[1]}• ${renderInline(bullet[2]!, style)}`)
    else push(renderInline(line, style))
  }
  while (out.length > 0 && out.at(-1)!.trim() === '') out.pop()
  return out
}
