/**
 * The full vulnerability object of E7 (`POST /v1/objects/vuln`, spec §E7: the fields of wallarm-go
 * `get_vulns.go`), built from a finding and the baseline it was found on.
 */
import type { EmulatedVuln } from './types.js'
import type { WireVulnerability } from '../wire.js'

/** The emulated account's id (`clientid`). */
export const CLIENT_ID = 42

const TITLES: Record<string, string> = {
  sqli: 'SQL injection',
  xss: 'Cross-site scripting',
  rce: 'Remote code execution',
  ptrav: 'Path traversal',
  ssrf: 'Server-side request forgery',
  xxe: 'XML external entity',
  ssti: 'Server-side template injection',
  redir: 'Open redirect',
  nosqli: 'NoSQL injection',
  ldapi: 'LDAP injection',
  idor: 'Insecure direct object reference',
  csrf: 'Cross-site request forgery',
  auth: 'Authentication bypass',
  info: 'Information exposure',
  anomaly: 'Anomaly'
}

/** The baseline fields a finding is reported with. */
export interface FoundOn {
  method: string
  url: string
  host: string
  path: string
  query: string
}

export function vulnerabilityObject(
  testRunId: number,
  b: FoundOn,
  id: number,
  spec: EmulatedVuln,
  foundAtMs: number
): WireVulnerability {
  const parameter = spec.parameter ?? new URLSearchParams(b.query).keys().next().value ?? 'body'
  const title = spec.title ?? TITLES[spec.type] ?? `Vulnerability (${spec.type})`
  const exploit = spec.exploit ?? `${b.method} ${b.url} (payload in ${parameter})`
  const at = Math.floor(foundAtMs / 1000)
  return {
    id,
    // A string in Wallarm's clients (wallarm-go `Wid string`, python `wid: str`; spec §6.1 Q9).
    wid: String(id),
    code: spec.code ?? '',
    template: `fast_${spec.type}`,
    status: 'active',
    target: 'web',
    type: spec.type,
    threat: spec.threat,
    clientid: CLIENT_ID,
    testrun_id: testRunId,
    ticket_status: null,
    ticket_history: [],
    method: b.method,
    domain: b.host,
    path: b.path,
    parameter,
    title,
    description: `${title} in parameter "${parameter}" of ${b.method} ${b.path}, found by FAST test run ${testRunId}.`,
    additional: '',
    exploit_example: exploit,
    filter: [],
    validated: true,
    hidden: false,
    detection_method: 'active',
    vuln_recheck_type: null,
    template_params: { method: b.method, domain: b.host, path: b.path, parameter, exploit_example: exploit },
    validate_time: at,
    invalidate_time: null,
    last_check: at,
    incidents: []
  }
}
