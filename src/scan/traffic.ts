/**
 * "What the tests sent": the requests the recording hop saw on their way to the FAST node, counted by
 * method and path pattern, by status class and by host, with whether the node records that host
 * (ALLOWED_HOSTS). Then the summary table and the one-line diagnoses that turn the commonest silent
 * failure ("no baselines were recorded") into a sentence. Pure: no I/O, no `@actions/core`.
 */
import { code, escapeMarkdown, truncate } from '../report/markdown.js'
import { logSafe } from '../text/untrusted.js'
import { entryHost } from './no-proxy.js'
import { templatePath } from '../common/path-template.js'

/** One request the hop forwarded (or tried to). */
export interface SeenRequest {
  method: string
  /** Host name without the port, lowercase (`api.example.com`, `127.0.0.1`, `::1`). */
  host: string
  /** Path without the query; `''` for a tunnel (CONNECT), whose paths the hop cannot see. */
  path: string
  /** The answer's status; undefined when no answer came (the node or the target was unreachable). */
  status: number | undefined
  /** Out of scope (`exclude`): sent straight to the target, never to the node. */
  excluded?: boolean | undefined
  /** Refused by the hop itself (headers too large, not HTTP it can read): answered there, never sent on. */
  refused?: boolean | undefined
  /**
   * The exchange did not complete: the test client went away before its answer was whole (a dropped
   * download or upload), or the answer was cut off mid-body (the target or the node reset it). `status`
   * is then the status the answer began with, if any; the request is not counted under it.
   */
  incomplete?: Incomplete | undefined
}

export type Incomplete = 'client went away' | 'answer cut off'

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'none'
const STATUS_CLASSES: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'none']

export interface TrafficRow {
  method: string
  host: string
  /** Path with its id segments as `{id}` (../common/path-template.ts); `(tunnel)` for CONNECT. */
  pattern: string
  requests: number
  /** Complete answers, by status class (`none`: no answer came). */
  byStatus: Record<StatusClass, number>
  /** Upgrades the node switched (101: a WebSocket), whose bytes then passed as they were. */
  switched: number
  /** Exchanges that did not complete (see SeenRequest.incomplete), counted under no status. */
  incomplete: Record<Incomplete, number>
  recorded: boolean
  /** Out of scope (`exclude`): these requests went straight to the target, never to the node. */
  excluded: boolean
  /** Refused by the hop: these requests reached neither the node nor the target. */
  refused: boolean
  /** Requests of the row sent after the recording had ended (so not recorded); 0 when it had not. */
  late: number
}

export interface TrafficSummary {
  total: number
  /**
   * Set when the recording ended before the tests did: the requests to recorded hosts sent after it, or
   * undefined when they cannot be counted (tunnels, whose requests the hop cannot see one by one).
   */
  afterEnd?: { requests: number | undefined }
  rows: TrafficRow[]
  /** Requests per host, with whether the host is in ALLOWED_HOSTS. */
  hosts: { host: string; requests: number; recorded: boolean }[]
}

/** `/api/products/42/reviews/7f1c…` → `/api/products/{id}/reviews/{id}`: one row per endpoint (the id rule of ../common/path-template.ts). */
export function pathPattern(path: string): string {
  return templatePath(path.split(/[?#]/, 1)[0] ?? '')
}

/**
 * Whether the node records requests for `host`, by the forms ALLOWED_HOSTS takes (one or more, split
 * by commas or spaces): `*`; an exact name; `.example.com` (the name and its subdomains) or
 * `*.example.com` (subdomains); `~regex`, or `(a|b)` matching the whole name.
 * Empty: every host is recorded. A port in an entry is ignored, as nginx ignores it in server_name; an
 * IPv6 address matches with or without brackets (`[::1]`, `::1`).
 */
/**
 * What the tests sent, for API coverage (src/openapi's SentRequest): one entry per method and path pattern
 * (the ledger keeps patterns, `{id}` for ids, which an operation's template segment matches too). Tunnels,
 * the overflow row and requests that never reached the node (excluded, refused) are left out.
 */
export function sentRequests(
  summary: TrafficSummary
): { method: string; path: string; count: number; recorded: boolean }[] {
  return summary.rows
    .filter((r) => r.pattern.startsWith('/') && !r.excluded && !r.refused)
    .map((r) => ({ method: r.method, path: r.pattern, count: r.requests, recorded: r.recorded }))
}

export function hostMatcher(allowedHosts: string): (host: string) => boolean {
  const entries = allowedHosts
    .trim()
    .replace(/^["']|["']$/g, '')
    .split(/[\s,]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '')
  if (entries.length === 0) return () => true
  const tests = entries.map((entry): ((host: string) => boolean) => {
    if (entry === '*') return () => true
    if (entry.startsWith('~') || entry.startsWith('(')) {
      try {
        const re = new RegExp(entry.startsWith('~') ? entry.replace(/^~\*?/, '') : `^${entry}$`, 'i')
        return (host) => re.test(host)
      } catch {
        return () => false
      }
    }
    const name = entryHost(entry)
    if (name.startsWith('*.')) return (host) => host.endsWith(name.slice(1))
    if (name.startsWith('.')) return (host) => host === name.slice(1) || host.endsWith(name)
    return (host) => host === name
  })
  return (host) => tests.some((t) => t(host.toLowerCase()))
}

export function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status < 200 || status >= 600) return 'none'
  return `${Math.floor(status / 100)}xx` as StatusClass
}

/** Distinct rows kept; the requests of any further path pattern are counted under `(other paths)`. */
export const MAX_DISTINCT_ROWS = 5_000

/** The last requests whose rows are kept in order, to tell which came after the recording ended. */
export const MAX_ORDERED_REQUESTS = 1_000_000

interface Counted {
  method: string
  host: string
  pattern: string
  /** Out of scope: went straight to the target (see SeenRequest). */
  excluded: boolean
  /** Refused by the hop (see SeenRequest). */
  refused: boolean
  requests: number
  byStatus: Record<StatusClass, number>
  switched: number
  incomplete: Record<Incomplete, number>
}

/**
 * Counts requests as they come, in memory bounded by the number of distinct endpoints (not of requests):
 * a suite that sends a million requests to a hundred endpoints keeps a hundred rows.
 */
export class TrafficCounter {
  private readonly rows = new Map<string, Counted>()
  private total = 0
  /** The rows of the last (up to MAX_ORDERED_REQUESTS) requests other than tunnels, in order: a ring. */
  private readonly order: Counted[] = []
  private ordered = 0

  add(r: SeenRequest): void {
    this.total++
    let pattern = r.method === 'CONNECT' ? '(tunnel)' : pathPattern(r.path) || '/'
    const excluded = r.excluded === true
    const refused = r.refused === true
    const mark = excluded ? ' (excluded)' : refused ? ' (refused)' : ''
    let key = `${r.method} ${r.host} ${pattern}${mark}`
    if (!this.rows.has(key) && this.rows.size >= MAX_DISTINCT_ROWS) {
      pattern = '(other paths)'
      key = `${r.method} ${r.host} ${pattern}${mark}`
    }
    let row = this.rows.get(key)
    if (!row) {
      row = {
        method: r.method,
        host: r.host,
        pattern,
        excluded,
        refused,
        requests: 0,
        byStatus: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 },
        switched: 0,
        incomplete: { 'answer cut off': 0, 'client went away': 0 }
      }
      this.rows.set(key, row)
    }
    row.requests++
    if (r.incomplete !== undefined) row.incomplete[r.incomplete]++
    else if (r.status !== undefined && r.status >= 100 && r.status < 200) row.switched++
    else row.byStatus[statusClass(r.status)]++
    if (r.method !== 'CONNECT') this.order[this.ordered++ % MAX_ORDERED_REQUESTS] = row
  }

  /**
   * Rows (busiest first) and hosts, each marked by whether the node records its host. `recordedCount`,
   * given when the recording ended before the tests did, is how many baselines the node recorded: the
   * requests to recorded hosts after the first that many came after the end (the node records every
   * one it proxies while recording, in the order they come).
   */
  summary(isAllowed: (host: string) => boolean, recordedCount?: number): TrafficSummary {
    const late = recordedCount === undefined ? undefined : this.late(isAllowed, recordedCount)
    const rows = [...this.rows.values()].map((r) => ({
      ...r,
      byStatus: { ...r.byStatus },
      incomplete: { ...r.incomplete },
      recorded: reachesNode(r) && isAllowed(r.host),
      late: late?.rows.get(r) ?? 0
    }))
    const hosts = new Map<string, { host: string; requests: number; recorded: boolean }>()
    // Excluded and refused requests never went to the node: they say nothing of what it records.
    for (const row of rows.filter(reachesNode)) {
      const h = hosts.get(row.host) ?? { host: row.host, requests: 0, recorded: row.recorded }
      h.requests += row.requests
      hosts.set(row.host, h)
    }
    const byCount = <T extends { requests: number }>(a: T, b: T): number => b.requests - a.requests
    return {
      total: this.total,
      ...(recordedCount === undefined ? {} : { afterEnd: { requests: late?.total } }),
      rows: rows.sort(byCount),
      hosts: [...hosts.values()].sort(byCount)
    }
  }

  /** The requests to recorded hosts past the first `recorded`, by row; undefined when tunnels hide some. */
  private late(
    isAllowed: (host: string) => boolean,
    recorded: number
  ): { total: number; rows: Map<Counted, number> } | undefined {
    const rows = new Map<Counted, number>()
    const toNode = (r: Counted): boolean => reachesNode(r) && isAllowed(r.host)
    if ([...this.rows.values()].some((r) => r.method === 'CONNECT' && isAllowed(r.host))) return undefined
    const allowed = [...this.rows.values()].reduce((n, r) => (toNode(r) ? n + r.requests : n), 0)
    const total = Math.max(0, allowed - recorded)
    // From the last request back, as far as the ring reaches; older ones go to no row.
    let left = total
    const kept = Math.min(this.ordered, MAX_ORDERED_REQUESTS)
    for (let i = 1; i <= kept && left > 0; i++) {
      const row = this.order[(this.ordered - i) % MAX_ORDERED_REQUESTS]!
      if (!toNode(row)) continue
      rows.set(row, (rows.get(row) ?? 0) + 1)
      left--
    }
    return { total, rows }
  }
}

/** Whether a row's requests went on to the node: not excluded (straight to the target), not refused by the hop. */
function reachesNode(r: Pick<Counted, 'excluded' | 'refused'>): boolean {
  return !r.excluded && !r.refused
}

/** Counts a list of requests into rows (busiest first) and hosts. */
export function summarize(
  requests: readonly SeenRequest[],
  isAllowed: (host: string) => boolean
): TrafficSummary {
  const counter = new TrafficCounter()
  for (const r of requests) counter.add(r)
  return counter.summary(isAllowed)
}

/** Hosts named one by one in the diagnoses (a test suite may also reach registries and other services). */
export const MAX_HOST_LINES = 5

export interface DiagnosisContext {
  /** ALLOWED_HOSTS as the node has it ('' when it records every host). */
  allowedHosts: string
  /** The names of the proxy variables the command was given. */
  proxyVariables: readonly string[]
}

/**
 * One line per problem a reader can act on: nothing reached the node (the client ignored the proxy);
 * requests to hosts the node does not record; requests that got no answer.
 */
export function diagnose(summary: TrafficSummary, ctx: DiagnosisContext): string[] {
  if (summary.total === 0) {
    return [
      'No request went through the FAST node while the command ran: the test client ignored the proxy. ' +
        `The command had ${ctx.proxyVariables.join(', ')} set; a client that does not read them needs the ` +
        'proxy address as an option (it is in FAST_PROXY_URL), and the tests must send their requests to the target, not to a mock.'
    ]
  }
  const lines: string[] = []
  const unrecorded = summary.hosts.filter((h) => !h.recorded)
  for (const h of unrecorded.slice(0, MAX_HOST_LINES)) {
    lines.push(
      `${h.requests} request${h.requests === 1 ? '' : 's'} to ${logSafe(h.host)} ${h.requests === 1 ? 'was' : 'were'} ` +
        `proxied but not recorded: not in ALLOWED_HOSTS (${ctx.allowedHosts}). Add it with the allowed-hosts input if it should be tested.`
    )
  }
  const more = unrecorded.slice(MAX_HOST_LINES)
  if (more.length > 0) {
    const n = more.reduce((sum, h) => sum + h.requests, 0)
    lines.push(
      `…and ${n} request${n === 1 ? '' : 's'} to ${more.length} other hosts not in ALLOWED_HOSTS (in the table).`
    )
  }
  const after = summary.afterEnd
  if (after !== undefined && after.requests !== 0) {
    const n = after.requests
    lines.push(
      n === undefined
        ? 'The recording ended before the tests did: the requests sent after it were proxied but not recorded, ' +
            'and through tunnels (HTTPS) the hop cannot count them.'
        : `${n} request${n === 1 ? '' : 's'} to recorded hosts ${n === 1 ? 'was' : 'were'} sent after the ` +
            'recording had ended (inactivity-timeout, or the Wallarm console): proxied but not recorded, so not tested.'
    )
  }
  const refused = summary.rows.reduce((n, r) => (r.refused ? n + r.requests : n), 0)
  if (refused > 0) {
    lines.push(
      `${refused} request${refused === 1 ? ' was' : 's were'} refused by the recording hop (431: headers too large; ` +
        '400: not HTTP it can read, such as raw non-ASCII bytes in the path) and reached neither ' +
        'the node nor the target, so not tested: see the rows marked refused.'
    )
  }
  lines.push(...incompleteLines(summary.rows))
  const unanswered = summary.rows.reduce((n, r) => n + r.byStatus.none, 0)
  if (unanswered > 0) {
    lines.push(
      `${unanswered} request${unanswered === 1 ? '' : 's'} got no answer from the FAST node: it stopped or ` +
        'could not be reached (its log is in node-log-path).'
    )
  }
  return lines
}

/** The lines for exchanges that did not complete: answers cut off, clients that went away. */
function incompleteLines(rows: readonly TrafficRow[]): string[] {
  const count = (kind: Incomplete): number => rows.reduce((n, r) => n + r.incomplete[kind], 0)
  const lines: string[] = []
  const cut = count('answer cut off')
  if (cut > 0)
    lines.push(
      `${cut} answer${cut === 1 ? ' was' : 's were'} cut off mid-body (the target or the FAST node closed the ` +
        `connection): the tests got part of ${cut === 1 ? 'it' : 'them'}.`
    )
  const gone = count('client went away')
  if (gone > 0)
    lines.push(
      `${gone} request${gone === 1 ? ' was' : 's were'} abandoned by the test client before ${gone === 1 ? 'its answer was' : 'their answers were'} ` +
        'complete (a dropped download or upload); the hop aborted them at the node.'
    )
  return lines
}

/** Columns shown only when some row has something in them: the usual table keeps its shape. */
const RARE_COLUMNS: readonly { title: string; count(r: TrafficRow): number; after: boolean }[] = [
  { title: '1xx', count: (r) => r.switched, after: false },
  { title: 'Cut off', count: (r) => r.incomplete['answer cut off'], after: true },
  { title: 'Client went away', count: (r) => r.incomplete['client went away'], after: true }
]

function recordedCell(r: TrafficRow): string {
  if (r.excluded) return 'no: excluded (straight to the target)'
  if (r.refused) return 'no: refused by the hop'
  if (!r.recorded) return 'no: not in ALLOWED_HOSTS'
  if (r.late === 0) return 'yes'
  if (r.late >= r.requests) return 'no: sent after the recording ended'
  return `${r.requests - r.late} yes; ${r.late} no: sent after the recording ended`
}

/** Rows shown in the table; the rest are summed up in one line. */
export const MAX_TRAFFIC_ROWS = 30

/** The Markdown section for the job summary: the table, then the diagnoses. */
export function renderTraffic(summary: TrafficSummary, diagnoses: readonly string[]): string {
  const out: string[] = ['### What the tests sent through the FAST node', '']
  if (summary.total > 0) {
    const rare = RARE_COLUMNS.filter((c) => summary.rows.some((r) => c.count(r) > 0))
    const before = rare.filter((c) => !c.after)
    const after = rare.filter((c) => c.after)
    const titles = [
      ...before.map((c) => c.title),
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      'No answer',
      ...after.map((c) => c.title)
    ]
    out.push(
      `| Method | Host | Path | Requests | ${titles.join(' | ')} | Recorded |`,
      `|---|---|---|--:|${titles.map(() => '--:|').join('')}---|`
    )
    for (const r of summary.rows.slice(0, MAX_TRAFFIC_ROWS)) {
      const counts = [
        ...before.map((c) => String(c.count(r))),
        ...STATUS_CLASSES.map((c) => String(r.byStatus[c])),
        ...after.map((c) => String(c.count(r)))
      ]
      out.push(
        `| ${escapeMarkdown(r.method)} | ${escapeMarkdown(r.host)} | ${code(truncate(r.pattern, 120), { table: true })} | ${r.requests} | ` +
          `${counts.join(' | ')} | ${recordedCell(r)} |`
      )
    }
    const hidden = summary.rows.slice(MAX_TRAFFIC_ROWS)
    if (hidden.length > 0) {
      const n = hidden.reduce((sum, r) => sum + r.requests, 0)
      out.push('', `…and ${hidden.length} more path patterns with ${n} requests.`)
    }
    out.push('')
  }
  for (const line of diagnoses) out.push(`> ${escapeMarkdown(line)}`, '')
  return out.join('\n')
}
