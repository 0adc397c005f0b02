/**
 * The four modes as plain procedures over the API client and the poller. Nothing here knows of
 * `@actions/core`: the action layer passes a logger and callbacks, and renders what comes back.
 */
import { Inputs, type Conclusion } from '../common/constants.js'
import type { Settings } from '../inputs/settings.js'
import type { ScanOutcome } from '../report/model.js'
import { waitForReadyToRecord, waitForRunToFinish } from './poll.js'
import type { Clock, Sleep } from '../common/time.js'
import { deadlineSignal, retry } from '../wallarm/retry.js'
import { logSafe } from '../text/untrusted.js'
import { formatDuration } from '../common/duration.js'
import { message } from '../common/error-message.js'
import { VULN_OFFSET_MAX, VULN_PAGE_SIZE, type FastClient, type VulnReadCapped } from '../wallarm/client.js'
import { WallarmApiError, isAuthError, isNotFound, isNotReadyForCloning } from '../wallarm/errors.js'
import { isTerminalState, type Id, type TestRun, type Vulnerability } from '../wallarm/types.js'

export interface Logger {
  info(message: string): void
  warning(message: string): void
}

/** The API calls the flow makes (a {@link FastClient}, or a test's fake). */
export type FlowClient = Pick<
  FastClient,
  'createTestRun' | 'copyTestRun' | 'getTestRun' | 'stopRecording' | 'listVulnerabilities'
> &
  Partial<Pick<FastClient, 'listVulnerabilitiesWithStatus'>>

export interface FlowDeps {
  client: FlowClient
  log: Logger
  clock: Clock
  sleep: Sleep
  random?: (() => number) | undefined
  /** Aborted when the workflow is cancelled. */
  signal: AbortSignal
  /** Called as soon as the run's ids are known, before any long wait, so outputs never lose them. */
  onRunKnown(run: TestRun): void
  /** Called once a recording this step started is known to be running, and once it is known stopped. */
  onRecording(runId: Id, recording: boolean): void
}

export interface FlowResult {
  conclusion: Conclusion
  reason: string
  run?: TestRun | undefined
  /** Full vulnerability objects, when the token may read them. */
  details?: Vulnerability[] | undefined
  /** Vulnerabilities people marked false positive or closed in Wallarm (any run), when readable. */
  triaged?: Vulnerability[] | undefined
  warnings: string[]
  /** scan mode: the tests' result and what they sent. */
  scan?: ScanOutcome
  /** Set when the stop found the recording already ended: requests after that were not recorded. */
  recordingEnded?: RecordingEnded | undefined
}

/** The recording ended before the stop was asked (by inactivity-timeout, or in the Wallarm console). */
export interface RecordingEnded {
  /**
   * Requests to recorded hosts sent after it ended, when they can be counted (scan mode, through its
   * hop); undefined when they cannot (stop mode, whose tests ran in other steps).
   */
  requestsAfter?: number | undefined
}

/** How the API's terminal state and the findings turn into this step's conclusion. */
function finishedConclusion(run: TestRun): { conclusion: Conclusion; reason: string } {
  switch (run.state) {
    case 'passed':
      return { conclusion: 'passed', reason: 'Testing finished and found no vulnerabilities.' }
    case 'failed':
      return { conclusion: 'failed', reason: 'Testing finished and found vulnerabilities.' }
    default:
      return {
        conclusion: 'interrupted',
        reason:
          'The test run was interrupted before it finished: another test run was started on the same FAST node ' +
          '(one node token runs one test run at a time), or it was interrupted in the Wallarm console.'
      }
  }
}

export async function runFlow(settings: Settings, deps: FlowDeps): Promise<FlowResult> {
  switch (settings.mode) {
    case 'record':
      return record(settings, deps)
    case 'stop':
      return stop(settings, deps)
    case 'reuse':
      return reuse(settings, deps)
    case 'wait':
      return waitMode(settings, deps)
    case 'scan':
      throw new Error('scan mode runs through runScan (src/scan/run-scan.ts), which starts the node first.')
    case 'summarize':
      throw new Error('summarize mode reads reports (src/modes/summarize.ts): it makes no API call.')
  }
}

async function record(settings: Settings, deps: FlowDeps): Promise<FlowResult> {
  const { client, log } = deps
  // A cancel ends the create's retries and backoff at once. An attempt already sent gets a little more
  // time for its answer: a run created without its id being learned could be stopped by nobody.
  const created = await client.createTestRun(
    {
      name: settings.name,
      desc: settings.description,
      test_record_name: settings.testRecordName,
      policy_id: settings.policyId,
      rps: settings.rps,
      rps_per_baseline: settings.rpsPerBaseline,
      inactivity_timeout: settings.inactivityTimeout,
      stop_on_first_fail: settings.stopOnFirstFail,
      skip_duplicated_baselines: settings.skipDuplicatedBaselines,
      file_extensions_to_exclude: settings.fileExtensionsToExclude
    },
    deps.signal,
    {
      answerGraceMs: CREATE_ANSWER_GRACE_MS,
      onUnanswered: () => log.warning(unansweredCreate(settings))
    }
  )
  log.info(`Created test run ${created.id} recording into the new test record ${created.test_record_id}.`)
  // Noted before anything else that can fail (outputs, files): a recording is always stopped or handed on.
  deps.onRecording(created.id, true)
  const pin = new RecordPin(created, log, (run) => deps.onRunKnown(run))
  deps.onRunKnown(created)

  log.info(
    `Waiting up to ${formatDuration(settings.readyTimeoutMs)} for the FAST node to be ready to record…`
  )
  const ready = await waitForReadyToRecord({
    fetch: (signal) => client.getTestRun(created.id, signal).then(pin.apply),
    timeoutMs: settings.readyTimeoutMs,
    maxIntervalMs: settings.pollIntervalMs,
    isRetryableError: (err) => err instanceof WallarmApiError && err.retryable,
    onError: (err, n) =>
      log.warning(`Checking test run ${created.id} failed (${n} in a row): ${message(err)}`),
    clock: deps.clock,
    sleep: deps.sleep,
    random: deps.random,
    signal: deps.signal
  })
  switch (ready.outcome) {
    case 'ready':
      log.info(`The FAST node is recording: send the tests' requests through its proxy now.`)
      return {
        conclusion: 'recording',
        reason: `Test run ${created.id} is recording baselines into test record ${created.test_record_id}.`,
        run: ready.run,
        warnings: []
      }
    case 'finished':
      deps.onRecording(created.id, false)
      return { ...finishedConclusion(ready.run), run: ready.run, warnings: [] }
    case 'aborted':
      return {
        conclusion: 'error',
        reason: 'The job was cancelled.',
        run: ready.run ?? created,
        warnings: []
      }
    case 'timeout':
      return {
        conclusion: 'error',
        reason:
          `The FAST node did not pick test run ${created.id} up within ${formatDuration(settings.readyTimeoutMs)}. ` +
          'Check that the wallarm/fast container is running with this same token, that it can reach the Wallarm ' +
          'API of this cloud (api-host), and its log for "Node connected to Wallarm Cloud".',
        run: ready.run ?? created,
        warnings: []
      }
  }
}

/**
 * How long a create already sent may still wait for its answer after a cancel: the runner sends SIGTERM
 * 7.5 s after SIGINT, and stopping the run it answers with takes a few seconds more.
 */
export const CREATE_ANSWER_GRACE_MS = 2_000

/** A create that got no answer may have made a run: the step says so, with what a person looks for. */
function unansweredCreate(settings: Settings): string {
  return (
    `A test run named "${settings.name}" may have been created and be recording: the request that creates it ` +
    'got no answer, so this step does not know its id (and the Wallarm API cannot list test runs to find it). ' +
    'Look for it among the test runs in the Wallarm console and stop its recording; otherwise it holds the ' +
    `FAST node until inactivity-timeout (${settings.inactivityTimeout} s) ends it.`
  )
}

async function stop(settings: Settings, deps: FlowDeps): Promise<FlowResult> {
  const { client, log } = deps
  const id = requireRunId(settings)
  // Whether the recording is still on when the stop is asked: the stop's answer cannot tell a recording it
  // ended from one that had ended by itself (after inactivity-timeout) while requests were still coming.
  // Only a hint: it has a short bound of its own, and whatever becomes of it, the stop is asked.
  const before = await readBeforeStop(id, deps)
  // (An interrupted run ended otherwise, and says so itself.)
  const endedWarning =
    before === undefined || before.recording || before.state === 'interrupted'
      ? undefined
      : endedEarly(before)
  if (settings.stopGracePeriodMs > 0 && before?.recording !== false) {
    log.info(
      `Waiting ${formatDuration(settings.stopGracePeriodMs)} for the node to upload the last baselines…`
    )
    await deps.sleep(settings.stopGracePeriodMs, deps.signal)
  }
  let run: TestRun
  try {
    run = await client.stopRecording(id, deps.signal)
  } catch (err) {
    // Stopping a run that no longer records is not an error (the API's answer to that is
    // undocumented, so look at the run instead of trusting the error).
    if (!(err instanceof WallarmApiError) || err.status !== 400) throw err
    run = await client.getTestRun(id, deps.signal)
    if (run.recording) throw err
  }
  deps.onRunKnown(run)
  deps.onRecording(run.id, false)
  log.info(
    `Recording of test run ${run.id} stopped with ${run.baseline_count} baseline request(s) in test record ${run.test_record_id}.`
  )
  const result = settings.wait ? await finish(run, settings, deps) : notWaited(run)
  if (endedWarning === undefined) return result
  // The gate makes a pass of it inconclusive, unless scan mode counts no request after the end.
  return { ...result, warnings: [endedWarning, ...result.warnings], recordingEnded: {} }
}

/**
 * How long the read before the stop may take, its retries included: it only tells whether the recording
 * had ended by itself, so a status endpoint that hangs or trickles must not hold the stop back.
 */
export const STOP_READ_MS = 10_000

/** The run as it is before the stop, or undefined (with a warning) when it cannot be read in time. */
async function readBeforeStop(id: Id, deps: FlowDeps): Promise<TestRun | undefined> {
  const bound = deadlineSignal(STOP_READ_MS, deps.signal)
  try {
    return await deps.client.getTestRun(id, bound.signal)
  } catch (err) {
    if (deps.signal.aborted) throw err
    const why = bound.expired() ? `no answer within ${formatDuration(STOP_READ_MS)}` : message(err)
    deps.log.warning(
      `The step could not tell whether the recording of test run ${id} had already ended by itself before ` +
        `the stop (reading the run failed: ${why}), so requests sent after such an end would go unnoticed. ` +
        'The stop is asked all the same.'
    )
    return undefined
  } finally {
    bound.clear()
  }
}

/** The warning for a recording found ended before the stop. */
function endedEarly(run: TestRun): string {
  if (run.stop_on_first_fail === true && run.state === 'failed') {
    return (
      `Test run ${run.id} had already ended at its first finding (stop-on-first-fail) when the stop was asked, ` +
      'and its recording with it. Requests sent after that were proxied but not recorded, so not tested.'
    )
  }
  // The run's own setting when the API gives it back (the stop step may not know the record step's input).
  const timeout = typeof run.inactivity_timeout === 'number' ? ` (${run.inactivity_timeout} s)` : ''
  return (
    `The recording of test run ${run.id} had already ended when the stop was asked: the node stops ` +
    `recording by itself after inactivity-timeout${timeout} without a new baseline, or it was stopped ` +
    'in the Wallarm console. Requests sent after that were proxied but not recorded, so not tested. Raise ' +
    'inactivity-timeout (up to 86400), or stop the recording sooner after the tests.'
  )
}

async function reuse(settings: Settings, deps: FlowDeps): Promise<FlowResult> {
  const { client, log } = deps
  const recordId = settings.testRecordId
  if (recordId === undefined) throw new Error('Input "test-record-id" is required in reuse mode.')
  const started = deps.clock.now()
  // While the record still records (the recording job may only just have stopped it), the API answers
  // 400 not_ready_for_cloning: try again with backoff until ready-timeout. Every attempt, its own
  // retries and the backoff between them end at ready-timeout, whatever the server does.
  const bound = deadlineSignal(settings.readyTimeoutMs, deps.signal)
  let lastError: unknown
  const attempts = 1_000
  const run = await retry(
    () =>
      client.copyTestRun(
        {
          name: settings.name,
          desc: settings.description,
          test_record_id: recordId,
          policy_id: settings.policyId,
          rps: settings.rps,
          rps_per_baseline: settings.rpsPerBaseline,
          stop_on_first_fail: settings.stopOnFirstFail,
          file_extensions_to_exclude: settings.fileExtensionsToExclude
        },
        bound.signal
      ),
    {
      attempts,
      baseDelayMs: 2_000,
      maxDelayMs: 15_000,
      isRetryable: (err) => isNotReadyForCloning(err) && deps.clock.now() - started < settings.readyTimeoutMs,
      onRetry: ({ delayMs, error }) => {
        lastError = error
        log.info(
          `Test record ${recordId} is still recording; trying again in ${formatDuration(delayMs)} ` +
            `(up to ${formatDuration(settings.readyTimeoutMs)} in all).`
        )
      },
      sleep: deps.sleep,
      random: deps.random,
      signal: bound.signal
    }
  )
    .catch((thrown: unknown) => {
      // At the deadline the wait is aborted: what it waited on is the last error it retried.
      const err = bound.expired() && lastError !== undefined ? lastError : thrown
      if (isNotReadyForCloning(err)) {
        throw new Error(
          `Test record ${recordId} was still recording after ${formatDuration(settings.readyTimeoutMs)} ` +
            '(ready-timeout). Stop its recording first (a stop step, or the record job finishing) and make this job ' +
            'run after it with needs:.',
          { cause: err }
        )
      }
      if (bound.expired()) {
        throw new Error(
          `Test record ${recordId} could not be copied within ${formatDuration(settings.readyTimeoutMs)} ` +
            '(ready-timeout): the Wallarm API did not answer in time.',
          { cause: err }
        )
      }
      throw err
    })
    .finally(bound.clear)
  log.info(`Copied test run ${run.id} from test record ${recordId} (state ${logSafe(run.state)}).`)
  deps.onRunKnown(run)
  return settings.wait ? finish(run, settings, deps) : notWaited(run)
}

async function waitMode(settings: Settings, deps: FlowDeps): Promise<FlowResult> {
  const id = requireRunId(settings)
  if (!settings.wait) {
    const run = await deps.client.getTestRun(id, deps.signal)
    deps.onRunKnown(run)
    return notWaited(run)
  }
  // The first read is part of the wait: wait-timeout bounds it too, whatever the server does.
  const started = deps.clock.now()
  const bound = deadlineSignal(settings.waitTimeoutMs, deps.signal)
  let run: TestRun
  try {
    run = await deps.client.getTestRun(id, bound.signal)
  } catch (err) {
    if (bound.expired()) return timedOut(id, settings, undefined)
    throw err
  } finally {
    bound.clear()
  }
  deps.onRunKnown(run)
  return finish(run, settings, deps, deps.clock.now() - started)
}

function timedOut(id: Id, settings: Settings, run: TestRun | undefined): FlowResult {
  return {
    conclusion: 'timeout',
    reason:
      `Test run ${id} did not finish within ${formatDuration(settings.waitTimeoutMs)} (wait-timeout). ` +
      'It has not finished, so this is not a pass; it only goes on while its FAST node runs (a node ' +
      'started as a service container stops with the job). Raise wait-timeout, or make the run shorter.',
    run,
    warnings: []
  }
}

/**
 * How long reading the vulnerability details may take, all pages and retries included: past it, the
 * run's own summary of them is reported (with a warning), so a slow or hanging endpoint cannot hold the
 * step after its verdict is known.
 */
const DETAILS_READ_MS = 60_000

/** The warning for Wallarm's triage read up to a cap: the cap, and what was not read. */
export function triageCapped({ read, oldestId, cap }: VulnReadCapped): string {
  const why =
    cap.kind === 'max'
      ? `the most this action reads (${cap.max})`
      : `the most the Wallarm API pages to (it takes offset up to ${VULN_OFFSET_MAX}; this read stopped at offset ${cap.offset})`
  const before = oldestId === undefined ? '' : ` (those before vulnerability ${oldestId})`
  return (
    `Wallarm's triage: read the newest ${read} vulnerabilities marked false positive or closed, ${why}. ` +
    `Older ones were not read${before}: a finding marked false positive or closed only among them is not ` +
    'recognised here, and counts as new (or as known through the baseline).'
  )
}

/**
 * The warning for a refused details read: without api-token, the input that fixes it; with it, what to
 * check of it. Without details a finding is known only by its type and code.
 */
export function detailsRefused(withApiToken: boolean): string {
  const what =
    'so only the summary the test run gives is shown, and findings of one type cannot be told apart.'
  return withApiToken
    ? `The Wallarm API refused the ${Inputs.ApiToken} input to read vulnerability details (POST /v1/objects/vuln), ${what} ` +
        `Check that the API token has read access to vulnerabilities and belongs to this cloud (api-host).`
    : `The Wallarm API refused the node token to read vulnerability details (POST /v1/objects/vuln), ${what} ` +
        `Set the ${Inputs.ApiToken} input to a Wallarm API token (console: Settings → API tokens) with read access ` +
        'to vulnerabilities, from a secret.'
}

function requireRunId(settings: Settings): Id {
  if (settings.testRunId === undefined) {
    throw new Error(
      `Input "test-run-id" is empty and no earlier record step of this job set WALLARM_FAST_TEST_RUN_ID: ` +
        `${settings.mode} mode needs the test run.`
    )
  }
  return settings.testRunId
}

function notWaited(run: TestRun): FlowResult {
  if (isTerminalState(run.state)) return { ...finishedConclusion(run), run, warnings: [] }
  return {
    conclusion: 'running',
    // The state is the API's text: neutralised, as every log line that carries it.
    reason: `Test run ${run.id} is ${logSafe(run.state)}; not waited for (wait: false).`,
    run,
    warnings: []
  }
}

/** Poll to the end (what is left of wait-timeout after `spentMs`), then read the vulnerability details. */
async function finish(first: TestRun, settings: Settings, deps: FlowDeps, spentMs = 0): Promise<FlowResult> {
  const { client, log } = deps
  const pin = new RecordPin(first, log, (run) => deps.onRunKnown(run))
  let run = first
  if (!isTerminalState(run.state)) {
    log.info(`Waiting up to ${formatDuration(settings.waitTimeoutMs)} for test run ${run.id} to finish…`)
    const result = await waitForRunToFinish({
      fetch: (signal) => client.getTestRun(first.id, signal).then(pin.apply),
      timeoutMs: Math.max(0, settings.waitTimeoutMs - spentMs),
      maxIntervalMs: settings.pollIntervalMs,
      isRetryableError: (err) => err instanceof WallarmApiError && err.retryable,
      onProgress: ({ run: r, heartbeat, elapsedMs }) => log.info(progressLine(r, heartbeat, elapsedMs)),
      onError: (err, n) =>
        log.warning(`Checking test run ${first.id} failed (${n} in a row): ${message(err)}`),
      clock: deps.clock,
      sleep: deps.sleep,
      random: deps.random,
      signal: deps.signal
    })
    if (result.outcome === 'timeout') return timedOut(first.id, settings, result.run ?? run)
    if (result.outcome === 'aborted') {
      return {
        conclusion: 'error',
        reason: 'The job was cancelled while waiting.',
        run: result.run ?? run,
        warnings: []
      }
    }
    run = result.run
  }
  const warnings: string[] = []
  let details: Vulnerability[] | undefined
  if (run.vulns.length > 0) {
    const bound = deadlineSignal(DETAILS_READ_MS, deps.signal)
    try {
      details = await client.listVulnerabilities(
        run.id,
        {
          pageSize: VULN_PAGE_SIZE.max,
          onCapped: ({ read }) =>
            warnings.push(
              `The details of only the newest ${read} of test run ${run.id}'s ${run.vulns.length} vulnerabilities ` +
                'could be read (the Wallarm API pages no further): the others are known only from the run’s summary.'
            )
        },
        bound.signal
      )
    } catch (err) {
      const why = bound.expired() ? `not within ${formatDuration(DETAILS_READ_MS)}` : message(err)
      warnings.push(
        isAuthError(err)
          ? detailsRefused(settings.apiToken !== undefined)
          : `Vulnerability details could not be read (${why}); only the summary the test run gives is shown.`
      )
    } finally {
      bound.clear()
    }
  }
  // Only where the details were readable: the same endpoint would refuse again, and was said once.
  const triaged =
    details === undefined ? undefined : await readTriaged(client, settings, warnings, deps.signal)
  return { ...finishedConclusion(run), run, details, triaged, warnings }
}

export function progressLine(run: TestRun, heartbeat: boolean, elapsedMs: number): string {
  const parts = [
    `state ${logSafe(run.state)}${run.recording ? ' (recording)' : ''}`,
    `${run.baseline_check_all_terminated_count}/${run.baseline_count} baselines checked`,
    `${run.vulns.length} vulnerabilit${run.vulns.length === 1 ? 'y' : 'ies'}`
  ]
  if (run.baseline_check_tech_fail_count > 0) parts.push(`${run.baseline_check_tech_fail_count} with errors`)
  // Counted as terminated, but never tested.
  if (run.baseline_check_interrupted_count > 0)
    parts.push(`${run.baseline_check_interrupted_count} interrupted`)
  if (run.estimated_time_to_completion !== null)
    parts.push(`about ${formatDuration(run.estimated_time_to_completion * 1000)} left`)
  return `${heartbeat ? 'Still waiting' : 'Test run'} ${run.id}: ${parts.join(', ')} [${formatDuration(elapsedMs)}]`
}

/**
 * A run's test record does not change. Should the API name another one in a later answer, the first one
 * known wins (it is the one already in the outputs and WALLARM_FAST_TEST_RECORD_ID, and the one the
 * recording went into): later answers are made to agree with it, and the change is logged once. So the
 * outputs, the exported variables and every report name the same record. Should the first answer name
 * none, the first that does is the one, and goes to the outputs as soon as it is known.
 */
class RecordPin {
  private recordId: Id
  private warned = false

  constructor(
    first: TestRun,
    private readonly log: Logger,
    /** Called when an answer names the record for the first time (the first one named none). */
    private readonly onLearned: (run: TestRun) => void
  ) {
    this.recordId = first.test_record_id
  }

  readonly apply = (run: TestRun): TestRun => {
    if (this.recordId === '' && run.test_record_id !== '') {
      this.recordId = run.test_record_id
      this.onLearned(run)
    }
    if (this.recordId === '' || run.test_record_id === this.recordId) return run
    if (!this.warned) {
      this.warned = true
      this.log.warning(
        `The Wallarm API now names test record ${run.test_record_id || '(none)'} for test run ${run.id}, ` +
          `which was recording into test record ${this.recordId}: keeping ${this.recordId}.`
      )
    }
    return { ...run, test_record_id: this.recordId }
  }
}

/** How many triaged vulnerabilities are read at most (the account's, all runs, newest first). */
export const TRIAGED_READ_LIMIT = 5000

/**
 * Wallarm's triage: the vulnerabilities marked false positive or closed, newest first, so that a finding
 * triaged in the console is not counted again and one closed and found again is a regression. A cap
 * reached is said, with what was not read; a refusal (401, 403, 404) or failure is said once and the step
 * goes on without it.
 */
async function readTriaged(
  client: FlowClient,
  settings: Settings,
  warnings: string[],
  signal: AbortSignal
): Promise<Vulnerability[] | undefined> {
  if (client.listVulnerabilitiesWithStatus === undefined) return undefined
  const bound = deadlineSignal(DETAILS_READ_MS, signal)
  try {
    return await client.listVulnerabilitiesWithStatus(
      ['falsepositive', 'closed'],
      {
        max: TRIAGED_READ_LIMIT,
        pageSize: VULN_PAGE_SIZE.max,
        onCapped: (capped) => warnings.push(triageCapped(capped))
      },
      bound.signal
    )
  } catch (err) {
    const why = bound.expired() ? `not within ${formatDuration(DETAILS_READ_MS)}` : message(err)
    const fix = settings.apiToken === undefined ? ` Set the ${Inputs.ApiToken} input to read them.` : ''
    warnings.push(
      isAuthError(err) || isNotFound(err)
        ? `The Wallarm API refused to list triaged vulnerabilities (${why}), so false positives and closures marked in the console are not applied.${fix}`
        : `Triaged vulnerabilities could not be read (${why}), so false positives and closures marked in the console are not applied.`
    )
    return undefined
  } finally {
    bound.clear()
  }
}
