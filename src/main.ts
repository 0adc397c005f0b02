/**
 * The main step: read and check the inputs, run the mode, and report — outputs, job summary, report
 * files, annotations and the pull-request comment — whatever happened, then apply the gate.
 */
import * as core from '@actions/core'
import * as github from '@actions/github'
import { Env, Inputs, Outputs, State } from './constants.js'
import { workflowContext, workflowPath } from './action/context.js'
import { writeReports } from './action/files.js'
import { OutputSink } from './action/outputs.js'
import { formatDuration } from './duration.js'
import { message, runFlow, type FlowResult } from './flow.js'
import { decide } from './gate.js'
import { commentMarker, pullRequestTarget, renderCommentBody, upsertComment } from './github/comment.js'
import { readSettings, type Settings } from './inputs.js'
import { defaultClock, defaultSleep, type Clock, type Sleep } from './poll.js'
import { buildAnnotations } from './report/annotations.js'
import { toFindings, vulnerabilitiesJsonOutput } from './report/findings.js'
import { countedFindings, type RunReport } from './report/model.js'
import { renderSummary } from './report/summary.js'
import { VERSION } from './version.js'
import { FastClient } from './wallarm/client.js'
import { resolveApi, testRunUrl } from './wallarm/hosts.js'
import type { TestRun } from './wallarm/types.js'

export interface MainDeps {
  env: NodeJS.ProcessEnv
  /** Aborted when the runner cancels the workflow (SIGINT/SIGTERM). */
  signal: AbortSignal
  clock?: Clock
  sleep?: Sleep
}

/** How long a cancelled step may spend stopping its recording: the runner sends SIGTERM 7.5 s after SIGINT. */
const CANCEL_STOP_TIMEOUT_MS = 5_000

export async function runMain(deps: MainDeps): Promise<void> {
  const { env, signal } = deps
  const clock = deps.clock ?? defaultClock
  const sleep = deps.sleep ?? defaultSleep
  core.saveState(State.IsPost, 'true')

  // Mask the secrets the moment they are read, before anything could print them: as given, and trimmed
  // (the form that is used), should a secret carry a stray line break.
  const rawToken = core.getInput(Inputs.Token) || env[Env.Token] || ''
  for (const form of new Set([rawToken, rawToken.trim()])) if (form) core.setSecret(form)
  const githubToken = core.getInput(Inputs.GithubToken)
  if (githubToken) core.setSecret(githubToken)

  const outputs = new OutputSink()
  const context = workflowContext(env)

  // Every input is checked even when the step will skip, so a typo fails on forks' pull requests too.
  let settings: Settings
  try {
    settings = readSettings((name) => core.getInput(name), env)
  } catch (err) {
    outputs.set(Outputs.Conclusion, 'error')
    outputs.complete()
    core.setFailed(message(err))
    return
  }
  const token = settings.token ?? ''
  if (!token) {
    if (settings.ifNoToken === 'skip') {
      core.notice(
        'No Wallarm FAST node token (the token input and WALLARM_API_TOKEN are empty): skipping, as if-no-token is skip. ' +
          'Pull requests from forks get no secrets.',
        { title: 'Wallarm FAST skipped' }
      )
      outputs.set(Outputs.Conclusion, 'skipped')
      outputs.complete()
      return
    }
    outputs.set(Outputs.Conclusion, 'error')
    outputs.complete()
    core.setFailed(
      'No Wallarm FAST node token: pass it from a secret (token: ${{ secrets.WALLARM_FAST_TOKEN }}) or set ' +
        'WALLARM_API_TOKEN. For pull requests from forks, which get no secrets, set if-no-token: skip.'
    )
    return
  }
  for (const warning of settings.warnings) core.warning(warning)

  let api: ReturnType<typeof resolveApi>
  try {
    api = resolveApi(settings.apiHost, settings.consoleUrl)
  } catch (err) {
    outputs.set(Outputs.Conclusion, 'error')
    outputs.complete()
    core.setFailed(message(err))
    return
  }
  core.saveState(State.ApiBaseUrl, api.baseUrl)
  core.info(`Wallarm FAST ${settings.mode} against ${api.baseUrl}`)

  const client = new FastClient({
    baseUrl: api.baseUrl,
    token,
    userAgent: `wallarm-fast-action/${VERSION}`,
    onRetry: ({ attempt, delayMs, error }) =>
      core.info(`${error.message} Trying again in ${formatDuration(delayMs)} (attempt ${attempt + 1}).`),
    onNotice: (text) => core.info(text),
    sleep
  })

  let recordingRunId: string | undefined
  let lastRun: TestRun | undefined
  const onRunKnown = (run: TestRun): void => {
    lastRun = run
    outputs.set(Outputs.TestRunId, run.id)
    outputs.set(Outputs.TestRecordId, run.test_record_id)
    outputs.set(Outputs.State, run.state)
    outputs.set(Outputs.Url, api.consoleUrl ? testRunUrl(api.consoleUrl, run.id) : '')
    if (settings.mode === 'record' || settings.mode === 'reuse') {
      core.exportVariable(Env.TestRunId, String(run.id))
      core.exportVariable(Env.TestRecordId, String(run.test_record_id))
    }
  }

  let result: FlowResult
  try {
    result = await runFlow(settings, {
      client,
      log: { info: core.info, warning: core.warning },
      clock,
      sleep,
      signal,
      onRunKnown,
      onRecording: (runId, recording) => {
        recordingRunId = recording ? runId : undefined
        core.saveState(State.RecordingRunId, recording ? String(runId) : '')
      }
    })
  } catch (err) {
    result = {
      conclusion: 'error',
      reason: signal.aborted ? 'The job was cancelled.' : message(err),
      run: lastRun,
      warnings: []
    }
  }

  // A cancelled record step stops the recording it started before the process exits.
  if (signal.aborted && recordingRunId !== undefined) {
    // Only a stop that worked clears the state: otherwise the post step, with more time, tries again.
    if (await stopOnCancel(api.baseUrl, token, recordingRunId)) core.saveState(State.RecordingRunId, '')
  }

  await report(settings, result, { outputs, context, env, runUrlBase: api.consoleUrl, githubToken })
  client.dispose()
}

async function stopOnCancel(baseUrl: string, token: string, runId: string): Promise<boolean> {
  const quick = new FastClient({
    baseUrl,
    token,
    userAgent: `wallarm-fast-action/${VERSION}`,
    attempts: 2,
    timeoutMs: CANCEL_STOP_TIMEOUT_MS / 2,
    onNotice: (text) => core.info(text)
  })
  try {
    await quick.stopRecording(runId)
    core.info(`Cancelled: stopped the recording of test run ${runId}, so its test record can be reused.`)
    return true
  } catch (err) {
    core.warning(
      `Cancelled, but stopping the recording of test run ${runId} failed: ${message(err)} The post step tries again.`
    )
    return false
  } finally {
    quick.dispose()
  }
}

interface ReportDeps {
  outputs: OutputSink
  context: ReturnType<typeof workflowContext>
  env: NodeJS.ProcessEnv
  runUrlBase: string | undefined
  githubToken: string
}

async function report(settings: Settings, result: FlowResult, deps: ReportDeps): Promise<void> {
  const { outputs, env } = deps
  const run = result.run
  const findings = toFindings(run, result.details)
  const decision = decide({
    conclusion: result.conclusion,
    reason: result.reason,
    failOn: settings.failOn,
    minThreat: settings.minThreat,
    findings,
    mode: settings.mode,
    run,
    techFailTolerance: settings.techFailTolerance
  })
  const runReport: RunReport = {
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
    runUrl: run && deps.runUrlBase ? testRunUrl(deps.runUrlBase, run.id) : undefined,
    warnings: result.warnings,
    context: deps.context
  }
  for (const warning of result.warnings) core.warning(warning)

  const counted = countedFindings({ findings, minThreat: settings.minThreat })
  outputs.set(Outputs.Conclusion, decision.conclusion)
  if (run) {
    outputs.set(Outputs.State, run.state)
    outputs.set(Outputs.Baselines, run.baseline_count)
  }
  // Empty where nothing could have been tested yet (record mode) or there is no run; otherwise what is
  // known so far (final once the run finished).
  const verdictKnown = run !== undefined && settings.mode !== 'record'
  outputs.set(Outputs.Vulnerabilities, verdictKnown ? counted.length : '')
  const vulnsJson = vulnerabilitiesJsonOutput(verdictKnown ? counted : [])
  outputs.set(Outputs.VulnerabilitiesJson, verdictKnown ? vulnsJson.json : '')

  try {
    const files = writeReports(runReport, {
      env,
      sarif: settings.sarif,
      toolVersion: VERSION,
      workflowPath: workflowPath(deps.context),
      legName: core.getInput(Inputs.Name),
      now: new Date()
    })
    outputs.set(Outputs.ReportPath, files.reportPath)
    if (vulnsJson.included < vulnsJson.total) {
      core.warning(
        `The vulnerabilities-json output holds the ${vulnsJson.included} highest-threat of ${vulnsJson.total} ` +
          `vulnerabilities, to stay within GitHub's 1 MB per output; the report file (report-path, ` +
          `${files.reportPath}) has them all.`
      )
    }
    outputs.set(Outputs.SarifPath, files.sarifPath)
    outputs.set(Outputs.JunitPath, files.junitPath)
  } catch (err) {
    core.warning(`Writing the report files failed: ${message(err)}`)
  }
  outputs.complete()

  const { annotations } = buildAnnotations(runReport)
  for (const a of annotations) {
    const emit = a.level === 'error' ? core.error : a.level === 'warning' ? core.warning : core.notice
    emit(a.message, { title: a.title })
  }

  const summary = renderSummary(runReport, { now: Date.now() })
  if (env.GITHUB_STEP_SUMMARY) {
    try {
      await core.summary.addRaw(summary, true).write()
    } catch (err) {
      core.warning(`Writing the job summary failed: ${message(err)}`)
    }
  }

  if (settings.comment) await comment(settings, runReport, summary, deps)

  // Said once: as the step's failure when the gate fails it (the first error annotation above, from
  // buildAnnotations, so that it is never the one the runner drops), else as a log line.
  if (decision.failed) process.exitCode = core.ExitCode.Failure
  else core.info(`Conclusion: ${decision.conclusion}. ${decision.reason}`)
}

async function comment(
  settings: Settings,
  report: RunReport,
  summary: string,
  deps: ReportDeps
): Promise<void> {
  const target = pullRequestTarget(
    deps.env.GITHUB_EVENT_NAME,
    github.context.payload,
    deps.context.repository
  )
  if (!target) {
    core.info('comment: not a pull-request event, so no comment is written.')
    return
  }
  if (!deps.githubToken) {
    core.warning('comment: github-token is empty, so no pull-request comment is written.')
    return
  }
  // The marker must not change between pushes: the default run name carries the run number, so only
  // a name given as input tells comments apart (matrix legs set one each).
  const marker = commentMarker({
    workflow: deps.context.workflow,
    job: deps.context.job,
    runName: core.getInput(Inputs.Name)
  })
  try {
    const result = await upsertComment({
      token: deps.githubToken,
      target,
      marker,
      body: renderCommentBody(summary, marker),
      secrets: [settings.token ?? '']
    })
    if (result.outcome === 'forbidden' || result.outcome === 'skipped')
      core.warning(`comment: ${result.reason}`)
    else core.info(`comment: ${result.outcome} ${result.url ?? `comment ${result.id}`}`)
  } catch (err) {
    core.warning(`comment: ${message(err)}`)
  }
}
