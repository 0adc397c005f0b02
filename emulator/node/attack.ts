/**
 * How the emulated node tests a baseline: it replays the request, then sends it again with attack
 * payloads in each parameter (query, form body, JSON body), and decides from the answers alone, the
 * way a scanner must on an application it did not write:
 * - `sqli`: a database error signature (MySQL, PostgreSQL, SQLite, SQL Server) that the replayed
 *   baseline's answer did not have, in an answer that differs from it;
 * - `xss`: the payload reflected verbatim, unescaped, in an HTML answer (an echo inside JSON is not XSS);
 * - `ptrav`: the contents of a well-known file (`/etc/passwd`, `win.ini`) the baseline did not show.
 * Nothing here knows the sample application.
 */
import { absoluteTarget } from '../request-target.js'

export interface HttpRequestSpec {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export interface HttpAnswer {
  status: number
  contentType: string
  body: string
}

export type VulnType = 'sqli' | 'xss' | 'ptrav'

export interface Finding {
  type: VulnType
  threat: number
  code: string
  parameter: string
  /** The attack request that proved it, as `METHOD URL [body]`. */
  exploit: string
}

interface InsertionPoint {
  name: string
  where: 'query' | 'form' | 'json'
}

export interface Probe {
  type: VulnType
  parameter: string
  payload: string
  request: HttpRequestSpec
}

const SQL_ERRORS: { db: string; re: RegExp }[] = [
  {
    db: 'MySQL',
    re: /You have an error in your SQL syntax|check the manual that corresponds to your (?:MySQL|MariaDB) server version|Warning: mysqli?_\w+|MySqlException|com\.mysql\.jdbc/i
  },
  {
    db: 'PostgreSQL',
    re: /PostgreSQL.{0,40}ERROR|ERROR:\s+syntax error at or near|unterminated quoted string at or near|PG::SyntaxError|org\.postgresql\.util\.PSQLException|pg_query\(\)/i
  },
  {
    db: 'SQLite',
    re: /SQLITE_ERROR|sqlite3\.OperationalError|SQLite3::SQLException|unrecognized token: "|near "[^"]{0,40}": syntax error|System\.Data\.SQLite/i
  },
  {
    db: 'SQL Server',
    re: /Unclosed quotation mark after the character string|Incorrect syntax near|Microsoft OLE DB Provider for SQL Server|\[SQL Server\]|System\.Data\.SqlClient\.SqlException/i
  }
]

const FILE_CONTENTS = [/root:[^:\r\n]*:0:0:/, /\[fonts\][\s\S]{0,200}\[extensions\]|for 16-bit app support/i]

const FINDING: Record<VulnType, { threat: number; code: string }> = {
  sqli: { threat: 80, code: 'S0001' },
  ptrav: { threat: 70, code: 'P0001' },
  xss: { threat: 50, code: 'X0001' }
}

/** The SQL engine whose error signature the text carries, if any. */
export function sqlErrorIn(text: string): string | null {
  return SQL_ERRORS.find((s) => s.re.test(text))?.db ?? null
}

function fileContentsIn(text: string): boolean {
  return FILE_CONTENTS.some((re) => re.test(text))
}

function payloads(type: VulnType, original: string, marker: string): string[] {
  switch (type) {
    case 'sqli':
      return [`${original}'`, `${original}"`]
    case 'xss':
      return [`"><script>alert('${marker}')</script>`, `<img src=x onerror=alert('${marker}')>`]
    case 'ptrav':
      return [
        '../../../../../../../../etc/passwd',
        '....//....//....//....//....//....//etc/passwd',
        '/etc/passwd',
        '..\\..\\..\\..\\..\\windows\\win.ini'
      ]
  }
}

function contentTypeOf(headers: Record<string, string>): string {
  return (Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '').toLowerCase()
}

function insertionPoints(b: HttpRequestSpec): InsertionPoint[] {
  const points: InsertionPoint[] = []
  for (const name of new Set(queryOf(b).keys())) points.push({ name, where: 'query' })
  const type = contentTypeOf(b.headers)
  if (b.body !== '' && type.includes('application/x-www-form-urlencoded')) {
    for (const name of new Set(new URLSearchParams(b.body).keys())) points.push({ name, where: 'form' })
  } else if (b.body !== '' && type.includes('json')) {
    try {
      const json: unknown = JSON.parse(b.body)
      if (json && typeof json === 'object' && !Array.isArray(json)) {
        for (const [k, v] of Object.entries(json))
          if (typeof v === 'string' || typeof v === 'number') points.push({ name: k, where: 'json' })
      }
    } catch {
      // not JSON after all: no body parameters
    }
  }
  return points
}

/** The baseline's query parameters, read from the query as recorded. */
function queryOf(b: HttpRequestSpec): URLSearchParams {
  return new URLSearchParams(absoluteTarget(b.url)?.query ?? '')
}

function originalValue(b: HttpRequestSpec, p: InsertionPoint): string {
  if (p.where === 'query') return queryOf(b).get(p.name) ?? ''
  if (p.where === 'form') return new URLSearchParams(b.body).get(p.name) ?? ''
  const v = (JSON.parse(b.body) as Record<string, unknown>)[p.name]
  return typeof v === 'string' || typeof v === 'number' ? String(v) : ''
}

function withValue(b: HttpRequestSpec, p: InsertionPoint, value: string): HttpRequestSpec {
  if (p.where === 'query') {
    // Only the query is rewritten: the path stays as recorded.
    const target = absoluteTarget(b.url)!
    const query = queryOf(b)
    query.set(p.name, value)
    return { ...b, url: `http://${target.host}${target.pathname}?${query.toString()}` }
  }
  let body: string
  if (p.where === 'form') {
    const form = new URLSearchParams(b.body)
    form.set(p.name, value)
    body = form.toString()
  } else {
    body = JSON.stringify({ ...(JSON.parse(b.body) as Record<string, unknown>), [p.name]: value })
  }
  const headers = { ...b.headers }
  for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-length') delete headers[k]
  headers['content-length'] = String(Buffer.byteLength(body))
  return { ...b, headers, body }
}

/** Every attack request for a baseline, in the order they are sent. */
export function planProbes(b: HttpRequestSpec, marker: string): Probe[] {
  const probes: Probe[] = []
  for (const point of insertionPoints(b)) {
    const original = originalValue(b, point)
    for (const type of ['sqli', 'xss', 'ptrav'] as const) {
      for (const payload of payloads(type, original, marker)) {
        probes.push({ type, parameter: point.name, payload, request: withValue(b, point, payload) })
      }
    }
  }
  return probes
}

/** Whether this answer to this probe proves the vulnerability, given the replayed baseline's answer. */
export function proves(probe: Probe, baseline: HttpAnswer, answer: HttpAnswer): boolean {
  switch (probe.type) {
    case 'sqli': {
      const changed = answer.status !== baseline.status || answer.body !== baseline.body
      return changed && sqlErrorIn(answer.body) !== null && sqlErrorIn(baseline.body) === null
    }
    case 'xss':
      return (
        /\b(?:text\/html|application\/xhtml\+xml)\b/.test(answer.contentType) &&
        answer.body.includes(probe.payload)
      )
    case 'ptrav':
      return fileContentsIn(answer.body) && !fileContentsIn(baseline.body)
  }
}

export interface CheckResult {
  result: 'passed' | 'failed' | 'tech_fail'
  findings: Finding[]
  /** Why a check failed technically (the console's "Connection failed"). */
  reason?: string
}

export interface CheckDeps {
  send: (r: HttpRequestSpec) => Promise<HttpAnswer>
  /** Waits for the next request slot (rps, rps_per_baseline). */
  pace: () => Promise<void>
  onSent: (n: number) => void
  /** The run ended or was pre-empted: stop sending. */
  aborted: () => boolean
}

/**
 * Tests one baseline: the replay, then the probes. A target that cannot be reached for the replay, or
 * for most probes, is a technical failure, never a pass.
 */
export async function checkBaseline(
  b: HttpRequestSpec,
  probes: Probe[],
  deps: CheckDeps
): Promise<CheckResult> {
  let baselineAnswer: HttpAnswer
  try {
    await deps.pace()
    baselineAnswer = await deps.send(b)
  } catch (err) {
    return { result: 'tech_fail', findings: [], reason: `Connection failed: ${(err as Error).message}` }
  } finally {
    deps.onSent(1)
  }
  const findings: Finding[] = []
  let failures = 0
  for (const probe of probes) {
    if (deps.aborted()) break
    await deps.pace()
    let answer: HttpAnswer
    try {
      answer = await deps.send(probe.request)
    } catch {
      failures++
      continue
    } finally {
      deps.onSent(1)
    }
    const known = findings.some((f) => f.type === probe.type && f.parameter === probe.parameter)
    if (!known && proves(probe, baselineAnswer, answer)) {
      const r = probe.request
      findings.push({
        type: probe.type,
        ...FINDING[probe.type],
        parameter: probe.parameter,
        exploit: `${r.method} ${r.url}${r.body === '' ? '' : ` ${r.body}`}`
      })
    }
  }
  if (findings.length > 0) return { result: 'failed', findings }
  if (failures > 0 && failures * 2 >= probes.length)
    return {
      result: 'tech_fail',
      findings,
      reason: `Connection failed on ${failures} of ${probes.length} test requests`
    }
  return { result: 'passed', findings }
}
