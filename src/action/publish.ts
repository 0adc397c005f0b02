/**
 * Publishing a run: the outputs (mapped from the run in one place, {@link Publisher.runKnown}, as soon as
 * the ids are known and again at the end), the report files, the annotations, the job summary and the
 * pull-request comment. Each of the last four only warns when it fails: the verdict stands.
 */
import { Env, Inputs, Outputs, WAITED_CONCLUSIONS, type Conclusion } from '../common/constants.js'
import { message } from '../common/error-message.js'
import type { FlowResult } from '../modes/flow.js'
import type { SummarizeResult } from '../modes/summarize.js'
import { decide, type GateDecision } from '../verdict/gate.js'
import { withTests } from '../verdict/scan-outcome.js'
import { gateOnCoverage } from '../verdict/coverage-gate.js'
import { computeCoverage, locateFinding, type Coverage, type SentRequest } from '../openapi/index.js'
import { excludedBy } from '../triage/exclude.js'
import type { Settings } from '../inputs/settings.js'
import { buildAnnotations } from '../report/annotations.js'
import type { LocateFinding } from '../report/sarif.js'
import { toFindings, vulnerabilitiesJsonOutput } from '../report/findings.js'
import {
  atThreshold,
  countedFindings,
  type Finding,
  type RunReport,
  type WorkflowContext
} from '../report/model.js'
import { mergeBaseline, type Baseline } from '../triage/baseline.js'
import { today } from '../triage/dates.js'
import { decideStatuses, type TriageOutcome } from '../triage/decide.js'
import type { LoadedRules } from '../triage/load.js'
import { renderSummary } from '../report/summary.js'
import { renderComment } from '../report/pr-comment.js'
import { withWallarmKnowledge } from '../report/wallarm-knowledge.js'
import { commentMarker, pullRequestTarget, renderCommentBody, upsertComment } from '../github/comment.js'
import { logSafe } from '../text/untrusted.js'
import { VERSION } from '../common/version.js'
import { testRunUrl, vulnerabilitiesUrl } from '../wallarm/hosts.js'
import type { TestRun } from '../wallarm/types.js'
import { readEventPayload, workflowContext } from './context.js'
import { writeReports } from './files.js'
import type { OutputSink } from './outputs.js'
import type { RunnerPort } from './port.js'

export class Publisher {
  private readonly context: WorkflowContext

  constructor(
    private readonly port: RunnerPort,
    private readonly outputs: OutputSink,
    private readonly settings: Settings,
    private readonly env: NodeJS.ProcessEnv,
    /** The baseline, ignore file and exclude rules (read before any API call). */
    private readonly rules?: LoadedRules,
    /** The wall clock (ms), for expiry and the baseline's dates. */
    private readonly now: () => number = Date.now
  ) {
    this.context = workflowContext(env)
  }

  /** The run's outputs, and for the modes that start a run the variables later steps of the job read. */
  runKnown(run: TestRun): void {
    this.outputs.set(Outputs.TestRunId, run.id)
    this.outputs.set(Outputs.TestRecordId, run.test_record_id)
    this.outputs.set(Outputs.State, run.state)
    this.outputs.set(Outputs.Baselines, run.baseline_count)
    this.outputs.set(Outputs.Url, this.runUrl(run))
    if (this.settings.mode === 'record' || this.settings.mode === 'reuse') {
      this.outputs.exportVariable(Env.TestRunId, String(run.id))
      this.outputs.exportVariable(Env.TestRecordId, String(run.test_record_id))
    }
  }

  /** Publishes everything the result says and returns the gate's decision (the caller fails the step). */
  async publish(result: FlowResult): Promise<GateDecision> {
    const { settings } = this
    const run = result.run
    const wallarm = result.triaged === undefined ? undefined : toFindings(undefined, result.triaged)
    // What Wallarm's triage says of each finding, kept on it for the report (summarize applies it again).
    const found = withWallarmKnowledge(toFindings(run, result.details), wallarm, this.now())
    const triage = this.triage(found, wallarm)
    const findings = triage?.findings ?? found
    // What was not found says something only of a run that was tested and waited for: a record step
    // has found nothing yet, so no entry is "not observed" and no ignore entry "matched nothing".
    const tested =
      run !== undefined && settings.mode !== 'record' && WAITED_CONCLUSIONS.includes(result.conclusion)
    const coverage = this.coverage(result.scan?.sent, findings)
    // scan mode: the tests' own result joins the scan's verdict; then min-coverage.
    const gated = withTests(
      decide({
        conclusion: result.conclusion,
        reason: result.reason,
        failOn: settings.failOn,
        minThreat: settings.minThreat,
        findings,
        mode: settings.mode,
        run,
        techFailTolerance: settings.techFailTolerance,
        recordingEnded: result.recordingEnded,
        replayedRecordId: result.scan?.replayedRecordId,
        // The input says what the run does only where this step created the run.
        stopOnFirstFail:
          settings.mode === 'stop' || settings.mode === 'wait' ? undefined : settings.stopOnFirstFail
      }),
      result.scan
    )
    const decision = gateOnCoverage(gated, coverage, settings.minCoverage, settings.failOn)
    const report: RunReport = {
      mode: settings.mode,
      conclusion: decision.conclusion,
      reason: decision.reason,
      failed: decision.failed,
      testRunId: run?.id,
      testRecordId: run?.test_record_id,
      run,
      findings,
      minThreat: settings.minThreat,
      findingsSource: result.details ? 'details' : 'summary',
      runUrl: run ? this.runUrl(run) : undefined,
      warnings: result.warnings,
      context: this.context,
      scan: result.scan,
      triage: this.triageSummary(triage, tested),
      coverage
    }
    return this.deliver(report, decision, {
      warnings: [...result.warnings, ...(triage?.warnings ?? [])],
      notices: tested ? (triage?.notices ?? []) : []
    })
  }

  /**
   * summarize mode: what the legs learned from Wallarm's triage (`wallarm`), then the baseline, ignore and
   * scope rules, applied once to the matrix's merged findings (runSummarize calls it), as publish applies
   * them to a run's; the outcome is kept for the report.
   */
  readonly matrixRules = <T extends Finding>(findings: T[], wallarm: readonly Finding[]): T[] => {
    this.matrixTriage = this.triage(findings, wallarm)
    return (this.matrixTriage?.findings as T[] | undefined) ?? findings
  }

  private matrixTriage: TriageOutcome | undefined

  /** summarize mode: the matrix's one report, gated and published as any other mode's. */
  async publishMatrix(result: SummarizeResult): Promise<GateDecision> {
    const { settings } = this
    const triage = this.matrixTriage
    // What was not found says something only when some leg reported.
    const tested = result.matrix.legs.length > 0
    const gated = decide({
      conclusion: result.conclusion,
      reason: result.reason,
      failOn: settings.failOn,
      minThreat: settings.minThreat,
      findings: result.findings,
      mode: settings.mode,
      run: undefined,
      techFailTolerance: settings.techFailTolerance
    })
    // The matrix's own reason names the legs: kept unless the gate changed the conclusion.
    const judged = gated.conclusion === result.conclusion ? { ...gated, reason: result.reason } : gated
    // min-coverage applies to the union of the legs' coverage.
    const coverage = result.coverage
    if (coverage !== undefined) {
      this.outputs.set(Outputs.Operations, coverage.operations)
      this.outputs.set(Outputs.OperationsTested, coverage.tested)
    }
    const decision = gateOnCoverage(
      judged,
      coverage,
      settings.minCoverage,
      settings.failOn,
      'no leg’s report carries API coverage (the legs need openapi, in scan mode with run, and this version of the action)'
    )
    const report: RunReport = {
      mode: settings.mode,
      conclusion: decision.conclusion,
      reason: decision.reason,
      failed: decision.failed,
      testRecordId: result.testRecordId,
      findings: result.findings,
      minThreat: settings.minThreat,
      findingsSource: 'details',
      warnings: result.warnings,
      context: this.context,
      matrix: result.matrix,
      triage: this.triageSummary(triage, tested),
      coverage
    }
    if (result.testRecordId !== undefined) this.outputs.set(Outputs.TestRecordId, result.testRecordId)
    return this.deliver(report, decision, {
      warnings: [...result.warnings, ...(triage?.warnings ?? [])],
      notices: tested ? (triage?.notices ?? []) : []
    })
  }

  private triageSummary(triage: TriageOutcome | undefined, tested: boolean): RunReport['triage'] {
    return triage && this.rules
      ? {
          failOn: this.settings.failOn,
          counts: triage.counts,
          unobserved: tested ? triage.unobserved : [],
          baselineFile: this.rules.baselineFile,
          baselineMissing: this.rules.baselineMissing,
          ignoreFile: this.rules.ignoreFile
        }
      : undefined
  }

  private async deliver(
    report: RunReport,
    decision: GateDecision,
    said: { warnings: string[]; notices: string[] }
  ): Promise<GateDecision> {
    const { settings, port } = this
    const findings = report.findings
    for (const warning of said.warnings) port.warning(warning)
    for (const notice of said.notices) port.notice(notice, { title: 'Wallarm FAST: ignore file' })

    const vulnerabilities = this.conclude(report, decision.conclusion)
    this.writeFiles(
      report,
      vulnerabilities,
      this.rules && mergeBaseline(this.rules.baseline, findings, today(this.now()), this.rules.resolve)
    )
    this.annotate(report)
    // Exploit examples are recorded traffic: the tokens are masked in them wherever they are published.
    const shown = {
      secrets: [settings.token, settings.apiToken],
      openapi: this.rules?.api?.file
    }
    await this.writeSummary(renderSummary(report, { now: this.now(), ...shown }))
    if (settings.comment) await this.comment(renderComment(report, shown))

    // Said once: as the step's failure when the gate fails it (the caller), else as a log line.
    // A stdout line, which the runner reads for workflow commands: the reason may quote the API.
    if (!decision.failed) port.info(logSafe(`Conclusion: ${decision.conclusion}. ${decision.reason}`))
    return decision
  }

  /**
   * API coverage (`openapi`) of what the tests sent through the hop; undefined where the traffic is not
   * known. Sets the outputs `operations` and `operations-tested`.
   */
  private coverage(sent: SentRequest[] | undefined, findings: readonly Finding[]): Coverage | undefined {
    const api = this.rules?.api
    const matcher = this.rules?.matcher
    if (api === undefined || matcher === undefined || sent === undefined) return undefined
    const exclude = this.rules?.exclude ?? []
    const coverage = computeCoverage({
      matcher,
      spec: api.file,
      requests: sent,
      findings,
      exclude: (method, path) => excludedBy(exclude, method, path) !== undefined
    })
    this.outputs.set(Outputs.Operations, coverage.operations)
    this.outputs.set(Outputs.OperationsTested, coverage.tested)
    return coverage
  }

  /**
   * With `openapi`, in every mode: the operation a finding's method and path match, for SARIF to put the
   * finding at its method key. Undefined without a spec.
   */
  private findingLocator(): LocateFinding | undefined {
    const matcher = this.rules?.matcher
    if (matcher === undefined) return undefined
    return (f) =>
      f.method === undefined || f.path === undefined ? undefined : locateFinding(matcher, f.method, f.path)
  }

  /** Every finding's status, when the rules were read (see ../triage/decide.ts). */
  private triage(findings: Finding[], wallarm: readonly Finding[] | undefined): TriageOutcome | undefined {
    if (this.rules === undefined) return undefined
    return decideStatuses(findings, {
      ...this.rules,
      wallarm,
      failOn: this.settings.failOn,
      vulnerabilitiesUrl: this.settings.api.consoleUrl
        ? vulnerabilitiesUrl(this.settings.api.consoleUrl)
        : undefined,
      nowMs: this.now()
    })
  }

  private runUrl(run: TestRun): string | undefined {
    return this.settings.api.consoleUrl ? testRunUrl(this.settings.api.consoleUrl, run.id) : undefined
  }

  /** The conclusion and the verdict outputs; returns how many findings `vulnerabilities-json` could hold. */
  private conclude(report: RunReport, conclusion: Conclusion): { included: number; total: number } {
    const { outputs } = this
    if (report.run) this.runKnown(report.run)
    outputs.conclude(conclusion)
    // Empty where nothing could have been tested yet (record mode) or there is no run; otherwise what is
    // known so far (final once the run finished).
    const counted = countedFindings(report)
    const verdictKnown = (report.run !== undefined || report.matrix !== undefined) && report.mode !== 'record'
    outputs.set(Outputs.Vulnerabilities, verdictKnown ? counted.length : '')
    const json = vulnerabilitiesJsonOutput(verdictKnown ? counted : [])
    outputs.set(Outputs.VulnerabilitiesJson, verdictKnown ? json.json : '')
    const withStatus = (...statuses: string[]): number =>
      report.findings.filter(
        (f) => atThreshold(f, report.minThreat) && statuses.includes(f.decision?.status ?? 'new')
      ).length
    outputs.set(Outputs.NewVulnerabilities, verdictKnown ? withStatus('new', 'expired') : '')
    outputs.set(Outputs.Ignored, verdictKnown ? withStatus('ignored') : '')
    outputs.set(Outputs.TestsExitCode, report.scan?.testsExitCode)
    outputs.set(Outputs.NodeLogPath, report.scan?.nodeLogPath)
    return json
  }

  private writeFiles(
    report: RunReport,
    vulnerabilities: { included: number; total: number },
    baseline: Baseline | undefined
  ): void {
    try {
      const files = writeReports(report, {
        baseline,
        env: this.env,
        sarif: this.settings.sarif,
        toolVersion: VERSION,
        legName: this.port.getInput(Inputs.Name),
        resolve: this.rules?.resolve,
        now: new Date(),
        secrets: [this.settings.token, this.settings.apiToken],
        locate: this.findingLocator()
      })
      this.outputs.set(Outputs.ReportPath, files.reportPath)
      this.outputs.set(Outputs.BaselinePath, files.baselinePath)
      if (vulnerabilities.included < vulnerabilities.total) {
        this.port.warning(
          `The vulnerabilities-json output holds the ${vulnerabilities.included} highest-threat of ` +
            `${vulnerabilities.total} vulnerabilities, to stay within GitHub's 1 MB per output; the report ` +
            `file (report-path, ${files.reportPath}) has them all.`
        )
      }
      this.outputs.set(Outputs.SarifPath, files.sarifPath)
      this.outputs.set(Outputs.JunitPath, files.junitPath)
    } catch (err) {
      this.port.warning(`Writing the report files failed: ${message(err)}`)
    }
  }

  private annotate(report: RunReport): void {
    for (const a of buildAnnotations(report).annotations) this.port[a.level](a.message, { title: a.title })
  }

  private async writeSummary(summary: string): Promise<void> {
    if (!this.env.GITHUB_STEP_SUMMARY) return
    try {
      await this.port.appendSummary(summary)
    } catch (err) {
      this.port.warning(`Writing the job summary failed: ${message(err)}`)
    }
  }

  private async comment(markdown: string): Promise<void> {
    const { port, context } = this
    const target = pullRequestTarget(
      this.env.GITHUB_EVENT_NAME,
      readEventPayload(this.env),
      context.repository
    )
    if (!target) {
      port.info('comment: not a pull-request event, so no comment is written.')
      return
    }
    const token = this.settings.githubToken
    if (!token) {
      port.warning('comment: github-token is empty, so no pull-request comment is written.')
      return
    }
    // The marker must not change between pushes: the default run name carries the run number, so only
    // a name given as input tells comments apart (matrix legs set one each).
    const marker = commentMarker({
      workflow: context.workflow,
      job: context.job,
      runName: port.getInput(Inputs.Name)
    })
    try {
      const baseUrl = this.env.GITHUB_API_URL
      const result = await upsertComment({
        token,
        target,
        marker,
        body: renderCommentBody(markdown, marker),
        secrets: [this.settings.token ?? '', this.settings.apiToken ?? ''],
        ...(baseUrl ? { baseUrl } : {})
      })
      if (result.outcome === 'forbidden' || result.outcome === 'skipped')
        port.warning(`comment: ${result.reason}`)
      else port.info(`comment: ${result.outcome} ${result.url ?? `comment ${result.id}`}`)
    } catch (err) {
      port.warning(`comment: ${message(err)}`)
    }
  }
}
