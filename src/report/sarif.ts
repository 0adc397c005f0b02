/**
 * SARIF 2.1.0 of a test run's vulnerabilities, in the form GitHub code scanning accepts and tracks.
 *
 * Decisions (a DAST finding has no source file, and code scanning needs one):
 * - Which findings: only those that count (threat ≥ `min-threat`), the same set as the gate, the
 *   `vulnerabilities` output and the annotations. `min-threat` is the user's noise filter; raising it
 *   closes the alerts below it.
 * - Location: with `openapi`, the operation the finding's method and path match (`locate`, from
 *   ../openapi `locateFinding`): the API description's file, relative to the repository root, at the line
 *   of the operation's method key (in the file that defines it where the path item is `$ref`'d), and a
 *   logical location named by the operationId, else `METHOD /template`. A pull request that touches the
 *   operation then shows the alert inline. Without `openapi`, or where no operation matches or two tie:
 *   the workflow file that ran the tests, line 1 (`workflowPath`, else derived from GITHUB_WORKFLOW_REF,
 *   else `README.md`, a file most repositories have). The real target (method, domain, path, parameter)
 *   is in the message, `webRequest` and `properties` either way.
 * - Fingerprint: `partialFingerprints["wallarmFast/v1"]` = sha256 of `type|METHOD|domain|path|parameter`
 *   (type and domain lower-cased, ids in the path as `{id}`: ../triage/identity.ts). Neither the run id nor the vulnerability id goes in, so the same issue
 *   found again is the same alert, and an issue no longer found closes. A finding known only from the
 *   run's summary (no method, domain, path or parameter) uses `type|code` instead.
 * - `partialFingerprints.primaryLocationLineHash` is written too, from the same identity. Code scanning keys an
 *   alert by file, rule and that hash, and upload-sarif derives a missing one from the text of the result's
 *   line: every finding without an operation sits on line 1 of the workflow file, so two endpoints with the
 *   same vulnerability type would become one alert, and editing that line would re-key (and re-open) them
 *   all; two findings of one operation share its line too, and an edit of the spec moves it. The line
 *   number never goes in, so an alert (and its dismissal) survives edits to the spec.
 * - Category: `automationDetails.id` = `wallarm-fast/<workflow file>/<job>/` (or `category`). Code
 *   scanning keeps one analysis per category and replaces it with the next upload of the same
 *   category: it must differ between jobs (else one job's upload closes the other's alerts) and stay
 *   the same from run to run (else nothing ever closes), so no run number or default run name goes in.
 *   Matrix legs share a job id: the `name` input a leg sets (`legName`) is added to keep them apart.
 * - Help: each rule says how to fix its type (./findings.ts `VULN_TYPES`, a generic line for a
 *   type it does not know), in `help.text` and `help.markdown`; `helpUri` is that remedy's page.
 * - Message: what, the endpoint as `GET /api/search`, the parameter and the host, and how bad. The
 *   finding's path and title are shown redacted (./redact.ts `publishable`), as every report shows them.
 * - Level: threat ≥ 70 `error`, ≥ 40 `warning`, else `note`; `security-severity` = threat / 10 (the
 *   rule's: the highest threat of its type in this run).
 * Pure apart from hashing (node:crypto).
 */
import { createHash } from 'node:crypto'
import type { Invocation, Location, Log, ReportingDescriptor, Result, Run, ToolComponent } from 'sarif'
import type { SpecLocation } from '../openapi/index.js'
import { compact, isoTime } from './fields.js'
import { oneLine } from './markdown.js'
import { publishable } from './redact.js'
import { identityKey } from '../triage/identity.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import { atThreshold, statusLabel } from './model.js'
import type { Finding, RunReport } from './model.js'
import {
  clampThreat,
  findingEndpoint,
  findingUrl,
  remedyOf,
  securitySeverity,
  severityOf,
  typeTitle,
  vulnType
} from './findings.js'

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'
export const FINGERPRINT_KEY = 'wallarmFast/v1'
export const TOOL_NAME = 'Wallarm FAST'
export const TOOL_INFORMATION_URI = 'https://docs.wallarm.com/fast/'
export const VULN_LIST_URI = 'https://docs.wallarm.com/fast/vuln-list/'
/** Where a result points when the workflow file is not known. */
export const FALLBACK_LOCATION = 'README.md'

export type SarifLevel = Extract<NonNullable<Result['level']>, 'error' | 'warning' | 'note'>

export interface SarifOptions {
  toolVersion: string
  /** Repo-relative path of the workflow file (`.github/workflows/ci.yml`). Default: from `context.workflowRef`. */
  workflowPath?: string
  /** `automationDetails.id` category; a trailing `/` is added. Default `wallarm-fast/<workflow>/<job>[/<leg>]`. */
  category?: string
  /**
   * The `name` input as the user gave it (empty when defaulted): matrix legs share a job id, so a name
   * of their own is what keeps their analyses apart. Never the default name, which changes every run.
   */
  legName?: string
  /**
   * With `openapi`: the operation of the API description a finding is a request to (the action layer
   * builds it on ../openapi `locateFinding`); undefined for a finding with no method or path, no operation
   * or a tie, which keeps the workflow file's line 1.
   */
  locate?: LocateFinding | undefined
  /** The spec's templates (`openapi`): they win over the id rule in the fingerprint (../triage/identity.ts). */
  resolve?: PathTemplateResolver | undefined
}

/** A finding's operation in the API description, if it has exactly one. */
export type LocateFinding = (f: Finding) => SpecLocation | undefined

/** The SARIF log this module writes: exactly one run. */
export type SarifLog = Log & { runs: [Run] }

/** SARIF level of a threat: ≥ 70 error, ≥ 40 warning, else note. */
export function sarifLevel(threat: number): SarifLevel {
  const t = clampThreat(threat)
  if (t >= 70) return 'error'
  if (t >= 40) return 'warning'
  return 'note'
}

/** `wallarm-fast/sqli`: the type lower-cased, anything but letters, digits, `.`, `_`, `-` made `-`. */
export function ruleId(type: string): string {
  return `wallarm-fast/${slug(type) || 'unknown'}`
}

/** The stable fingerprint of a finding (see the module comment). */
export function fingerprint(f: Finding, resolve?: PathTemplateResolver): string {
  return createHash('sha256').update(identityKey(f, resolve), 'utf8').digest('hex')
}

/**
 * The `primaryLocationLineHash` of a finding: the first 16 hex digits of its fingerprint, with the
 * `:<occurrence>` suffix upload-sarif writes (always 1: one result per identity and run).
 */
export function primaryLocationLineHash(f: Finding, resolve?: PathTemplateResolver): string {
  return `${fingerprint(f, resolve).slice(0, 16)}:1`
}

/** `.github/workflows/ci.yml` from `owner/repo/.github/workflows/ci.yml@refs/heads/main`. */
export function workflowPathFromRef(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined
  // The ref after the path starts `@refs/`; a branch name may hold an `@` too, a workflow file rarely.
  const refs = ref.indexOf('@refs/')
  const at = refs >= 0 ? refs : ref.lastIndexOf('@')
  const path = at >= 0 ? ref.slice(0, at) : ref
  const i = path.indexOf('.github/')
  return i >= 0 ? path.slice(i) : undefined
}

export function sarifCategory(
  report: RunReport,
  opts: Pick<SarifOptions, 'category' | 'workflowPath' | 'legName'>
): string {
  if (opts.category !== undefined && opts.category.trim() !== '') {
    const c = opts.category.trim()
    return c.endsWith('/') ? c : `${c}/`
  }
  const wf = opts.workflowPath ?? workflowPathFromRef(report.context.workflowRef)
  const workflow = slug(
    wf
      ?.split('/')
      .pop()
      ?.replace(/\.ya?ml$/i, '') ??
      report.context.workflow ??
      ''
  )
  const job = slug(report.context.job ?? '')
  const leg = slug(opts.legName ?? '')
  return ['wallarm-fast', workflow, job, leg].filter((p) => p !== '').join('/') + '/'
}

export function buildSarif(report: RunReport, opts: SarifOptions): SarifLog {
  // Set-aside findings (known, ignored, triaged, out of scope) are reported too, suppressed: code
  // scanning then shows them as dismissed instead of closing and reopening their alerts.
  const findings = report.findings.filter((f) => atThreshold(f, report.minThreat))
  const uri =
    cleanUri(opts.workflowPath) ??
    cleanUri(workflowPathFromRef(report.context.workflowRef)) ??
    FALLBACK_LOCATION

  const rules: ReportingDescriptor[] = []
  const ruleIndex = new Map<string, number>()
  const maxThreat = new Map<string, number>()
  for (const f of findings) {
    const id = ruleId(f.type)
    maxThreat.set(id, Math.max(maxThreat.get(id) ?? 0, clampThreat(f.threat)))
  }
  for (const f of findings) {
    const id = ruleId(f.type)
    if (ruleIndex.has(id)) continue
    ruleIndex.set(id, rules.length)
    rules.push(buildRule(id, f.type, maxThreat.get(id) ?? 0))
  }

  const runId = report.run?.id ?? report.testRunId
  const results = findings.map((f): Result => {
    const id = ruleId(f.type)
    // What is shown is redacted; the fingerprint and the operation are the raw finding's.
    const shown = publishable(f)
    const target = findingUrl(shown)
    const result: Result = {
      ruleId: id,
      ruleIndex: ruleIndex.get(id) ?? 0,
      level: sarifLevel(f.threat),
      message: { text: resultMessage(shown) },
      locations: [findingLocation(opts.locate?.(f)) ?? fileLocation(uri, 1)],
      partialFingerprints: {
        [FINGERPRINT_KEY]: fingerprint(f, opts.resolve),
        primaryLocationLineHash: primaryLocationLineHash(f, opts.resolve)
      },
      properties: compact({
        threat: f.threat,
        severity: severityOf(f.threat),
        'security-severity': securitySeverity(f.threat),
        vulnerabilityId: f.id,
        testRunId: runId,
        code: f.code,
        method: f.method,
        domain: f.domain,
        path: shown.path,
        parameter: f.parameter,
        title: shown.title
      })
    }
    const decision = f.decision
    if (decision !== undefined) {
      result.baselineState = decision.inBaseline ? 'unchanged' : 'new'
      result.properties = { ...result.properties, status: decision.status }
      if (!decision.counted) {
        const why = [statusLabel(decision.status), decision.reason, decision.ticket].filter(
          (v) => v !== undefined
        )
        result.suppressions = [
          { kind: 'external', status: 'accepted', justification: oneLine(why.join(': ')) }
        ]
      }
    }
    if (f.method !== undefined || target !== undefined) {
      result.webRequest = {
        ...(f.method === undefined ? {} : { method: f.method }),
        ...(target === undefined ? {} : { target })
      }
    }
    return result
  })

  const run = report.run
  const invocation: Invocation = {
    executionSuccessful: report.conclusion === 'passed' || report.conclusion === 'failed'
  }
  const start = isoTime(run?.start_time)
  const end = isoTime(run?.end_time)
  if (start !== undefined) invocation.startTimeUtc = start
  if (end !== undefined) invocation.endTimeUtc = end

  const driver: ToolComponent = {
    name: TOOL_NAME,
    informationUri: TOOL_INFORMATION_URI,
    version: opts.toolVersion,
    rules
  }
  const semver = /^v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/.exec(opts.toolVersion.trim())
  if (semver?.[1] !== undefined) driver.semanticVersion = semver[1]

  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        automationDetails: { id: sarifCategory(report, opts) },
        invocations: [invocation],
        results,
        properties: compact({
          conclusion: report.conclusion,
          minThreat: report.minThreat,
          testRunId: runId,
          testRecordId: run?.test_record_id ?? report.testRecordId,
          testRunName: run?.name,
          url: report.runUrl,
          findingsSource: report.findingsSource
        })
      }
    ]
  }
}

function buildRule(id: string, type: string, maxThreat: number): ReportingDescriptor {
  const known = vulnType(type)
  // The rule's texts are Markdown too: an unknown type is shown as its slug, which cannot inject any.
  const title = known?.title ?? id.slice('wallarm-fast/'.length)
  const tags = ['security', 'dast', ...(known?.cwe ?? []).map((c) => `external/cwe/cwe-${c}`)]
  const cwes = (known?.cwe ?? []).map((c) => `CWE-${c}`).join(', ')
  const full =
    `Wallarm FAST found a ${title} vulnerability (type \`${id.slice('wallarm-fast/'.length)}\`) by sending test requests built from ` +
    `the baselines it recorded, and confirming the result.` +
    (cwes === '' ? '' : ` ${cwes}.`)
  const plain = full.replace(/`/g, '')
  const remedy = remedyOf(type)
  return {
    id,
    name: known?.name ?? pascal(type),
    shortDescription: { text: title },
    fullDescription: { text: plain },
    help: {
      text:
        `How to fix: ${remedy.text} See ${remedy.url} (${remedy.source}).\n\n${plain} ` +
        `The test run in the Wallarm console has the request that exploits it; FAST's list of types: ${VULN_LIST_URI}.`,
      markdown:
        `**How to fix:** ${remedy.text} See the [${remedy.source}](${remedy.url}).\n\n${full} ` +
        `The test run in the Wallarm console has the request that exploits it. See also the ` +
        `[FAST vulnerability list](${VULN_LIST_URI}).`
    },
    // Where the reader goes from the alert: how to fix it.
    helpUri: remedy.url,
    defaultConfiguration: { level: sarifLevel(maxThreat) },
    properties: {
      tags,
      'security-severity': securitySeverity(maxThreat),
      precision: 'high',
      problem: { severity: sarifProblemSeverity(maxThreat) }
    }
  }
}

/** `problem.severity`, the non-security severity code scanning shows when `security-severity` is absent. */
function sarifProblemSeverity(threat: number): string {
  const level = sarifLevel(threat)
  return level === 'note' ? 'recommendation' : level
}

/**
 * What, where and how bad, where code scanning shows it: "SQL injection (sqli) in GET /api/search,
 * parameter q, on app.example: threat 80/100 (high). <title> (Wallarm vulnerability 7001, S0001)." A
 * finding known only from the run's summary has no where: "xss (threat 50/100, medium; Wallarm
 * vulnerability 7001, S1)."
 */
function resultMessage(f: Finding): string {
  const title = typeTitle(f.type)
  const what = title === f.type ? f.type : `${title} (${f.type})`
  const severity = `threat ${f.threat}/100`
  const vuln = `Wallarm vulnerability ${f.id}${f.code === undefined ? '' : `, ${f.code}`}`
  const endpoint = findingEndpoint(f)
  const where = [
    endpoint === undefined ? undefined : `in ${endpoint}`,
    f.parameter === undefined ? undefined : `parameter ${f.parameter}`,
    f.domain === undefined ? undefined : `on ${f.domain}`
  ].filter((v) => v !== undefined)
  if (where.length === 0) return oneLine(`${what} (${severity}, ${severityOf(f.threat)}; ${vuln}).`)
  const text =
    `${what} ${where.join(', ')}: ${severity} (${severityOf(f.threat)}).` +
    (f.title === undefined ? '' : ` ${f.title}`) +
    ` (${vuln}).`
  return oneLine(text)
}

/** A line of a file of the repository (`uriBaseId` `%SRCROOT%`: the root code scanning resolves it against). */
function fileLocation(uri: string, startLine: number): Location {
  return {
    physicalLocation: {
      artifactLocation: { uri, uriBaseId: '%SRCROOT%' },
      region: { startLine }
    }
  }
}

/**
 * The operation's method key in the API description, named as the operationId (else `METHOD /template`);
 * undefined without an operation, or for a file that cannot be an artifact URI.
 */
function findingLocation(at: SpecLocation | undefined): Location | undefined {
  const uri = cleanUri(at?.file)
  if (at === undefined || uri === undefined || !(at.line >= 1)) return undefined
  return {
    ...fileLocation(uri, Math.floor(at.line)),
    logicalLocations: [{ name: at.logicalName, fullyQualifiedName: `${at.method} ${at.template}` }]
  }
}

/** A repo-relative path usable as an artifact URI: forward slashes, no leading `./` or `/`, no `..`. */
function cleanUri(path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  const p = path
    .trim()
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
  if (p === '' || p.split('/').includes('..')) return undefined
  return p
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/')
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

function pascal(type: string): string {
  const words = type.split(/[^A-Za-z0-9]+/).filter((w) => w !== '')
  const name = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
  return name === '' ? 'Unknown' : name
}
