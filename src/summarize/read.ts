/**
 * Reading the legs' JSON reports (../report/json-report.ts, the contract) back: every file the glob
 * found is a report of a schema version this action reads, or it is refused by name. Nothing is
 * skipped silently. What a report holds is untrusted (an artifact anyone with write access to the
 * workflow could have shaped): each field is checked for its type, and only the known fields are kept.
 * Version 3 is read too (a leg of the previous version: no coverage, identities by the id rule).
 */
import { readFileSync, statSync } from 'node:fs'
import { relative } from 'node:path'
import { Conclusions, Modes, type Conclusion, type Mode } from '../common/constants.js'
import { isOneOf } from '../inputs/parse.js'
import type { Finding } from '../report/model.js'
import { fingerprint } from '../report/sarif.js'
import { describeIdentity } from '../triage/identity.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import { CoverageFormatError, parseCoverage, type Coverage } from '../openapi/index.js'
import type { RunCounters } from '../verdict/gate.js'
import {
  FINDING_TEXT_FIELDS,
  READABLE_SCHEMA_VERSIONS,
  ReportFindingStatuses,
  type ReportFindingStatus
} from '../report/json-report.js'

/** A report larger than this is refused (a leg's report with 20,000 findings is about 10 MB). */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024

/**
 * A finding as a leg reported it: the fields the summary needs, with its identity (recomputed from its
 * fields), the leg's status, Wallarm's status and what the leg learned from Wallarm (`learned`).
 */
export type LegFinding = Finding & { identity: string; legStatus: ReportFindingStatus }

/** One leg, from its report. */
export interface LegReport {
  /** The file, relative to the workspace where it is inside it. */
  file: string
  leg: string
  conclusion: Conclusion
  reason: string
  testRunId: string | undefined
  testRecordId: string | undefined
  runUrl: string | undefined
  policy: { id: number | undefined; name: string | undefined } | undefined
  baselines: number | undefined
  /** The run's counters as the leg reported them, when it had a run: whether its pass tested anything. */
  counters: RunCounters | undefined
  /** The leg's mode, when the report names one this version knows. */
  mode: Mode | undefined
  /** The leg's step failed: also for a reason other than findings (scan's tests, with tests-must-pass). */
  stepFailed: boolean
  /** The leg's tests failed (or were cancelled) and tests-must-pass made that fail its step. */
  testsFailed: { exitCode: number; cancelled: boolean } | undefined
  /** How many findings counted in the leg (its own min-threat and rules). */
  counted: number
  minThreat: number
  findings: LegFinding[]
  toolVersion: string | undefined
  /** GITHUB_RUN_ID from the report's workflow context, when it is a run id (digits). */
  runId?: string | undefined
  /** The leg's API coverage (`openapi`, scan mode), checked; undefined where its report carries none. */
  coverage?: Coverage | undefined
}

/** This step's API description (`openapi`): the identities are recomputed with its templates. */
export interface SummarizeSpec {
  /** The `openapi` input, for messages. */
  file: string
  resolve: PathTemplateResolver
}

/** A file that is not a report this version reads: the file and why. */
export class RefusedReport extends Error {
  constructor(
    readonly file: string,
    why: string
  ) {
    super(`${file}: ${why}`)
    this.name = 'RefusedReport'
  }
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** @throws RefusedReport naming the file and what is wrong with it */
export function readLegReport(path: string, workspace: string, spec?: SummarizeSpec): LegReport {
  const rel = relative(workspace, path)
  const file = rel !== '' && !rel.startsWith('..') ? rel : path
  const refuse = (why: string): never => {
    throw new RefusedReport(file, why)
  }
  let size = 0
  try {
    size = statSync(path).size
  } catch (err) {
    refuse(`cannot be read (${(err as Error).message})`)
  }
  if (size > MAX_REPORT_BYTES) refuse(`is ${size} bytes, larger than a report can be (${MAX_REPORT_BYTES})`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    refuse(`is not JSON (${(err as Error).message.slice(0, 200)}), so not a Wallarm FAST report`)
  }
  if (
    !isObject(data) ||
    !('schemaVersion' in data) ||
    !isObject(data.testRun) ||
    !Array.isArray(data.findings)
  )
    return refuse(
      'is not a Wallarm FAST report (no schemaVersion, testRun and findings): the reports input should match only the legs’ report-path files'
    )
  const tool = isObject(data.tool) ? str(data.tool.version) : undefined
  if (typeof data.schemaVersion !== 'number' || !READABLE_SCHEMA_VERSIONS.includes(data.schemaVersion)) {
    return refuse(
      `has schema version ${JSON.stringify(data.schemaVersion)}${tool ? ` (written by version ${tool})` : ''}, ` +
        `and this version of the action reads versions ${READABLE_SCHEMA_VERSIONS.join(' and ')} only: use the same version of the action in the legs and here`
    )
  }
  const conclusion = str(data.conclusion) ?? ''
  if (!isOneOf(conclusion, Conclusions))
    refuse(
      `has the conclusion ${JSON.stringify(data.conclusion)}, which is none of ${Conclusions.join(', ')}`
    )
  const leg = str(data.leg)
  if (leg === undefined) refuse('has no leg name (leg)')
  const run = data.testRun
  const policy = isObject(run.policy) ? { id: num(run.policy.id), name: str(run.policy.name) } : undefined
  const baselines = isObject(run.baselines) ? num(run.baselines.recorded) : undefined
  const counters = isObject(run.baselines) ? runCounters(run.baselines) : undefined
  const mode = str(data.mode) ?? ''
  const findings = (data.findings as unknown[]).map((f, i) => legFinding(f, i, refuse, spec))
  let coverage: Coverage | undefined
  if (data.coverage !== undefined && data.coverage !== null) {
    try {
      coverage = parseCoverage(data.coverage, file)
    } catch (err) {
      if (!(err instanceof CoverageFormatError)) throw err
      const said = err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message
      refuse(said)
    }
  }
  return {
    file,
    leg: leg as string,
    conclusion: conclusion as Conclusion,
    reason: str(data.reason) ?? '',
    testRunId: str(run.id),
    testRecordId: str(run.recordId),
    runUrl: str(run.url),
    policy,
    baselines,
    counters,
    mode: isOneOf(mode, Modes) ? mode : undefined,
    stepFailed: data.failed === true,
    testsFailed: failedTests(data.tests),
    counted: num(data.counted) ?? 0,
    minThreat: num(data.minThreat) ?? 1,
    findings,
    toolVersion: tool,
    runId: workflowRunId(data.context),
    coverage
  }
}

/** The report's GITHUB_RUN_ID: digits only, as GitHub writes it; anything else is not taken. */
function workflowRunId(context: unknown): string | undefined {
  const id = isObject(context) ? str(context.runId) : undefined
  return id !== undefined && /^\d{1,20}$/.test(id) ? id : undefined
}

/** The leg's tests, when they failed its step: a non-zero exit code with tests-must-pass. */
function failedTests(t: unknown): LegReport['testsFailed'] {
  if (!isObject(t) || t.mustPass !== true) return undefined
  const exitCode = num(t.exitCode)
  return exitCode === undefined || exitCode === 0 ? undefined : { exitCode, cancelled: t.cancelled === true }
}

/** The API's counters back from the report's names (../report/json-report.ts); a missing one is 0. */
function runCounters(b: Json): RunCounters {
  const n = (v: unknown): number => num(v) ?? 0
  return {
    baseline_count: n(b.recorded),
    baseline_check_all_terminated_count: n(b.checked),
    baseline_check_passed_count: n(b.passed),
    baseline_check_fail_count: n(b.failed),
    baseline_check_tech_fail_count: n(b.technicalFailures),
    baseline_check_interrupted_count: n(b.interrupted),
    baseline_check_running_count: n(b.running),
    baseline_check_waiting_count: n(b.waiting)
  }
}

function legFinding(
  f: unknown,
  i: number,
  refuse: (why: string) => never,
  spec: SummarizeSpec | undefined
): LegFinding {
  if (!isObject(f)) return refuse(`finding ${i + 1} is not an object`)
  const stored = str(f.identity)
  const type = str(f.type)
  const threat = num(f.threat)
  if (stored === undefined || stored === '' || type === undefined || threat === undefined)
    return refuse(`finding ${i + 1} has no identity, type or threat`)
  const status = str(f.status) ?? ''
  if (!isOneOf(status, ReportFindingStatuses))
    return refuse(
      `finding ${i + 1} has the status ${JSON.stringify(f.status)}, which is none of ${ReportFindingStatuses.join(', ')}`
    )
  const out: LegFinding = { identity: '', legStatus: status, id: str(f.id) ?? '', type, threat }
  for (const key of FINDING_TEXT_FIELDS) {
    const value = str(f[key])
    if (value !== undefined) out[key] = value
  }
  // The identity follows from the fields, never from the report's word: one carrying another finding's
  // identity would fold a real finding of another leg into it, out of the verdict. It is this step's
  // (with this step's `openapi`); the leg's may be that, or the id rule's (a leg without `openapi`).
  out.identity = fingerprint(out, spec?.resolve)
  if (stored !== out.identity && stored !== fingerprint(out)) {
    const template = str(f.pathTemplate)
    const named = `finding ${i + 1} (${describeIdentity(out).slice(0, 200)})`
    // The leg's identity used its API description's template: this step needs the same description.
    if (template !== undefined && stored === fingerprint(out, () => template)) {
      const shown = JSON.stringify(template.slice(0, 200))
      return refuse(
        spec === undefined
          ? `${named} has an identity made with the path template ${shown} of the leg's API description: give this step the openapi input the legs had, so that it makes the same identities`
          : `${named} has an identity made with the path template ${shown} of the leg's API description, which this step's openapi (${spec.file}) does not give it: give the legs and this step the same openapi file`
      )
    }
    return refuse(
      `${named} has the identity ${short(stored)}, but its fields make ` +
        `${short(out.identity)}: the report was changed after the leg wrote it, or another version of the action wrote it`
    )
  }
  const wallarm = isObject(f.wallarm) ? f.wallarm : {}
  const wallarmStatus = str(wallarm.status)
  if (wallarmStatus !== undefined) out.status = wallarmStatus
  const learned: NonNullable<LegFinding['learned']> = {}
  for (const key of ['regressionOf', 'falsePositiveOf'] as const) {
    const value = wallarm[key]
    if (value === undefined) continue
    if (typeof value !== 'string' || !/^\d{1,40}$/.test(value))
      return refuse(
        `finding ${i + 1} has a wallarm.${key} that is not a vulnerability id (${JSON.stringify(value)})`
      )
    learned[key] = value
  }
  if (Object.keys(learned).length > 0) out.learned = learned
  return out
}

/** The start of a SHA-256 identity (or of whatever a report holds there), for messages. */
function short(identity: string): string {
  return identity.length > 12 ? `${identity.slice(0, 12)}…` : JSON.stringify(identity)
}
