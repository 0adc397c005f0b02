/**
 * The JSON report (`report-path`): everything a later step or job needs, in a stable shape
 * (`schemaVersion` changes when a field is renamed or removed; fields may be added). Built from the
 * `RunReport` field by field, never by spreading API objects, so it cannot carry a token or any field
 * the API might add. Pure: the action layer writes it.
 */
import type { Conclusion, Mode } from '../common/constants.js'
import {
  counts,
  countedFindings,
  type Finding,
  type RunReport,
  type TriageSummary,
  type WorkflowContext
} from './model.js'
import { baselineTally } from '../verdict/gate.js'
import { isoTime } from './fields.js'
import { severityOf, type Severity } from './findings.js'

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

export interface JsonReportFinding extends Finding {
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

export interface JsonReport {
  schemaVersion: 1
  generatedAt: string
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
  findings: JsonReportFinding[]
  findingsSource: 'details' | 'summary'
  /** What the baseline, ignore file, exclude and Wallarm's triage made of the findings; null before they applied. */
  triage: TriageSummary | null
  warnings: string[]
  context: WorkflowContext
}

export function buildJsonReport(report: RunReport, generatedAt: string): JsonReport {
  const run = report.run
  const counted = countedFindings(report)
  return {
    schemaVersion: 1,
    generatedAt,
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
    findings: report.findings.map((f) => jsonFinding(f, report.minThreat)),
    findingsSource: report.findingsSource,
    triage: report.triage === undefined ? null : structuredClone(report.triage),
    warnings: [...report.warnings],
    context: jsonContext(report.context)
  }
}

function jsonFinding(f: Finding, minThreat: number): JsonReportFinding {
  const out: JsonReportFinding = {
    id: f.id,
    type: f.type,
    threat: f.threat,
    severity: severityOf(f.threat),
    counted: counts(f, minThreat)
  }
  const optional = [
    'code',
    'method',
    'domain',
    'path',
    'parameter',
    'title',
    'description',
    'exploitExample',
    'status'
  ] as const
  for (const key of optional) {
    const value = f[key]
    if (value !== undefined) out[key] = value
  }
  if (f.decision !== undefined) out.decision = { ...f.decision }
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
