/**
 * The main step: inputs → client → flow → publish. Whatever ends the step early (a bad input, no token,
 * an API error) is thrown to the one catch in the entry; the outputs are completed in any case.
 */
import { State } from './common/constants.js'
import type { ClientFactory } from './action/client.js'
import { readInputs } from './action/inputs.js'
import { explain } from './action/remedies.js'
import { ReportedFailure } from './common/error-message.js'
import { OutputSink } from './action/outputs.js'
import type { RunnerPort } from './action/port.js'
import { Publisher } from './action/publish.js'
import { formatDuration } from './common/duration.js'
import { runFlow, type FlowDeps, type FlowResult } from './modes/flow.js'
import { runSummarize } from './modes/summarize.js'
import { runScan, ScanFailure } from './scan/run-scan.js'
import { scanPorts } from './scan/runner.js'
import type { Settings } from './inputs/settings.js'
import { loadTriageRules } from './triage/load.js'
import { stopOnFirstFailCaveat } from './inputs/caveats.js'
import { systemClock, sleep as realSleep, type Clock, type Sleep } from './common/time.js'

export interface MainDeps {
  env: NodeJS.ProcessEnv
  /** Aborted when the runner cancels the workflow (SIGINT/SIGTERM). */
  signal: AbortSignal
  clock?: Clock
  sleep?: Sleep
  random?: () => number
  /** The wall clock (ms since the epoch), for expiry dates. Default Date.now. */
  wallClock?: () => number
}

/** How long a cancelled step may spend stopping its recording: the runner sends SIGTERM 7.5 s after SIGINT. */
export const CANCEL_STOP_TIMEOUT_MS = 5_000

const NO_TOKEN =
  'No Wallarm FAST node token: pass it from a secret (token: ${{ secrets.WALLARM_FAST_TOKEN }}) or set ' +
  'WALLARM_API_TOKEN. For pull requests from forks, which get no secrets, set if-no-token: skip.'

/** @throws for a bad input, a missing token, a failed flow step, or a failing gate (its reason) */
export async function runMain(port: RunnerPort, createClient: ClientFactory, deps: MainDeps): Promise<void> {
  port.saveState(State.IsPost, 'true')
  const outputs = new OutputSink(port)
  try {
    // Every input is checked even when the step will skip, so a typo fails on forks' pull requests too.
    const settings = readInputs(port, deps.env)
    // The baseline and ignore files too, before any API call: a bad entry fails on forks' pull requests too.
    const rules = loadTriageRules(settings, deps.env.GITHUB_WORKSPACE || process.cwd())
    const stopOnFirstFail = stopOnFirstFailCaveat(settings, rules)
    if (stopOnFirstFail !== undefined) settings.warnings.push(stopOnFirstFail)
    if (settings.mode === 'summarize') {
      // The legs' reports only: no Wallarm API call, so no token.
      for (const warning of settings.warnings) port.warning(warning)
      const publisher = new Publisher(port, outputs, settings, deps.env, rules, deps.wallClock)
      const result = runSummarize(
        settings,
        deps.env.GITHUB_WORKSPACE || process.cwd(),
        { info: (m) => port.info(m), warning: (m) => port.warning(m) },
        publisher.matrixRules
      )
      const decision = await publisher.publishMatrix(result)
      if (decision.failed) throw new ReportedFailure(decision.reason)
      return
    }
    const token = settings.token
    if (!token) {
      if (settings.ifNoToken !== 'skip') throw new Error(NO_TOKEN)
      port.notice(
        'No Wallarm FAST node token (the token input and WALLARM_API_TOKEN are empty): skipping, as if-no-token is skip. ' +
          'Pull requests from forks get no secrets.',
        { title: 'Wallarm FAST skipped' }
      )
      outputs.conclude('skipped')
      return
    }
    for (const warning of settings.warnings) port.warning(warning)
    port.saveState(State.ApiBaseUrl, settings.api.baseUrl)
    port.info(`Wallarm FAST ${settings.mode} against ${settings.api.baseUrl}`)

    if (rules.baselineMissing && settings.failOn === 'new-vulnerabilities')
      port.info(`No baseline file at ${rules.baselineFile}: an empty baseline, so every finding is new.`)
    const publisher = new Publisher(port, outputs, settings, deps.env, rules, deps.wallClock)
    const result = await flow(settings, token, { port, createClient, publisher, deps })
    const decision = await publisher.publish(result)
    // Said once: the verdict is the first error annotation (publish), so the step fails without a message.
    if (decision.failed) throw new ReportedFailure(decision.reason)
  } finally {
    outputs.complete()
  }
}

interface FlowContext {
  port: RunnerPort
  createClient: ClientFactory
  publisher: Publisher
  deps: MainDeps
}

/**
 * Runs the mode with its own client. An error becomes the result (with what is known of the run, so its
 * ids reach the outputs and reports); a cancelled record step stops the recording it started first.
 */
async function flow(settings: Settings, token: string, ctx: FlowContext): Promise<FlowResult> {
  const { port, createClient, publisher, deps } = ctx
  const { signal } = deps
  const client = createClient({
    baseUrl: settings.api.baseUrl,
    token,
    // Only the vulnerability reads send it: the node token does everything else.
    ...(settings.apiToken === undefined ? {} : { apiToken: settings.apiToken }),
    onRetry: ({ attempt, delayMs, error }) =>
      port.info(`${error.message} Trying again in ${formatDuration(delayMs)} (attempt ${attempt + 1}).`),
    onNotice: (text) => port.info(text),
    ...(deps.sleep ? { sleep: deps.sleep } : {})
  })
  let result: FlowResult
  let recordingRunId: string | undefined
  let lastRun: FlowResult['run']
  try {
    const flowDeps: FlowDeps = {
      client,
      log: { info: (m) => port.info(m), warning: (m) => port.warning(m) },
      clock: deps.clock ?? systemClock,
      sleep: deps.sleep ?? realSleep,
      ...(deps.random ? { random: deps.random } : {}),
      signal,
      onRunKnown: (run) => {
        lastRun = run
        publisher.runKnown(run)
      },
      onRecording: (runId, recording) => {
        recordingRunId = recording ? runId : undefined
        port.saveState(State.RecordingRunId, recording ? String(runId) : '')
      }
    }
    result =
      settings.mode === 'scan'
        ? await runScan(settings, flowDeps, scanPorts(port, deps.env, token, settings.api.baseUrl))
        : await runFlow(settings, flowDeps)
  } catch (err) {
    const cause = err instanceof ScanFailure ? err.cause : err
    result = {
      conclusion: 'error',
      reason: signal.aborted ? 'The job was cancelled.' : explain(cause),
      run: lastRun,
      warnings: [],
      ...(err instanceof ScanFailure ? { scan: err.outcome } : {})
    }
  } finally {
    client.dispose()
  }

  // Only a stop that worked clears the state: otherwise the post step, with more time, tries again.
  // A scan started its recording itself, so it stops it whatever went wrong, not only on cancel.
  const why = signal.aborted ? 'Cancelled' : settings.mode === 'scan' ? 'The scan failed' : undefined
  if (why !== undefined && recordingRunId !== undefined) {
    if (await stopLeftRecording(why, port, createClient, settings.api.baseUrl, token, recordingRunId))
      port.saveState(State.RecordingRunId, '')
  }
  return result
}

async function stopLeftRecording(
  why: string,
  port: RunnerPort,
  createClient: ClientFactory,
  baseUrl: string,
  token: string,
  runId: string
): Promise<boolean> {
  const quick = createClient({
    baseUrl,
    token,
    attempts: 2,
    timeoutMs: CANCEL_STOP_TIMEOUT_MS / 2,
    onNotice: (text) => port.info(text)
  })
  try {
    await quick.stopRecording(runId)
    port.info(`${why}: stopped the recording of test run ${runId}, so its test record can be reused.`)
    return true
  } catch (err) {
    port.warning(
      `${why}, but stopping the recording of test run ${runId} failed: ${explain(err)} The post step tries again.`
    )
    return false
  } finally {
    quick.dispose()
  }
}
