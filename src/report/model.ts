/**
 * What one step of the action concluded, in a form every report writer (outputs, job summary, JSON
 * report, SARIF, JUnit, annotations, pull-request comment) can render without knowing how it was
 * obtained. Built by the action layer; pure data.
 */
import type { Conclusion, Mode } from '../common/constants.js'
import type { TestRun } from '../wallarm/types.js'
import type { Coverage } from '../openapi/index.js'

/** One vulnerability, from the full details (`POST /v1/objects/vuln`) where the token may read them, else from the run's own `vulns`. */
export interface Finding {
  /** Exact decimal text; `''` when the API gave none. */
  id: string
  type: string
  /** 1..100, higher is worse. */
  threat: number
  code?: string | undefined
  method?: string | undefined
  domain?: string | undefined
  path?: string | undefined
  parameter?: string | undefined
  /** summarize mode: the legs of the matrix that found it. */
  legs?: string[] | undefined
  title?: string | undefined
  description?: string | undefined
  exploitExample?: string | undefined
  /** Wallarm's own status of the vulnerability object: `active`, `closed` or `falsepositive`. */
  status?: string | undefined
  /** What the baseline, ignore file, `exclude` and Wallarm's triage made of it (../triage/decide.ts). */
  decision?: FindingDecision | undefined
  /**
   * What Wallarm's triage says of it, whatever the rules decided (a leg's report carries it, so that
   * summarize applies it again): see ../report/wallarm-knowledge.ts.
   */
  learned?: { regressionOf?: string | undefined; falsePositiveOf?: string | undefined } | undefined
}

/**
 * Every finding gets one status. `new` and `expired` (a baseline or ignore entry past its `expires`)
 * count; `known` (in the baseline) counts only when `fail-on` is not `new-vulnerabilities`; `ignored`
 * (ignore file), `triaged` (false positive in Wallarm) and `out-of-scope` (`exclude`) never count.
 */
export const FindingStatuses = ['new', 'expired', 'known', 'ignored', 'triaged', 'out-of-scope'] as const
export type FindingStatus = (typeof FindingStatuses)[number]

export interface FindingDecision {
  status: FindingStatus
  /** Whether it counts towards the gate under the `fail-on` in effect (threat aside). */
  counted: boolean
  /** Its identity is in the baseline (SARIF's `baselineState` `unchanged`), expired or not. */
  inBaseline: boolean
  /** The entry's reason (ignored, known, expired), or why (triaged, out of scope). */
  reason?: string | undefined
  ticket?: string | undefined
  /** YYYY-MM-DD. */
  expires?: string | undefined
  /** expired: which file's entry expired. */
  expiredFrom?: 'baseline' | 'ignore' | undefined
  /** triaged: the Wallarm vulnerability marked false positive (this one, or an earlier one of the same identity). */
  triagedVulnerabilityId?: string | undefined
  /** triaged: where to see it in the Wallarm console (its vulnerabilities page). */
  link?: string | undefined
  /** A vulnerability of the same identity was closed in Wallarm: found again, it is a regression. */
  regressionOf?: string | undefined
}

/** What a reader calls a status: `out of scope` for `out-of-scope`. */
export function statusLabel(status: FindingStatus): string {
  return status.replace(/-/g, ' ')
}

/** Where the run happened, from the runner's environment (GITHUB_*). All optional: reports work outside Actions too. */
export interface WorkflowContext {
  serverUrl?: string | undefined
  repository?: string | undefined
  workflow?: string | undefined
  /** `owner/repo/.github/workflows/ci.yml@refs/heads/main` */
  workflowRef?: string | undefined
  job?: string | undefined
  runId?: string | undefined
  runNumber?: string | undefined
  runAttempt?: string | undefined
  sha?: string | undefined
  ref?: string | undefined
}

export interface RunReport {
  mode: Mode
  conclusion: Conclusion
  /** One sentence that explains the conclusion, for the verdict line and the failure annotation. */
  reason: string
  /** Whether the step fails (the gate's decision, or an error). */
  failed: boolean
  /** Exact decimal text (see ../wallarm/types.ts `Id`). */
  testRunId?: string | undefined
  testRecordId?: string | undefined
  /** The last state of the run that was seen, if any. */
  run?: TestRun | undefined
  /** Every finding, sorted by threat, highest first. */
  findings: Finding[]
  /** Findings below this threat do not count towards the gate, the count or the annotations. */
  minThreat: number
  /** `details` when the full vulnerability objects were read; `summary` when only the run's `vulns` were. */
  findingsSource: 'details' | 'summary'
  /** Link to this test run in the Wallarm console. */
  runUrl?: string | undefined
  /** Notes for the reader (no baselines recorded, details not readable, pre-empted run, …). */
  warnings: string[]
  context: WorkflowContext
  /** scan mode: the tests' result and what they sent. */
  scan?: ScanOutcome | undefined
  /** What the baseline, ignore file, exclude and Wallarm's triage decided (absent before they apply). */
  triage?: TriageSummary | undefined
  /** summarize mode: the legs of the matrix. */
  matrix?: MatrixReport | undefined
  /**
   * API coverage (`openapi`): every operation of the API description with what the tests sent, the
   * baselines recorded and the findings; undefined where the traffic is not known (every mode but scan
   * with a hop, and a summarize whose legs carry none).
   */
  coverage?: Coverage | undefined
}

/** summarize mode: one leg of the matrix, as its report said. */
export interface MatrixLeg {
  name: string
  /** The report file it came from. */
  file: string
  conclusion: Conclusion
  testRunId?: string | undefined
  runUrl?: string | undefined
  policy?: string | undefined
  baselines?: number | undefined
  /** Of this leg's findings: all, and how many count here (this step's min-threat and rules). */
  findings: number
  counted: number
}

export interface MatrixReport {
  legs: MatrixLeg[]
  /** The expected legs (by name) that did not report. */
  missing: string[]
  /** How many expected legs did not report (by name or by count). */
  missingCount: number
}

/**
 * Whether a finding counts towards the gate, the count and the annotations: at or above the threshold,
 * or of unknown threat (0: the API rates 1..100), since a gate must not pass what it cannot rate.
 */
export function counts(finding: Pick<Finding, 'threat' | 'decision'>, minThreat: number): boolean {
  return atThreshold(finding, minThreat) && finding.decision?.counted !== false
}

/** At or above `min-threat`, or of unknown threat: whatever its status (SARIF reports these, suppressed or not). */
export function atThreshold(finding: Pick<Finding, 'threat'>, minThreat: number): boolean {
  return finding.threat >= minThreat || !(finding.threat > 0)
}

/** The findings that count (see {@link counts}). */
export function countedFindings(report: Pick<RunReport, 'findings' | 'minThreat'>): Finding[] {
  return report.findings.filter((f) => counts(f, report.minThreat))
}

/**
 * The findings at or above the threshold that a rule set aside (known under `new-vulnerabilities`,
 * ignored, triaged, out of scope): SARIF suppresses them, JUnit skips them.
 */
export function setAsideFindings(report: Pick<RunReport, 'findings' | 'minThreat'>): Finding[] {
  return report.findings.filter((f) => atThreshold(f, report.minThreat) && f.decision?.counted === false)
}

/** What the triage rules made of a run, beyond each finding's own decision (../triage/decide.ts). */
export interface TriageSummary {
  failOn: 'vulnerabilities' | 'new-vulnerabilities' | 'never'
  counts: Record<FindingStatus, number>
  /** Baseline entries no finding matched: not observed in this run, never "fixed". */
  unobserved: Array<
    Pick<Finding, 'type' | 'method' | 'domain' | 'path' | 'parameter' | 'code'> & {
      reason?: string | undefined
      ticket?: string | undefined
    }
  >
  baselineFile: string
  /** The baseline file was not there: an empty baseline. */
  baselineMissing: boolean
  ignoreFile: string
}

/** What scan mode adds to a run's report: the tests' own result and what they sent. */
export interface ScanOutcome {
  /** The test command's exit code; undefined when it never ran (the node or the run failed first). */
  testsExitCode?: number
  /** The command was ended by a cancellation. */
  testsCancelled: boolean
  /** Whether failing tests fail the step (the tests-must-pass input). */
  testsMustPass: boolean
  /** The started node's log file; undefined with node-url. */
  nodeLogPath?: string
  /** The summary section of what the tests sent (table and diagnoses), when the command ran. */
  trafficMarkdown?: string
  /** What the tests sent through the hop, per method and path pattern (API coverage), when the command ran. */
  sent?: { method: string; path: string; count: number; recorded: boolean }[]
  /** The test record the node replayed (test-record-id): no tests ran, by design. */
  replayedRecordId?: string | undefined
}
