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
import type { ScanSettings } from '../inputs/scan-settings.js'
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
  type CommandResult,
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
  return new ScanRun(settings, scan, given, ports).run()
}

/** Scan settings with a test command to run (not a replay). */
type WithCommand = Extract<ScanSettings, { command: string }>

/**
 * One scan, from the node's start to its teardown, and what its steps share: the node, the hop and the
 * command to end, what the flow learned of the run and its recording, and the outcome it reports.
 */
class ScanRun {
  readonly outcome: ScanOutcome
  /** The flow's dependencies, noting the run and its recording as the flow learns of them. */
  private readonly deps: FlowDeps
  /** The same, ended also when the node's container stops (set once the node is known). */
  private nodeDeps: FlowDeps
  /** What the flow learned of the run and its recording: a failure (the node's death) keeps the run. */
  private lastRun: TestRun | undefined
  private recordingId: Id | undefined
  private node: RunningNode | undefined
  private hop: RecordingHop | undefined
  private command: RunningCommand | undefined
  private commandLog: CommandLog | undefined
  private wentWrong = true
  /** The teardown's first step, started at the cancel itself (while the tests are still being ended). */
  private stopping: Promise<void> | undefined

  constructor(
    private readonly settings: Settings,
    private readonly scan: ScanSettings,
    private readonly given: FlowDeps,
    private readonly ports: ScanPorts
  ) {
    this.outcome = { testsCancelled: false, testsMustPass: scan.testsMustPass }
    this.deps = {
      ...given,
      onRunKnown: (run) => {
        this.lastRun = run
        given.onRunKnown(run)
      },
      onRecording: (id, on) => {
        this.recordingId = on ? id : undefined
        given.onRecording(id, on)
      }
    }
    this.nodeDeps = this.deps
  }

  async run(): Promise<ScanResult> {
    this.given.signal.addEventListener('abort', this.stopNow, { once: true })
    try {
      const nodeProxy = await this.nodeProxy()
      // The node does the testing: if its container stops by itself, no wait on it can end well.
      const gone = this.node?.stopped
      if (gone) this.nodeDeps = { ...this.deps, signal: AbortSignal.any([this.deps.signal, gone]) }
      const scan = this.scan
      if (scan.command === undefined) return await this.replay()
      return await this.recordTests(nodeProxy, scan)
    } catch (err) {
      return this.failed(err)
    } finally {
      await this.teardown()
    }
  }

  private readonly stopNow = (): void => {
    if (this.recordingId !== undefined) this.stopping ??= this.ports.stopLeftRecording?.()
  }

  /** The node's proxy: the one node-url names, or a node started here and connected. */
  private async nodeProxy(): Promise<string> {
    const given = this.scan.nodeUrl
    if (given !== undefined) {
      this.deps.log.info(`Using the FAST node at ${given} (node-url): no container is started.`)
      return given
    }
    const node = (this.node = await this.startNode())
    this.outcome.nodeLogPath = node.logPath
    await node.waitReady(this.settings.readyTimeoutMs, this.deps.signal)
    this.deps.log.info(`The FAST node is connected (container ${node.name}, proxy ${node.proxyUrl}).`)
    return node.proxyUrl
  }

  /** Starts the node's container, after docker's preflight. */
  private async startNode(): Promise<RunningNode> {
    const { settings, scan, ports, deps } = this
    // The token reaches docker as WALLARM_API_TOKEN only (node.ts), under no other name.
    const dockerEnv = withoutSecrets(ports.env, [ports.token, settings.apiToken ?? ''])
    await preflight({ proxyPort: scan.proxyPort, env: dockerEnv })
    deps.log.info(
      `Starting the FAST node (${scan.nodeImage}) with host networking, ` +
        (scan.command === undefined
          ? `to replay test record ${settings.testRecordId ?? ''}…`
          : `ALLOWED_HOSTS=${scan.allowedHosts}…`)
    )
    return startNode({
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
  }

  /** A matrix leg: the node replays the test record on its own (reuse mode's copy); nothing to proxy. */
  private async replay(): Promise<ScanResult> {
    this.outcome.replayedRecordId = this.settings.testRecordId
    const replayed = this.unlessNodeStopped(
      await runFlow({ ...this.settings, mode: 'reuse', wait: true }, this.nodeDeps),
      true
    )
    this.wentWrong = !['passed', 'failed'].includes(replayed.conclusion)
    return replayed
  }

  /** A recording, the test command through the hop, then — whatever the command did — the verdict. */
  private async recordTests(nodeProxy: string, scan: WithCommand): Promise<ScanResult> {
    const { settings } = this
    const counter = new TrafficCounter()
    const hop = (this.hop = await startHop({
      upstream: nodeProxy,
      onRequest: (r) => counter.add(r),
      exclude: settings.exclude
    }))
    const caBundlePath = await caFor(scan.target, nodeProxy, this.ports, this.deps)

    const recording = await runFlow({ ...settings, mode: 'record' }, this.nodeDeps)
    if (recording.conclusion !== 'recording' || recording.run === undefined)
      return this.unlessNodeStopped(recording)

    const { env, proxyVariables } = commandEnvironment(this.ports.env, {
      proxyUrl: hop.url,
      target: scan.target,
      secrets: [this.ports.token, settings.apiToken ?? ''],
      ...(caBundlePath ? { caBundlePath } : {})
    })
    const tests = await this.runTests(scan.command, env, hop.url)
    const diagnoses = this.noteTraffic(counter, proxyVariables, tests)

    if (this.deps.signal.aborted) {
      // The recording was stopped at the cancel (stopNow), before the tests were ended.
      return {
        conclusion: 'error',
        reason: 'The job was cancelled while the tests ran.',
        run: recording.run,
        warnings: [],
        scan: this.outcome
      }
    }
    const { verdict, waited } = await this.verdict(recording.run.id)
    const result = this.unlessNodeStopped(
      this.lateRequests(verdict, counter, proxyVariables, diagnoses),
      waited
    )
    this.wentWrong = !['passed', 'failed'].includes(result.conclusion)
    return result
  }

  /** Runs the test command to its end (or the cancel's), its output in the log. */
  private async runTests(
    command: string,
    env: Record<string, string>,
    proxyUrl: string
  ): Promise<CommandResult> {
    this.deps.log.info(`Running the tests through the FAST node (proxy ${proxyUrl}): ${command}`)
    const output = (this.commandLog = this.ports.commandOutput?.() ?? rawOutput)
    this.command = await startCommand({
      command,
      env,
      signal: this.deps.signal,
      output,
      clock: this.deps.clock
    })
    const tests = await testsDone(this.command, output, this.deps.log)
    this.outcome.testsExitCode = tests.exitCode
    this.outcome.testsCancelled = tests.cancelled
    return tests
  }

  /** What the tests sent, into the outcome and the log; returns the diagnoses warned of. */
  private noteTraffic(counter: TrafficCounter, proxyVariables: string[], tests: CommandResult): string[] {
    const { allowedHosts } = this.scan
    const traffic = counter.summary(hostMatcher(allowedHosts))
    const diagnoses = diagnose(traffic, { allowedHosts, proxyVariables })
    this.outcome.trafficMarkdown = renderTraffic(traffic, diagnoses)
    this.outcome.sent = sentRequests(traffic)
    this.deps.log.info(
      `The tests ${tests.cancelled ? 'were cancelled' : `ended with exit code ${tests.exitCode}`}; ` +
        `${traffic.total} request(s) went through the FAST node.`
    )
    for (const line of diagnoses) this.deps.log.warning(line)
    return diagnoses
  }

  /**
   * Whatever the tests did, stop the recording and wait for the verdict, as stop mode does. The stop is
   * asked whatever happens to the node meanwhile (its death must not leave the recording on); only the
   * wait for the verdict ends with the node. (A node already gone cannot test: then the recording is
   * only stopped, so the record is reusable.) `waited` says whether the verdict was waited for.
   */
  private async verdict(runId: Id): Promise<{ verdict: FlowResult; waited: boolean }> {
    const { settings } = this
    const stopped = await runFlow({ ...settings, mode: 'stop', testRunId: runId, wait: false }, this.deps)
    if (this.node?.stopped.aborted === true) return { verdict: stopped, waited: false }
    const waited = await runFlow({ ...settings, mode: 'wait', testRunId: runId, wait: true }, this.nodeDeps)
    return {
      verdict: {
        ...waited,
        warnings: [...stopped.warnings, ...waited.warnings],
        recordingEnded: stopped.recordingEnded
      },
      waited: true
    }
  }

  /** The recording ended by itself before the tests did: the requests after it, counted and marked. */
  private lateRequests(
    verdict: FlowResult,
    counter: TrafficCounter,
    proxyVariables: string[],
    diagnoses: string[]
  ): FlowResult {
    if (!verdict.recordingEnded || !verdict.run) return verdict
    const { allowedHosts } = this.scan
    const late = counter.summary(hostMatcher(allowedHosts), verdict.run.baseline_count)
    const lateDiagnoses = diagnose(late, { allowedHosts, proxyVariables })
    this.outcome.trafficMarkdown = renderTraffic(late, lateDiagnoses)
    for (const line of lateDiagnoses.filter((l) => !diagnoses.includes(l))) this.deps.log.warning(line)
    return { ...verdict, recordingEnded: { requestsAfter: late.afterEnd?.requests } }
  }

  /** A verdict waited for stands, whatever happened to the node (or its log stream) afterwards. */
  private unlessNodeStopped(result: FlowResult, waited = false): ScanResult {
    const gone = this.node?.stopped
    if (
      gone?.aborted &&
      !this.deps.signal.aborted &&
      !(waited && ['passed', 'failed', 'inconclusive'].includes(result.conclusion))
    ) {
      return {
        ...result,
        conclusion: 'error',
        reason:
          `The FAST node's container stopped before the verdict, and the run cannot finish without it ` +
          `(its log: ${this.outcome.nodeLogPath ?? ''}).`,
        scan: this.outcome
      }
    }
    return { ...result, scan: this.outcome }
  }

  /** The node's own failures are this step's verdict (with its log path in the outputs); others go on up. */
  private failed(err: unknown): ScanResult {
    if (!(err instanceof NodeError)) throw new ScanFailure(err, this.outcome)
    // The run (when there is one) survives the node's death: the report, summary and JUnit keep it.
    const logNote =
      this.outcome.nodeLogPath !== undefined ? ` The node's log: ${this.outcome.nodeLogPath}.` : ''
    return {
      conclusion: 'error',
      reason: `${err.message}${logNote}`,
      run: this.lastRun,
      warnings: [],
      scan: this.outcome
    }
  }

  /**
   * The teardown, the stop first: stop the recording, then end processes, then remove the container,
   * then read its logs. A slow daemon or API must not let the runner's kill come before the stop.
   */
  private async teardown(): Promise<void> {
    this.given.signal.removeEventListener('abort', this.stopNow)
    this.stopNow()
    await this.stopping
    // What the command left in the background ends once the verdict is in (or whatever went wrong).
    if (this.command !== undefined) await endLeftovers(this.command, this.deps.log)
    this.commandLog?.close()
    await this.hop?.close()
    if (this.node !== undefined) await this.removeNode(this.node)
    this.checkNodeLog()
  }

  /** Removes the node's container; when the scan went wrong, its log's last lines go into the step's log. */
  private async removeNode(node: RunningNode): Promise<void> {
    try {
      await node.remove()
      this.ports.onContainer(undefined)
    } catch (err) {
      this.deps.log.warning(`${message(err)} The post step tries again.`)
    }
    if (this.wentWrong) {
      this.ports.group(
        `The FAST node's log, last lines (all of it: ${node.logPath})`,
        neutralise(node.logTail(60))
      )
    }
  }

  /** node-log-path names a file that exists, or is empty (with a warning that says why). */
  private checkNodeLog(): void {
    if (this.outcome.nodeLogPath !== undefined && !existsSync(this.outcome.nodeLogPath)) {
      this.deps.log.warning(
        `The FAST node's log could not be written to ${this.outcome.nodeLogPath} (is RUNNER_TEMP a folder that exists?): ` +
          'node-log-path is empty; its last lines are in this log.'
      )
      delete this.outcome.nodeLogPath
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
