/**
 * scan mode in one procedure: the node (started here, or the one node-url names), a recording test
 * run, the test command through the recording hop, then — whatever the command did — the stop and the
 * verdict, as stop mode reports it. With test-record-id, the node replays that record instead (a copy,
 * as reuse mode makes it) and the step waits for its verdict. The container and the hop are gone when it returns. No
 * `@actions/core` here: the action layer passes the flow's dependencies and a few ports.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { message } from '../common/error-message.js'
import { runFlow, type FlowDeps, type FlowResult } from '../modes/flow.js'
import type { Settings } from '../inputs/settings.js'
import { logSafe } from '../text/untrusted.js'
import { caBundle, fetchNodeCa, trustedCaPem } from './ca.js'
import {
  commandEnvironment,
  endLeftovers,
  rawOutput,
  startCommand,
  testsDone,
  withoutSecrets,
  type CommandLog,
  type RunningCommand
} from './command.js'
import { startHop, type RecordingHop } from './hop.js'
import { NodeError, preflight, startNode, type RunningNode } from './node.js'
import type { ScanOutcome } from '../report/model.js'
import type { Id, TestRun } from '../wallarm/types.js'
import { TrafficCounter, diagnose, hostMatcher, renderTraffic, sentRequests } from './traffic.js'

export interface ScanPorts {
  /** The step's environment (the command's starts from it, less the secrets). */
  env: NodeJS.ProcessEnv
  /** Goes only into the environment of the `docker` process that starts the node. */
  token: string
  /** The resolved API base URL, for the node's WALLARM_API_HOST. */
  apiBaseUrl: string
  /** For the node's log and the CA bundle (RUNNER_TEMP). */
  tempDir: string
  /** A label value for the container, such as the workflow run's id. */
  labelValue?: string
  /** The container the post step must remove if this step is killed; undefined once it is removed. */
  onContainer(name: string | undefined): void
  /** Text in a collapsed group of the log. */
  group(title: string, text: string): void
  /** Where the test command's output goes in the log (written raw to stdout without it). */
  commandOutput?(): CommandLog
  /**
   * Stops the recording this step started, when it is still on as the scan ends without its verdict (a
   * cancel, a failure): the first thing of the teardown, before processes, the hop and the node, so that
   * the runner's kill cannot come first.
   */
  stopLeftRecording?(): Promise<void>
}

export type ScanResult = FlowResult & { scan: ScanOutcome }

/**
 * A failure of the scan that is not the node's: the action layer words it, and still reports what the
 * scan knew (the tests' exit code, the node's log path, what the tests sent).
 */
export class ScanFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly outcome: ScanOutcome
  ) {
    super(cause instanceof Error ? cause.message : String(cause))
  }
}

export async function runScan(settings: Settings, given: FlowDeps, ports: ScanPorts): Promise<ScanResult> {
  const scan = settings.scan
  if (scan === undefined) throw new Error('scan mode needs its settings (run, target).')
  const { log } = given
  const outcome: ScanOutcome = { testsCancelled: false, testsMustPass: scan.testsMustPass }
  // What the flow learned of the run and its recording: a failure (the node's death) keeps the run.
  let lastRun: TestRun | undefined
  let recordingId: Id | undefined
  const deps: FlowDeps = {
    ...given,
    onRunKnown: (run) => {
      lastRun = run
      given.onRunKnown(run)
    },
    onRecording: (id, on) => {
      recordingId = on ? id : undefined
      given.onRecording(id, on)
    }
  }
  let node: RunningNode | undefined
  let hop: RecordingHop | undefined
  let command: RunningCommand | undefined
  let commandLog: CommandLog | undefined
  let wentWrong = true
  // The teardown's first step, started at the cancel itself (while the tests are still being ended).
  let stopping: Promise<void> | undefined
  const stopNow = (): void => {
    if (recordingId !== undefined) stopping ??= ports.stopLeftRecording?.()
  }
  given.signal.addEventListener('abort', stopNow, { once: true })
  try {
    let nodeProxy = scan.nodeUrl
    if (nodeProxy !== undefined) {
      log.info(`Using the FAST node at ${nodeProxy} (node-url): no container is started.`)
    } else {
      // The token reaches docker as WALLARM_API_TOKEN only (node.ts), under no other name.
      const dockerEnv = withoutSecrets(ports.env, [ports.token, settings.apiToken ?? ''])
      await preflight({ proxyPort: scan.proxyPort, env: dockerEnv })
      log.info(
        `Starting the FAST node (${scan.nodeImage}) with host networking, ` +
          (scan.command === undefined
            ? `to replay test record ${settings.testRecordId ?? ''}…`
            : `ALLOWED_HOSTS=${scan.allowedHosts}…`)
      )
      node = await startNode({
        image: scan.nodeImage,
        token: ports.token,
        apiBaseUrl: ports.apiBaseUrl,
        allowedHosts: scan.allowedHosts,
        proxyPort: scan.proxyPort,
        logPath: join(ports.tempDir, `wallarm-fast-node-${process.pid}-${Date.now()}.log`),
        env: dockerEnv,
        onName: (name) => ports.onContainer(name),
        signal: deps.signal,
        clock: deps.clock,
        readyTimeoutMs: settings.readyTimeoutMs,
        ...(ports.labelValue ? { labelValue: ports.labelValue } : {})
      })
      outcome.nodeLogPath = node.logPath
      await node.waitReady(settings.readyTimeoutMs, deps.signal)
      log.info(`The FAST node is connected (container ${node.name}, proxy ${node.proxyUrl}).`)
      nodeProxy = node.proxyUrl
    }
    // The node does the testing: if its container stops by itself, no wait on it can end well.
    const gone = node?.stopped
    const nodeDeps: FlowDeps = gone ? { ...deps, signal: AbortSignal.any([deps.signal, gone]) } : deps
    // A verdict waited for stands, whatever happened to the node (or its log stream) afterwards.
    const unlessNodeStopped = (result: FlowResult, waited = false): ScanResult =>
      gone?.aborted &&
      !deps.signal.aborted &&
      !(waited && ['passed', 'failed', 'inconclusive'].includes(result.conclusion))
        ? {
            ...result,
            conclusion: 'error',
            reason:
              `The FAST node's container stopped before the verdict, and the run cannot finish without it ` +
              `(its log: ${outcome.nodeLogPath ?? ''}).`,
            scan: outcome
          }
        : { ...result, scan: outcome }

    if (scan.command === undefined) {
      // A matrix leg: the node replays the test record on its own (reuse mode's copy); nothing to proxy.
      outcome.replayedRecordId = settings.testRecordId
      const replayed = unlessNodeStopped(
        await runFlow({ ...settings, mode: 'reuse', wait: true }, nodeDeps),
        true
      )
      wentWrong = !['passed', 'failed'].includes(replayed.conclusion)
      return replayed
    }
    const counter = new TrafficCounter()
    hop = await startHop({ upstream: nodeProxy, onRequest: (r) => counter.add(r), exclude: settings.exclude })
    const caBundlePath = await caFor(scan.target, nodeProxy, ports, deps)

    const recording = await runFlow({ ...settings, mode: 'record' }, nodeDeps)
    if (recording.conclusion !== 'recording' || recording.run === undefined)
      return unlessNodeStopped(recording)

    const { env, proxyVariables } = commandEnvironment(ports.env, {
      proxyUrl: hop.url,
      target: scan.target,
      secrets: [ports.token, settings.apiToken ?? ''],
      ...(caBundlePath ? { caBundlePath } : {})
    })
    log.info(`Running the tests through the FAST node (proxy ${hop.url}): ${scan.command}`)
    const output = (commandLog = ports.commandOutput?.() ?? rawOutput)
    command = await startCommand({
      command: scan.command,
      env,
      signal: deps.signal,
      output,
      clock: deps.clock
    })
    const tests = await testsDone(command, output, log)
    outcome.testsExitCode = tests.exitCode
    outcome.testsCancelled = tests.cancelled
    const traffic = counter.summary(hostMatcher(scan.allowedHosts))
    const diagnoses = diagnose(traffic, { allowedHosts: scan.allowedHosts, proxyVariables })
    outcome.trafficMarkdown = renderTraffic(traffic, diagnoses)
    outcome.sent = sentRequests(traffic)
    log.info(
      `The tests ${tests.cancelled ? 'were cancelled' : `ended with exit code ${tests.exitCode}`}; ` +
        `${traffic.total} request(s) went through the FAST node.`
    )
    for (const line of diagnoses) log.warning(line)

    if (deps.signal.aborted) {
      // The recording was stopped at the cancel (stopNow), before the tests were ended.
      return {
        conclusion: 'error',
        reason: 'The job was cancelled while the tests ran.',
        run: recording.run,
        warnings: [],
        scan: outcome
      }
    }
    // Whatever the tests did, stop the recording and wait for the verdict, as stop mode does. The stop is
    // asked whatever happens to the node meanwhile (its death must not leave the recording on); only the
    // wait for the verdict ends with the node. (A node already gone cannot test: then the recording is
    // only stopped, so the record is reusable.)
    const runId = recording.run.id
    const stopped = await runFlow({ ...settings, mode: 'stop', testRunId: runId, wait: false }, deps)
    const nodeGoneBefore = gone?.aborted === true
    let verdict: FlowResult = stopped
    if (!nodeGoneBefore) {
      const waited = await runFlow({ ...settings, mode: 'wait', testRunId: runId, wait: true }, nodeDeps)
      verdict = {
        ...waited,
        warnings: [...stopped.warnings, ...waited.warnings],
        recordingEnded: stopped.recordingEnded
      }
    }
    if (verdict.recordingEnded && verdict.run) {
      // The recording ended by itself before the tests did: the requests after it, counted and marked.
      const late = counter.summary(hostMatcher(scan.allowedHosts), verdict.run.baseline_count)
      const lateDiagnoses = diagnose(late, { allowedHosts: scan.allowedHosts, proxyVariables })
      outcome.trafficMarkdown = renderTraffic(late, lateDiagnoses)
      for (const line of lateDiagnoses.filter((l) => !diagnoses.includes(l))) log.warning(line)
      verdict = { ...verdict, recordingEnded: { requestsAfter: late.afterEnd?.requests } }
    }
    const result = unlessNodeStopped(verdict, !nodeGoneBefore)
    wentWrong = !['passed', 'failed'].includes(result.conclusion)
    return result
  } catch (err) {
    // The node's own failures are this step's verdict (with its log path in the outputs); others go on up.
    if (!(err instanceof NodeError)) throw new ScanFailure(err, outcome)
    // The run (when there is one) survives the node's death: the report, summary and JUnit keep it.
    const logNote = outcome.nodeLogPath !== undefined ? ` The node's log: ${outcome.nodeLogPath}.` : ''
    return {
      conclusion: 'error',
      reason: `${err.message}${logNote}`,
      run: lastRun,
      warnings: [],
      scan: outcome
    }
  } finally {
    // The teardown, the stop first: stop the recording, then end processes, then remove the container,
    // then read its logs. A slow daemon or API must not let the runner's kill come before the stop.
    given.signal.removeEventListener('abort', stopNow)
    stopNow()
    await stopping
    // What the command left in the background ends once the verdict is in (or whatever went wrong).
    if (command !== undefined) await endLeftovers(command, log)
    commandLog?.close()
    await hop?.close()
    if (node !== undefined) {
      try {
        await node.remove()
        ports.onContainer(undefined)
      } catch (err) {
        log.warning(`${message(err)} The post step tries again.`)
      }
      if (wentWrong) {
        ports.group(
          `The FAST node's log, last lines (all of it: ${node.logPath})`,
          neutralise(node.logTail(60))
        )
      }
    }
    if (outcome.nodeLogPath !== undefined && !existsSync(outcome.nodeLogPath)) {
      log.warning(
        `The FAST node's log could not be written to ${outcome.nodeLogPath} (is RUNNER_TEMP a folder that exists?): ` +
          'node-log-path is empty; its last lines are in this log.'
      )
      delete outcome.nodeLogPath
    }
  }
}

/** The CA bundle for an HTTPS target, when the node serves its CA; otherwise a warning with the way round. */
async function caFor(
  target: string,
  nodeProxy: string,
  ports: Pick<ScanPorts, 'tempDir' | 'env'>,
  deps: FlowDeps
): Promise<string | undefined> {
  if (!/^https:/i.test(target)) return undefined
  const ca = await fetchNodeCa(nodeProxy)
  if ('error' in ca) {
    deps.log.warning(
      `The target is HTTPS, but the FAST node's CA could not be read (${ca.error}): the tests must trust the ` +
        "node's CA themselves (https://github.com/wallarm/fast-action/blob/v1/docs/scan-mode.md#https-targets), " +
        'or their TLS connections through it fail.'
    )
    return undefined
  }
  const path = join(ports.tempDir, `wallarm-fast-ca-bundle-${process.pid}.pem`)
  // What the step's environment named but cannot be used is a warning: the tests may not need it.
  const trusted = trustedCaPem(ports.env, undefined, (warning) => deps.log.warning(warning))
  writeFileSync(path, caBundle(ca.pem, trusted))
  deps.log.info(
    `HTTPS target: the tests trust the system CAs, any bundle the step's environment named, and the FAST node's (${path}).`
  )
  return path
}

/** Log lines from the container, each safe to print: none can be a workflow command. */
function neutralise(text: string): string {
  return text.split('\n').map(logSafe).join('\n')
}
