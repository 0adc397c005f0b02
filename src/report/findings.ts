/**
 * From what the API returned to the `Finding`s every report renders: the full vulnerability objects
 * (`POST /v1/objects/vuln`) where the token could read them, the run's own `vulns` summary otherwise, merged.
 * Pure: no I/O.
 */
import type { TestRun, Vulnerability, VulnSummary } from '../wallarm/types.js'
import { compact } from './fields.js'
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
  // Serialised one by one up to the limit: 20,000 findings are not all held as text (npm run bench).
  const all = vulnerabilitiesJson(findings)
  const items: string[] = []
  let size = 2 // []
  for (const v of all) {
    const item = JSON.stringify(v).replace(/^\{"id":"(\d*)"/, (_, id: string) => `{"id":${id || '0'}`)
    const next = size + Buffer.byteLength(item, 'utf8') + (items.length > 0 ? 1 : 0)
    if (next > maxBytes) break
    size = next
    items.push(item)
  }
  return { json: `[${items.join(',')}]`, included: items.length, total: all.length }
}

/** `domain` + `path` as one string ("app.example/api/login"), or whichever of them is known. */
export function findingUrl(f: Pick<Finding, 'domain' | 'path'>): string | undefined {
  if (f.domain === undefined) return f.path
  if (f.path === undefined) return f.domain
  return f.path.startsWith('/') ? f.domain + f.path : `${f.domain}/${f.path}`
}

/**
 * A finding's endpoint as a reader names it: `GET /api/search` (the method and the path, which always
 * starts with `/`), `GET` or `/api/search` when only one is known, undefined when neither is.
 */
export function findingEndpoint(f: Pick<Finding, 'method' | 'path'>): string | undefined {
  const path = f.path === undefined ? undefined : f.path.startsWith('/') ? f.path : `/${f.path}`
  const parts = [f.method, path].filter((v) => v !== undefined)
  return parts.length === 0 ? undefined : parts.join(' ')
}

/**
 * One row per FAST vulnerability type (the spec's list, from Wallarm's `vuln-list.md`): a readable name,
 * the CWEs it maps to, and how to fix it, in one line of our own words with the page that says more (an
 * OWASP Cheat Sheet, or the CWE where no cheat sheet fits).
 */
export interface VulnTypeInfo {
  name: string
  title: string
  cwe: readonly number[]
  remedy: Remedy
}

/** How to fix a kind of vulnerability: one plain line, and where to read more (`source` names that page). */
export interface Remedy {
  text: string
  url: string
  /** "OWASP SQL Injection Prevention Cheat Sheet", "CWE-22". */
  source: string
}

/** A remedy whose page is the OWASP Cheat Sheet `name` (its file name: `SQL_Injection_Prevention`). */
function owasp(name: string, text: string): Remedy {
  return {
    text,
    url: `https://cheatsheetseries.owasp.org/cheatsheets/${name}_Cheat_Sheet.html`,
    source: `OWASP ${name.replace(/_/g, ' ')} Cheat Sheet`
  }
}

/** A remedy whose page is MITRE's entry for CWE `id`. */
function cwe(id: number, text: string): Remedy {
  return { text, url: `https://cwe.mitre.org/data/definitions/${id}.html`, source: `CWE-${id}` }
}

export const VULN_TYPES: Readonly<Record<string, VulnTypeInfo>> = {
  sqli: {
    name: 'SqlInjection',
    title: 'SQL injection',
    cwe: [89],
    remedy: owasp(
      'SQL_Injection_Prevention',
      'Pass this input to the database as a bound parameter (prepared statement); never build SQL by joining strings.'
    )
  },
  xss: {
    name: 'CrossSiteScripting',
    title: 'Cross-site scripting',
    cwe: [79],
    remedy: owasp(
      'Cross_Site_Scripting_Prevention',
      'Encode this input for where it is written (HTML, attribute, JavaScript, URL), with the template engine’s auto-escaping on.'
    )
  },
  rce: {
    name: 'RemoteCodeExecution',
    title: 'Remote code execution',
    cwe: [78, 94],
    remedy: owasp(
      'OS_Command_Injection_Defense',
      'Never pass this input to a shell, eval or an interpreter; call programs with a fixed argument list and allow-listed values.'
    )
  },
  ptrav: {
    name: 'PathTraversal',
    title: 'Path traversal',
    cwe: [22],
    remedy: cwe(
      22,
      'Map this input to an allow-listed file name or id; if a path is needed, resolve it and refuse any that leaves the intended directory.'
    )
  },
  xxe: {
    name: 'XmlExternalEntity',
    title: 'XML external entity',
    cwe: [611],
    remedy: owasp(
      'XML_External_Entity_Prevention',
      'Turn off DTDs and external entities in the XML parser that reads this request.'
    )
  },
  ssrf: {
    name: 'ServerSideRequestForgery',
    title: 'Server-side request forgery',
    cwe: [918],
    remedy: owasp(
      'Server_Side_Request_Forgery_Prevention',
      'Do not fetch a URL taken from the request; allow-list the hosts and schemes the server may call, and block internal addresses.'
    )
  },
  redir: {
    name: 'OpenRedirect',
    title: 'Open redirect',
    cwe: [601],
    remedy: owasp(
      'Unvalidated_Redirects_and_Forwards',
      'Redirect only to relative paths or an allow-list of destinations, never to a URL taken as it is from the request.'
    )
  },
  ssti: {
    name: 'ServerSideTemplateInjection',
    title: 'Server-side template injection',
    cwe: [1336],
    remedy: cwe(
      1336,
      'Never build a template from this input: pass it to a fixed template as data, in a sandboxed or logic-less engine.'
    )
  },
  csrf: {
    name: 'CrossSiteRequestForgery',
    title: 'Cross-site request forgery',
    cwe: [352],
    remedy: owasp(
      'Cross-Site_Request_Forgery_Prevention',
      'Require an anti-CSRF token (or a custom header) on every state-changing request, and set session cookies SameSite=Lax or Strict.'
    )
  },
  ldapi: {
    name: 'LdapInjection',
    title: 'LDAP injection',
    cwe: [90],
    remedy: owasp(
      'LDAP_Injection_Prevention',
      'Escape this input with an LDAP filter (or DN) escaping function before it goes into a query.'
    )
  },
  nosqli: {
    name: 'NoSqlInjection',
    title: 'NoSQL injection',
    cwe: [943],
    remedy: owasp(
      'NoSQL_Security',
      'Check that this input is the plain type expected (a string, not an object with operators such as $ne) and build the query with the driver’s API, never from strings.'
    )
  },
  idor: {
    name: 'InsecureDirectObjectReference',
    title: 'Insecure direct object reference',
    cwe: [639],
    remedy: owasp(
      'Insecure_Direct_Object_Reference_Prevention',
      'Check on every request that the caller may access the object this id names; an id that is hard to guess is no check.'
    )
  },
  auth: {
    name: 'BrokenAuthentication',
    title: 'Broken authentication',
    cwe: [287],
    remedy: owasp(
      'Authentication',
      'Require authentication for this endpoint on the server, through the framework’s vetted login and session handling, not custom checks.'
    )
  },
  info: {
    name: 'InformationExposure',
    title: 'Information exposure',
    cwe: [200],
    remedy: owasp(
      'Error_Handling',
      'Return generic errors, and keep stack traces, versions, internal paths and data the caller does not need out of responses.'
    )
  },
  anomaly: {
    name: 'Anomaly',
    title: 'Anomaly',
    cwe: [],
    remedy: owasp(
      'Input_Validation',
      'The server answered this input abnormally (an error, a crash or a long delay): validate it and make bad input fail cleanly with a 4xx.'
    )
  }
}

/** For a type the table does not know: what fixes most findings of a DAST scan. */
export const GENERIC_REMEDY: Remedy = owasp(
  'Input_Validation',
  'Validate this input against what the endpoint expects (an allow-list of types, lengths and values) and encode it for wherever it is used.'
)

/** What `VULN_TYPES` knows of a type (own keys only: `constructor` is not a vulnerability type). */
export function vulnType(type: string): VulnTypeInfo | undefined {
  const key = type.toLowerCase()
  return Object.hasOwn(VULN_TYPES, key) ? VULN_TYPES[key] : undefined
}

/** How to fix a finding of this type: the table's line, or {@link GENERIC_REMEDY} for an unknown type. */
export function remedyOf(type: string): Remedy {
  return vulnType(type)?.remedy ?? GENERIC_REMEDY
}

/** "SQL injection" for `sqli`; the type itself for a type this table does not know. */
export function typeTitle(type: string): string {
  return vulnType(type)?.title ?? type
}
