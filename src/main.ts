/**
 * The main step: inputs → client → flow → publish. Whatever ends the step early (a bad input, no token,
 * an API error) is thrown to the one catch in the entry; the outputs are completed in any case. A
 * recording this step started is always stopped here or handed to the post step (state), whatever
 * cannot be written.
 */
import { State } from './common/constants.js'
import type { ClientFactory } from './action/client.js'
import { readInputs } from './action/inputs.js'
import { explain } from './action/remedies.js'
import { ReportedFailure } from './common/error-message.js'
import { OutputSink } from './action/outputs.js'
import { StateSink, type StateName } from './action/state.js'
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
import type { Id } from './wallarm/types.js'

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
  const outputs = new OutputSink(port)
  const state = new StateSink(port)
  // The error that ends the step: a failure to write the outputs is said too, but never instead of it.
  let failure: unknown
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
      const result = await runSummarize(
        settings,
        deps.env.GITHUB_WORKSPACE || process.cwd(),
        { info: (m) => port.info(m), warning: (m) => port.warning(m) },
        publisher.matrixRules,
        rules.resolve === undefined || settings.openapi === undefined
          ? undefined
          : { file: settings.openapi, resolve: rules.resolve }
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
    if (!state.save(State.ApiBaseUrl, settings.api.baseUrl)) {
      const why = `The step's state for its post step (GITHUB_STATE) cannot be written: ${state.broken()}.`
      // A record step's recording outlives the step: only the post step stops it when a later step fails.
      if (settings.mode === 'record')
        throw new Error(
          `${why} The post step stops a record step's recording when a later step fails, so no recording is started without it.`
        )
      port.warning(`${why} The post step cannot clean up after this step.`)
    }
    port.info(`Wallarm FAST ${settings.mode} against ${settings.api.baseUrl}`)

    if (rules.baselineMissing && settings.failOn === 'new-vulnerabilities')
      port.info(`No baseline file at ${rules.baselineFile}: an empty baseline, so every finding is new.`)
    const publisher = new Publisher(port, outputs, settings, deps.env, rules, deps.wallClock)
    const result = await flow(settings, token, { port, createClient, publisher, deps, state })
    const decision = await publisher.publish(result)
    // Said once: the verdict is the first error annotation (publish), so the step fails without a message.
    if (decision.failed) throw new ReportedFailure(decision.reason)
  } catch (err) {
    failure = err
    throw err
  } finally {
    outputs.complete()
    const broken = outputs.failure()
    if (broken !== undefined) {
      // eslint-disable-next-line no-unsafe-finally -- only when nothing else is thrown: it is the step's failure
      if (failure === undefined) throw new Error(broken)
      port.error(broken)
    }
  }
}

interface FlowContext {
  port: RunnerPort
  createClient: ClientFactory
  publisher: Publisher
  deps: MainDeps
  state: StateSink
}

/**
 * Runs the mode with its own client. An error becomes the result (with what is known of the run, so its
 * ids reach the outputs and reports); a cancelled record step stops the recording it started first.
 */
async function flow(settings: Settings, token: string, ctx: FlowContext): Promise<FlowResult> {
  const { port, createClient, publisher, deps, state } = ctx
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
  /** The recording this step started and has not seen stopped. */
  let recordingRunId: Id | undefined
  /** Whether the post step was told of it (false: GITHUB_STATE could not be written). */
  let handedOver = true
  let stopAsked = false
  let lastRun: FlowResult['run']
  const why = (): string =>
    signal.aborted
      ? 'Cancelled'
      : settings.mode === 'scan'
        ? 'The scan failed'
        : 'The post step cannot be told of the recording (GITHUB_STATE)'
  /** Stops the recording this step left on; only a stop that worked clears the state. */
  const stopLeft = async (): Promise<void> => {
    if (recordingRunId === undefined || stopAsked) return
    stopAsked = true
    const runId = recordingRunId
    if (await stopLeftRecording(why(), port, createClient, settings.api.baseUrl, token, runId)) {
      recordingRunId = undefined
      state.save(State.RecordingRunId, '')
    }
  }
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
        // Noted first, before any output or file: whatever fails next, this step knows to stop it.
        recordingRunId = recording ? runId : undefined
        const saved = state.save(State.RecordingRunId, recording ? String(runId) : '')
        if (recording && !saved) {
          handedOver = false
          port.error(
            `Test run ${runId} is recording, but the step's state (GITHUB_STATE) cannot be written ` +
              `(${state.broken() ?? ''}): the post step could not stop it, so this step stops it.`
          )
        }
      }
    }
    const runner = {
      info: (m: string) => port.info(m),
      warning: (m: string) => port.warning(m),
      getState: (name: string) => port.getState(name),
      saveState: (name: string, value: string) => void state.save(name as StateName, value)
    }
    result =
      settings.mode === 'scan'
        ? await runScan(settings, flowDeps, {
            ...scanPorts(runner, deps.env, token, settings.api.baseUrl),
            // The first thing of every teardown of a scan that went wrong: before processes, hop and node.
            stopLeftRecording: stopLeft
          })
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

  // A scan started its recording itself, so it stops it whatever went wrong, not only on cancel; a record
  // step whose post step cannot be told of its recording stops it too.
  if (signal.aborted || settings.mode === 'scan' || !handedOver) await stopLeft()
  if (!handedOver && !signal.aborted && lastRun !== undefined) {
    result = {
      ...result,
      conclusion: 'error',
      reason:
        `The step's state (GITHUB_STATE) cannot be written (${state.broken() ?? ''}), so the post step could ` +
        `not stop the recording of test run ${lastRun.id} if a later step failed: ` +
        (recordingRunId === undefined
          ? 'the recording was stopped.'
          : 'stopping it failed too; stop it in the Wallarm console.')
    }
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
