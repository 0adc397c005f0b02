/**
 * What counts, for the job summary and the pull-request comment alike: the findings that fail (or, under
 * `fail-on: never`, would fail) the gate, as a table of at most six columns (severity, type with its CWE,
 * the host only when they span more than one, endpoint, parameter, how to fix), and how to reproduce
 * each one: its exploit example, redacted (./redact.ts), in a collapsed block, and in the summary also
 * as a curl command. Pure; all API text is escaped.
 */
import { curlCommand } from './curl.js'
import { remedyOf, severityOf, typeTitle, vulnType, type Severity } from './findings.js'
import { code, codeBlock, details, escapeHtml, escapeMarkdown, link, truncate } from './markdown.js'
import { statusLabel, type Finding } from './model.js'
import { MASK, redactExploit, shownEndpoint } from './redact.js'

export const SEVERITY_BADGE: Record<Severity, string> = {
  critical: '🟣 critical',
  high: '🔴 high',
  medium: '🟠 medium',
  low: '🟡 low'
}

/** The table's header and one line per finding; the host column only when the findings span hosts. */
export function countedTable(findings: readonly Finding[]): { header: string; rows: string[] } {
  const table = countedColumns(findings)
  return { header: table.header, rows: findings.map(table.row) }
}

/**
 * The table's header, and a function that renders one finding's line: the columns depend on all of
 * `findings`, so a caller with many can render only the lines that fit.
 */
export function countedColumns(findings: readonly Finding[]): {
  header: string
  row: (f: Finding) => string
} {
  const hosts = new Set(findings.map((f) => f.domain ?? ''))
  const withHost = hosts.size > 1
  const withParameter = findings.some((f) => f.parameter !== undefined)
  const titles = ['Severity', 'Type', ...(withHost ? ['Host'] : []), 'Endpoint']
  if (withParameter) titles.push('Parameter')
  titles.push('Fix')
  const header = `| ${titles.join(' | ')} |\n| ${titles.map(() => '---').join(' | ')} |\n`
  const row = (f: Finding): string => {
    const cells = [severityCell(f), typeCell(f)]
    if (withHost) cells.push(escapeMarkdown(truncate(f.domain ?? '–', 100)))
    cells.push(endpointCell(f))
    if (withParameter) cells.push(code(truncate(f.parameter ?? '', 100), { table: true }) || '–')
    cells.push(fixCell(f))
    return `| ${cells.join(' | ')} |\n`
  }
  return { header, row }
}

/** `🔴 high (80)`, with the status when it is not plain new: `· expired`, `· regression`, `· known`. */
export function severityCell(f: Finding): string {
  const badge = `${SEVERITY_BADGE[severityOf(f.threat)]} (${Number.isFinite(f.threat) ? f.threat : '?'})`
  const d = f.decision
  if (d === undefined) return badge
  if (d.regressionOf !== undefined) return `${badge} · regression`
  return d.status === 'new' ? badge : `${badge} · ${statusLabel(d.status)}`
}

/** `SQL injection ([CWE-89](…))`, or the escaped type when the table does not know it. */
export function typeCell(f: Pick<Finding, 'type'>): string {
  const info = vulnType(f.type)
  const title = escapeMarkdown(truncate(typeTitle(f.type), 80))
  if (info === undefined || info.cwe.length === 0) return title
  const cwes = info.cwe.map((id) => link(`CWE-${id}`, `https://cwe.mitre.org/data/definitions/${id}.html`))
  return `${title} (${cwes.join(', ')})`
}

/** `` `GET /api/search` ``, and in a matrix the legs that found it. */
function endpointCell(f: Finding): string {
  const endpoint = shownEndpoint(f)
  const where = endpoint === undefined ? 'unknown' : code(truncate(endpoint, 200), { table: true })
  const legs =
    f.legs === undefined || f.legs.length === 0
      ? ''
      : ` · ${escapeMarkdown(truncate(f.legs.join(', '), 200))}`
  return where + legs
}

/** The remedy's line and a link to the page that says more. */
function fixCell(f: Pick<Finding, 'type'>): string {
  const remedy = remedyOf(f.type)
  const label = remedy.source.startsWith('OWASP') ? 'OWASP cheat sheet' : remedy.source
  return `${escapeMarkdown(remedy.text)} ${link(label, remedy.url)}`
}

export interface ReproduceOptions {
  /** Also as a curl command (the job summary; the comment is short without it). */
  curl: boolean
  /** Masked in every form (the action's token and API token). */
  secrets?: ReadonlyArray<string | undefined> | undefined
  /** Examples are cut to this many characters, with a note. */
  maxChars: number
}

/** Whether `f` has an exploit example, that is, a reproduction block. */
export function hasExample<F extends Pick<Finding, 'exploitExample'>>(
  f: F
): f is F & { exploitExample: string } {
  return f.exploitExample !== undefined && f.exploitExample.trim() !== ''
}

/**
 * The reproduction blocks of the first `max` findings that have an example (the rest are never
 * rendered), and how many more have one.
 */
export function reproduceBlocks(
  findings: readonly Finding[],
  max: number,
  opts: ReproduceOptions
): { blocks: string[]; more: number } {
  const blocks: string[] = []
  let more = 0
  for (const f of findings) {
    if (!hasExample(f)) continue
    if (blocks.length >= max) more++
    else {
      const block = reproduceBlock(f, opts)
      if (block !== undefined) blocks.push(block)
    }
  }
  return { blocks, more }
}

/**
 * A collapsed block with the redacted request that proved `f` (and its curl command), or undefined when
 * no example was recorded.
 */
export function reproduceBlock(f: Finding, opts: ReproduceOptions): string | undefined {
  if (!hasExample(f)) return undefined
  const redacted = { parameter: f.parameter, secrets: opts.secrets }
  const example = redactExploit(f.exploitExample, { ...redacted, maxChars: opts.maxChars })
  const masked = example.includes(MASK) ? ` (credentials masked as \`${MASK}\`)` : ''
  const parts = [`The request that proved it${masked}:`, codeBlock(example, 'http')]
  if (opts.curl) {
    const whole = redactExploit(f.exploitExample, { ...redacted, maxChars: Number.MAX_SAFE_INTEGER })
    const command = curlCommand(whole, f)
    if (command !== undefined && command.length <= opts.maxChars) {
      const own = command.includes(MASK) ? ` (put your own values where \`${MASK}\` is)` : ''
      parts.push(`As a curl command${own}:`, codeBlock(command, 'shell'))
    } else if (command !== undefined) {
      parts.push(
        `_The curl command is left out: it is longer than ${opts.maxChars.toLocaleString('en-US')} characters._`
      )
    }
  }
  return details(reproduceTitle(f), parts.join('\n\n'))
}

/** `🔴 high · SQL injection in <code>GET /api/search</code>, parameter <code>q</code>` (HTML: a `<summary>`). */
function reproduceTitle(f: Finding): string {
  let title = `${SEVERITY_BADGE[severityOf(f.threat)]} · ${escapeHtml(truncate(typeTitle(f.type), 80))}`
  const endpoint = shownEndpoint(f)
  if (endpoint !== undefined) title += ` in <code>${escapeHtml(truncate(endpoint, 200))}</code>`
  if (f.parameter !== undefined) title += `, parameter <code>${escapeHtml(truncate(f.parameter, 100))}</code>`
  if (f.legs !== undefined && f.legs.length > 0) title += ` (${escapeHtml(truncate(f.legs.join(', '), 200))})`
  return title
}
