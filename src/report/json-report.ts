/**
 * The JSON report (`report-path`): everything a later step or job needs, in a stable shape. It is a
 * contract: `mode: summarize` reads the legs' reports of a matrix (../summarize/), and refuses any other
 * `schemaVersion` (which changes when a field is renamed or removed, or when summarize needs a field to
 * judge a leg; fields may be added). Version 2 added the leg's name, each finding's identity and status.
 * Version 3 moved Wallarm's own status of a finding into `wallarm` with what the leg learned from
 * Wallarm's triage (a regression, a false positive), which summarize applies again, and made summarize
 * recompute every identity from the finding's fields. Version 4 added the run's API coverage (`coverage`,
 * with `openapi`) and, per finding, the spec's `pathTemplate` its identity used; summarize still reads
 * version 3 (no coverage). Built from the `RunReport` field by field, never by spreading API objects, so it
 * cannot carry a token or any field the API might add. Pure: the action layer writes it.
 */
import type { Conclusion, Mode } from '../common/constants.js'
import {
  counts,
  countedFindings,
  FindingStatuses,
  type Finding,
  type FindingStatus,
  type RunReport,
  type TriageSummary,
  type WorkflowContext
} from './model.js'
import { baselineTally } from '../verdict/gate.js'
import { isoTime } from './fields.js'
import { severityOf, type Severity } from './findings.js'
import { fingerprint } from './sarif.js'
import { redactExploit } from './redact.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import type { Coverage } from '../openapi/index.js'

/** The report format this version writes. */
export const REPORT_SCHEMA_VERSION = 4
/** The formats `mode: summarize` reads: version 3 is version 4 without coverage and path templates. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [3, REPORT_SCHEMA_VERSION]

/**
 * What the baseline, ignore and scope rules made of a finding (issue 17's statuses); `new` where no rule
 * applied. Only `new` and `expired` findings (at or above `minThreat`) count, and `known` unless
 * `fail-on` is `new-vulnerabilities`.
 */
export const ReportFindingStatuses = FindingStatuses
export type ReportFindingStatus = FindingStatus

export interface JsonReportBaselines {
  /** `baseline_count`. */
  recorded: number
  /** `baseline_check_all_terminated_count`. */
  checked: number
  /** `baseline_check_fail_count`: baselines where a vulnerability was found. */
  failed: number
  /** `baseline_check_tech_fail_count`. */
  technicalFailures: number
  passed: number
  running: number
  interrupted: number
  waiting: number
  /**
   * Counted in `baseline_count` but in no check counter: excluded by file-extensions-to-exclude, or
   * duplicates of another baseline. The API gives no counter of its own for them.
   */
  skipped: number
}

/** A finding's text fields, each in the report when known (and read back by ../summarize/read.ts). */
export const FINDING_TEXT_FIELDS = [
  'code',
  'method',
  'domain',
  'path',
  'parameter',
  'title',
  'description',
  'exploitExample'
] as const

export interface JsonReportFinding extends Omit<Finding, 'status' | 'learned'> {
  /**
   * The finding's identity across runs and legs: the SHA-256 of `type|METHOD|domain|path|parameter`
   * (`type|code` when the API gave no location), as SARIF's partial fingerprint. The id is not part of
   * it: every test run makes new vulnerability objects. With `openapi`, the path is the template of the
   * operation the finding matches (`pathTemplate`), else the id rule's (../triage/identity.ts).
   */
  identity: string
  /**
   * The spec's template (server prefix included, `/v1/users/{userId}`) that the identity used, when
   * `openapi` was given and the finding matched one operation; absent otherwise.
   */
  pathTemplate?: string
  status: ReportFindingStatus
  /**
   * What the leg learned from Wallarm about it, whatever its own rules made of it, so that summarize can
   * apply it again: Wallarm's own status of the vulnerability object (`active`, `closed`,
   * `falsepositive`) when known; `regressionOf`, the vulnerability of the same identity Wallarm holds
   * `closed` (found again: a regression); `falsePositiveOf`, the one marked false positive (this one, or
   * an earlier one of the same identity).
   */
  wallarm: WallarmKnowledge
  severity: Severity
  /** Counts towards the gate: at or above `minThreat`, and a status that counts under `fail-on`. */
  counted: boolean
  /**
   * `decision.status`: `new`, `expired`, `known`, `ignored`, `triaged` or `out-of-scope`, with the entry's
   * `reason`, `ticket` and `expires` where one applies (see FindingDecision in ./model.ts). Absent only
   * when the rules were not applied (the step ended before).
   */
  decision?: Finding['decision']
}

export interface WallarmKnowledge {
  status?: string
  regressionOf?: string
  falsePositiveOf?: string
}

export interface JsonReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  generatedAt: string
  /** The action that wrote it, so a reader can name the version behind a report it refuses. */
  tool: { name: 'wallarm-fast-action'; version: string }
  /**
   * The leg's name, for a matrix's summary: the `name` input as given, else the test run's name, else the
   * job's id.
   */
  leg: string
  conclusion: Conclusion
  reason: string
  failed: boolean
  mode: Mode
  testRun: {
    /** Exact decimal text (ids may exceed 2^53). */
    id: string | null
    recordId: string | null
    name: string | null
    state: string | null
    url: string | null
    policy: { id: number | null; name: string | null } | null
    /** ISO 8601, from the run's UNIX seconds. */
    startTime: string | null
    endTime: string | null
    baselines: JsonReportBaselines | null
    requestsSent: number | null
    domains: string[]
  }
  minThreat: number
  /** How many findings count (at or above `minThreat`). */
  counted: number
  /** How many findings have each status, whatever their threat. */
  statuses: Record<ReportFindingStatus, number>
  findings: JsonReportFinding[]
  findingsSource: 'details' | 'summary'
  /** What the baseline, ignore file, exclude and Wallarm's triage made of the findings; null before they applied. */
  triage: TriageSummary | null
  /**
   * scan mode's test command: its exit code, whether it was cancelled, and whether failing tests fail the
   * step (tests-must-pass); null when no command ran (other modes, a replay, or the node failed first).
   * `summarize` keeps a leg's failing tests in the matrix's verdict whatever it makes of the findings.
   */
  tests: { exitCode: number; cancelled: boolean; mustPass: boolean } | null
  /**
   * API coverage (`openapi`, scan mode with a hop; a matrix's union in summarize): every operation of the
   * API description with the requests the tests sent, the baselines recorded and the findings (the
   * `Coverage` object of ../openapi/coverage.ts, plain data); null where it is not known.
   */
  coverage: Coverage | null
  warnings: string[]
  context: WorkflowContext
}

export interface JsonReportOptions {
  generatedAt: string
  toolVersion: string
  /** The `name` input as given ('' when empty). */
  legName: string
  /** The spec's templates (`openapi`) for the findings' identities. */
  resolve?: PathTemplateResolver | undefined
}

export function buildJsonReport(report: RunReport, opts: JsonReportOptions): JsonReport {
  const run = report.run
  const counted = countedFindings(report)
  const findings = report.findings.map((f) => jsonFinding(f, report.minThreat, opts.resolve))
  const statuses = Object.fromEntries(ReportFindingStatuses.map((s) => [s, 0])) as JsonReport['statuses']
  for (const f of findings) statuses[f.status]++
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: opts.generatedAt,
    tool: { name: 'wallarm-fast-action', version: opts.toolVersion },
    leg: opts.legName.trim() || run?.name || report.context.job || '',
    conclusion: report.conclusion,
    reason: report.reason,
    failed: report.failed,
    mode: report.mode,
    testRun: {
      id: run?.id ?? report.testRunId ?? null,
      recordId: run?.test_record_id || report.testRecordId || null,
      name: run?.name ?? null,
      state: run === undefined ? null : String(run.state),
      url: report.runUrl ?? null,
      policy:
        run === undefined
          ? null
          : { id: run.policy_id ?? null, name: run.policy_name === undefined ? null : run.policy_name },
      startTime: isoTime(run?.start_time) ?? null,
      endTime: isoTime(run?.end_time) ?? null,
      baselines:
        run === undefined
          ? null
          : {
              recorded: run.baseline_count,
              checked: run.baseline_check_all_terminated_count,
              failed: run.baseline_check_fail_count,
              technicalFailures: run.baseline_check_tech_fail_count,
              passed: run.baseline_check_passed_count,
              running: run.baseline_check_running_count,
              interrupted: run.baseline_check_interrupted_count,
              waiting: run.baseline_check_waiting_count,
              skipped: baselineTally(run).skipped
            },
      requestsSent: run?.sended_requests_count ?? null,
      domains: Array.isArray(run?.domains) ? run.domains.filter((d) => typeof d === 'string') : []
    },
    minThreat: report.minThreat,
    counted: counted.length,
    statuses,
    findings,
    findingsSource: report.findingsSource,
    triage: report.triage === undefined ? null : structuredClone(report.triage),
    tests:
      report.scan?.testsExitCode === undefined
        ? null
        : {
            exitCode: report.scan.testsExitCode,
            cancelled: report.scan.testsCancelled,
            mustPass: report.scan.testsMustPass
          },
    coverage: report.coverage === undefined ? null : structuredClone(report.coverage),
    warnings: [...report.warnings],
    context: jsonContext(report.context)
  }
}

function jsonFinding(
  f: Finding,
  minThreat: number,
  resolve: PathTemplateResolver | undefined
): JsonReportFinding {
  const pathTemplate =
    resolve === undefined || f.path === undefined
      ? undefined
      : resolve({ method: f.method?.toUpperCase(), domain: f.domain?.toLowerCase(), path: f.path })
  const out: JsonReportFinding = {
    identity: fingerprint(f, resolve),
    ...(pathTemplate === undefined ? {} : { pathTemplate }),
    // The rules' status (../triage/decide.ts); none applied (the step ended before): new.
    status: f.decision?.status ?? 'new',
    id: f.id,
    type: f.type,
    threat: f.threat,
    severity: severityOf(f.threat),
    counted: counts(f, minThreat),
    wallarm: wallarmKnowledge(f)
  }
  for (const key of FINDING_TEXT_FIELDS) {
    const value = f[key]
    // The exploit example is kept redacted here too (./redact.ts): the report is an artifact others read.
    if (value !== undefined)
      out[key] = key === 'exploitExample' ? redactExploit(value, { parameter: f.parameter }) : value
  }
  if (f.decision !== undefined) out.decision = { ...f.decision }
  return out
}

function wallarmKnowledge(f: Finding): WallarmKnowledge {
  const out: WallarmKnowledge = {}
  if (f.status !== undefined) out.status = f.status
  if (f.learned?.regressionOf !== undefined) out.regressionOf = f.learned.regressionOf
  if (f.learned?.falsePositiveOf !== undefined) out.falsePositiveOf = f.learned.falsePositiveOf
  return out
}

/** Only the named GITHUB_* fields: nothing else the caller's object may hold. */
function jsonContext(c: WorkflowContext): WorkflowContext {
  const keys = [
    'serverUrl',
    'repository',
    'workflow',
    'workflowRef',
    'job',
    'runId',
    'runNumber',
    'runAttempt',
    'sha',
    'ref'
  ] as const
  const out: WorkflowContext = {}
  for (const key of keys) {
    const value = c[key]
    if (value !== undefined) out[key] = value
  }
  return out
}
