/**
 * From what the API returned to the `Finding`s every report renders: the full vulnerability objects
 * (§E7) where the token could read them, the run's own `vulns` summary (§E3) otherwise, merged.
 * Pure: no I/O.
 */
import type { TestRun, Vulnerability, VulnSummary } from '../wallarm/types.js'
import type { Finding } from './model.js'

export type Severity = 'critical' | 'high' | 'medium' | 'low'

/**
 * FAST's threat (1..100, higher is worse) as a severity word, on the CVSS bands GitHub code scanning
 * uses for `security-severity` (threat / 10): ≥ 90 critical, ≥ 70 high, ≥ 40 medium, anything lower low.
 */
export function severityOf(threat: number): Severity {
  const t = clampThreat(threat)
  if (t >= 90) return 'critical'
  if (t >= 70) return 'high'
  if (t >= 40) return 'medium'
  return 'low'
}

/** SARIF `security-severity`: threat / 10 as a string with one decimal, "0.0".."10.0". */
export function securitySeverity(threat: number): string {
  return (clampThreat(threat) / 10).toFixed(1)
}

/** A threat the reports can rely on: a finite number within 0..100 (anything else is 0). */
export function clampThreat(threat: number): number {
  if (!Number.isFinite(threat)) return 0
  return Math.min(100, Math.max(0, threat))
}

/**
 * Every finding of a run, sorted by threat (highest first), then id.
 * - `details` (full objects) win: each one becomes a finding, and fills in what the summary lacks.
 * - A summary vuln with no detail object is kept as it is (only id, type, threat and code known).
 * - Empty strings become `undefined`, so that "unknown" has a single spelling.
 */
export function toFindings(run: TestRun | undefined, details: Vulnerability[] | undefined): Finding[] {
  // Merged by id. A vulnerability without one (id 0) cannot be matched, so it stands on its own: from
  // the details when there are any (they are the full list), else from the run's summary.
  const byId = new Map<string, Finding>()
  const idlessSummaries: Finding[] = []
  const idlessDetails: Finding[] = []
  for (const v of run?.vulns ?? []) {
    if (v.id !== '') byId.set(v.id, fromSummary(v))
    else idlessSummaries.push(fromSummary(v))
  }
  for (const d of details ?? []) {
    const detail = fromDetail(d)
    if (d.id === '') {
      idlessDetails.push(detail)
      continue
    }
    const summary = byId.get(d.id)
    byId.set(d.id, summary ? mergeFinding(summary, detail) : detail)
  }
  const idless = details !== undefined && details.length > 0 ? idlessDetails : idlessSummaries
  return sortFindings([...byId.values(), ...idless])
}

/** Sorted by threat, highest first, then by id (a stable, total order). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => b.threat - a.threat || compareIds(a.id, b.id))
}

/** Decimal ids in numeric order, however long (a shorter one is smaller); `''` first. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
}

function fromSummary(v: VulnSummary): Finding {
  return compact({
    id: v.id,
    type: text(v.type) ?? 'unknown',
    threat: clampThreat(v.threat),
    code: text(v.code)
  })
}

function fromDetail(v: Vulnerability): Finding {
  return compact({
    id: v.id,
    type: text(v.type) ?? 'unknown',
    threat: clampThreat(v.threat),
    code: text(v.code),
    method: text(v.method)?.toUpperCase(),
    domain: text(v.domain),
    path: text(v.path),
    parameter: text(v.parameter),
    title: text(v.title),
    description: text(v.description),
    exploitExample: text(v.exploit_example),
    status: text(v.status)
  })
}

function mergeFinding(summary: Finding, detail: Finding): Finding {
  const merged: Finding = { ...summary }
  for (const [key, value] of Object.entries(detail) as Array<[keyof Finding, Finding[keyof Finding]]>) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value
  }
  // The detail object's type is the more specific one, unless it has none.
  if (detail.type === 'unknown') merged.type = summary.type
  // A missing threat (null, absent: 0 here) never beats a known one.
  if (!(detail.threat > 0)) merged.threat = summary.threat
  return merged
}

/** `value` as a non-empty string, else undefined (numbers are accepted: the API is loose about types). */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return undefined
  return value.trim() === '' ? undefined : value
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k]
  return o
}

/**
 * One item of the `vulnerabilities-json` output: what is known of a finding, and nothing long. Its id is
 * written as a JSON number (see {@link vulnerabilitiesJsonOutput}).
 */
export type VulnerabilityJson = Pick<
  Finding,
  'id' | 'type' | 'threat' | 'code' | 'method' | 'domain' | 'path' | 'parameter'
>

/** The compact array for the `vulnerabilities-json` output (the caller `JSON.stringify`s it). */
export function vulnerabilitiesJson(findings: readonly Finding[]): VulnerabilityJson[] {
  return findings.map((f) =>
    compact({
      id: f.id,
      type: f.type,
      threat: f.threat,
      code: f.code,
      method: f.method,
      domain: f.domain,
      path: f.path,
      parameter: f.parameter
    })
  )
}

/**
 * GitHub keeps at most 1 MiB per step output (and 50 MiB for all of a job's): the `vulnerabilities-json`
 * output stays under this many UTF-8 bytes.
 */
export const OUTPUT_MAX_BYTES = 1_000_000

/**
 * The `vulnerabilities-json` output: the JSON array of {@link vulnerabilitiesJson}, always valid JSON of
 * at most `maxBytes` UTF-8 bytes. When the whole list does not fit, the first findings that do (the
 * highest threats: findings are sorted) are kept and `included < total` says so; the report file has
 * them all. Linear in the size of the list.
 */
export function vulnerabilitiesJsonOutput(
  findings: readonly Finding[],
  maxBytes = OUTPUT_MAX_BYTES
): { json: string; included: number; total: number } {
  // Ids are written as JSON numbers of their exact digits (JSON.stringify of a number could not hold an
  // id above 2^53); an unknown id is 0, as it always was in this output.
  const items = vulnerabilitiesJson(findings).map((v) =>
    JSON.stringify(v).replace(/^\{"id":"(\d*)"/, (_, id: string) => `{"id":${id || '0'}`)
  )
  let size = 2 // []
  let included = 0
  for (const item of items) {
    const next = size + Buffer.byteLength(item, 'utf8') + (included > 0 ? 1 : 0)
    if (next > maxBytes) break
    size = next
    included++
  }
  return { json: `[${items.slice(0, included).join(',')}]`, included, total: items.length }
}

/** `domain` + `path` as one string ("app.example/api/login"), or whichever of them is known. */
export function findingUrl(f: Pick<Finding, 'domain' | 'path'>): string | undefined {
  if (f.domain === undefined) return f.path
  if (f.path === undefined) return f.domain
  return f.path.startsWith('/') ? f.domain + f.path : `${f.domain}/${f.path}`
}

/** Readable names of FAST's vulnerability types (§E7) and the CWE each maps to, where there is one. */
export const VULN_TYPES: Readonly<Record<string, { name: string; title: string; cwe: readonly number[] }>> = {
  sqli: { name: 'SqlInjection', title: 'SQL injection', cwe: [89] },
  xss: { name: 'CrossSiteScripting', title: 'Cross-site scripting', cwe: [79] },
  rce: { name: 'RemoteCodeExecution', title: 'Remote code execution', cwe: [78, 94] },
  ptrav: { name: 'PathTraversal', title: 'Path traversal', cwe: [22] },
  xxe: { name: 'XmlExternalEntity', title: 'XML external entity', cwe: [611] },
  ssrf: { name: 'ServerSideRequestForgery', title: 'Server-side request forgery', cwe: [918] },
  redir: { name: 'OpenRedirect', title: 'Open redirect', cwe: [601] },
  ssti: { name: 'ServerSideTemplateInjection', title: 'Server-side template injection', cwe: [1336] },
  csrf: { name: 'CrossSiteRequestForgery', title: 'Cross-site request forgery', cwe: [352] },
  ldapi: { name: 'LdapInjection', title: 'LDAP injection', cwe: [90] },
  nosqli: { name: 'NoSqlInjection', title: 'NoSQL injection', cwe: [943] },
  idor: { name: 'InsecureDirectObjectReference', title: 'Insecure direct object reference', cwe: [639] },
  auth: { name: 'BrokenAuthentication', title: 'Broken authentication', cwe: [287] },
  info: { name: 'InformationExposure', title: 'Information exposure', cwe: [200] },
  anomaly: { name: 'Anomaly', title: 'Anomaly', cwe: [] }
}

/** What `VULN_TYPES` knows of a type (own keys only: `constructor` is not a vulnerability type). */
export function vulnType(type: string): { name: string; title: string; cwe: readonly number[] } | undefined {
  const key = type.toLowerCase()
  return Object.hasOwn(VULN_TYPES, key) ? VULN_TYPES[key] : undefined
}

/** "SQL injection" for `sqli`; the type itself for a type this table does not know. */
export function typeTitle(type: string): string {
  return vulnType(type)?.title ?? type
}
