/**
 * The test command: the `run` input in a shell, with everything a client needs to send its requests
 * through the FAST node, its output read through pipes and streamed live, its exit code kept, and every
 * process it started (its session, see processes.ts) ended when the caller says so or on cancellation.
 * No `@actions/core` here.
 */
import { withoutHost } from './no-proxy.js'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { constants } from 'node:os'
import { Writable } from 'node:stream'
import { systemClock, type Clock } from '../common/time.js'
import { outputPipes } from './output-pipes.js'
import { canList, commandProcesses, signalAll } from './processes.js'

export interface ProxyEnvOptions {
  /** The proxy the command goes through, e.g. `http://127.0.0.1:41234` (the recording hop). */
  proxyUrl: string
  /** The application under test, e.g. `http://localhost:3000`: its host is taken out of NO_PROXY. */
  target: string
  /** A PEM bundle of the system CAs plus the node's, for HTTPS targets. */
  caBundlePath?: string
  /** Values no variable of the command may hold (the token), whatever the variable's name. */
  secrets?: readonly string[]
}

export interface CommandEnvironment {
  env: Record<string, string>
  /** The names of the variables set for the proxy, for the diagnosis when nothing went through it. */
  proxyVariables: string[]
}

/**
 * Variables of the action's own process that a test command must not see: the inputs (the token is
 * one, `INPUT_TOKEN`), the token's fallback variable, the action's output and state files (a command
 * writing to them would forge this step's outputs), and the runtime's own credentials, which the
 * runner gives actions but not `run` steps.
 */
function isWithheld(name: string): boolean {
  return (
    name.startsWith('INPUT_') ||
    name.startsWith('STATE_') ||
    name === 'WALLARM_API_TOKEN' ||
    name === 'GITHUB_OUTPUT' ||
    name === 'GITHUB_STATE' ||
    name === 'ACTIONS_RUNTIME_TOKEN' ||
    name === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' ||
    name === 'ACTIONS_ID_TOKEN_REQUEST_URL'
  )
}

/**
 * The step's environment less what a process it starts must not see (see isWithheld), and less any
 * variable, whatever its name, whose value holds one of `secrets` (a job-level `FAST_TOKEN` passed on as
 * `token: ${{ env.FAST_TOKEN }}`).
 */
export function withoutSecrets(
  base: NodeJS.ProcessEnv,
  secrets: readonly string[] = []
): Record<string, string> {
  const held = secrets.filter((s) => s !== '')
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || isWithheld(name)) continue
    if (held.some((secret) => value.includes(secret))) continue
    env[name] = value
  }
  return env
}

/** The command's environment: the step's own, less what it must not see, plus the proxy settings. */
export function commandEnvironment(base: NodeJS.ProcessEnv, options: ProxyEnvOptions): CommandEnvironment {
  const env = withoutSecrets(base, options.secrets)
  const proxy = new URL(options.proxyUrl)
  const targetHost = new URL(options.target).hostname
  const set: Record<string, string> = {
    http_proxy: options.proxyUrl,
    HTTP_PROXY: options.proxyUrl,
    https_proxy: options.proxyUrl,
    HTTPS_PROXY: options.proxyUrl,
    // Node 24 (and 22.21+) fetch and http honour the proxy variables only with this.
    NODE_USE_ENV_PROXY: '1',
    // Java: the JVM reads no proxy variable, but every JVM reads this one. nonProxyHosts emptied, or
    // its default (localhost|127.*|[::1]) would send a local target around the node.
    JAVA_TOOL_OPTIONS: [
      env.JAVA_TOOL_OPTIONS,
      `-Dhttp.proxyHost=${proxy.hostname}`,
      `-Dhttp.proxyPort=${proxy.port}`,
      `-Dhttps.proxyHost=${proxy.hostname}`,
      `-Dhttps.proxyPort=${proxy.port}`,
      '-Dhttp.nonProxyHosts='
    ]
      .filter((part) => part !== undefined && part !== '')
      .join(' '),
    // For tools that take the proxy as an option (browsers, k6, Newman, Playwright).
    FAST_PROXY_URL: options.proxyUrl
  }
  for (const name of ['no_proxy', 'NO_PROXY']) {
    const value = env[name]
    // Every form a client matches the target's host with (no-proxy.ts): [::1], ::1, CIDR ranges, `*`.
    if (value !== undefined) set[name] = withoutHost(value, targetHost)
  }
  if (options.caBundlePath) {
    for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
      set[name] = options.caBundlePath
  }
  Object.assign(env, set)
  return { env, proxyVariables: Object.keys(set) }
}

/**
 * Where a chunk of output goes: `done` once it is out (written to the runner's pipe). Until then no
 * more comes, so a slow reader holds the command back, as it would in a `run` step.
 */
export type Sink = (chunk: Buffer, done: () => void) => void

/** This process's stdout as a sink: `done` once the chunk is handed to the pipe (or could not be). */
export const stdoutSink: Sink = (chunk, done) => void process.stdout.write(chunk, () => done())

const RESUME = { mark: 'resume' }
const CLOSE = { mark: 'close' }
const FLUSH = { mark: 'flush' }
type Mark = typeof RESUME

/** What a log does with the command's output, its resume and its close, each in its turn. */
export interface LogHandlers {
  chunk: Sink
  resume?(done: () => void): void
  close?(done: () => void): void
}

/**
 * The test command's output in the log: a stream the command's pipes flow into, with back-pressure, and
 * the window with workflow commands off that it writes them in. Its resume and close take their turn
 * after the output written before them. A chunk is handed on only once the one before it is out, and at
 * most 16 wait: the action holds about a megabyte of output, whatever the tests print.
 */
export class CommandLog extends Writable {
  private closing = false

  constructor(private readonly handlers: LogHandlers) {
    super({ objectMode: true, highWaterMark: 16 })
  }

  override _write(item: Buffer | Mark, _encoding: BufferEncoding, done: (error?: Error) => void): void {
    // Never an error: a log that cannot be written drops the output, it never stops reading it.
    const next = (): void => done()
    if (Buffer.isBuffer(item)) {
      if (item.length === 0) next()
      else this.handlers.chunk(item, next)
    } else if (item === RESUME) (this.handlers.resume ?? ((d) => d()))(next)
    else if (item === CLOSE) (this.handlers.close ?? ((d) => d()))(next)
    else next()
  }

  /** Workflow commands back on: later output can be no command either (processes left running). */
  resume(): void {
    this.write(RESUME)
  }

  /** No more output: the last partial line, and commands back on if they are not already. */
  close(): void {
    if (this.closing) return
    this.closing = true
    this.write(CLOSE)
  }

  /** Resolves once everything written before is out, the resume and the close included. */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.write(FLUSH, () => resolve()))
  }
}

/** Without a log that knows the runner: the command's output as it comes, on this process's stdout. */
export const rawOutput = new CommandLog({ chunk: stdoutSink })

export interface CommandOptions {
  command: string
  env: Record<string, string>
  cwd?: string
  /**
   * Where the command's stdout and stderr go (through pipes read here, not the step's own fds), a chunk
   * at a time: a log that is behind pauses the pipes, and the command blocks on its next write. A chunk is
   * lent until its write's callback (see OutputPipes.read): a log that keeps chunks copies them.
   */
  output: Writable
  /** Aborted on cancellation: everything the command started is ended (see {@link RunningCommand.end}). */
  signal: AbortSignal
  /**
   * How long processes get between SIGTERM and SIGKILL. Default 2000: the runner allows 7.5 s from its
   * SIGINT to its SIGTERM, and the recording and the node still need stopping.
   */
  killGraceMs?: number
  /** The monotonic clock the grace is measured on (never the wall clock, which NTP may step). */
  clock?: Clock
}

export interface CommandResult {
  /** The exit code; 128 + the signal's number when a signal ended it (as a shell reports it). */
  exitCode: number
  /** Whether it was ended because the signal aborted. */
  cancelled: boolean
}

export interface RunningCommand {
  /** bash's own end. What it started in the background goes on running, as after a `run` step. */
  readonly exited: Promise<CommandResult>
  /**
   * Whether the output pipes reached their end within `ms`: every process holding them exited or closed
   * them, so nothing more of the command can be read.
   */
  settled(ms: number): Promise<boolean>
  /** The processes of the command still running (Linux; elsewhere, none are known). */
  running(): number[]
  /**
   * Ends every process the command started: SIGTERM, SIGKILL to what is left after the grace period,
   * then stops reading its output (a writer that escaped gets no further than the pipe).
   */
  end(): Promise<void>
}

/** The variable whose value marks every process the command starts (see processes.ts). */
export const TRACKING_VARIABLE = 'WALLARM_FAST_TRACKING_ID'

/** How often the end checks whether the processes are gone. */
const POLL_MS = 50
/** After SIGKILL, how long the pipes get to reach their end before they are closed on a writer left. */
const LAST_READ_MS = 500

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Starts `command` with bash as a `run` step does (`bash --noprofile --norc -eo pipefail`), in a session
 * of its own (so that every process it starts can be found, see processes.ts), its output through pipes
 * that this process reads. Resolves once bash runs; rejects when there is no bash.
 */
export async function startCommand(options: CommandOptions): Promise<RunningCommand> {
  const graceMs = options.killGraceMs ?? 2000
  const clock = options.clock ?? systemClock
  const trackingId = randomUUID()
  const marker = `${TRACKING_VARIABLE}=${trackingId}`
  const output = await outputPipes()
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', options.command], {
    env: { ...options.env, [TRACKING_VARIABLE]: trackingId },
    cwd: options.cwd,
    stdio: ['ignore', ...output.stdio],
    // setsid(): a session (and a process group) of its own.
    detached: true
  })
  // Read into the log until the pipes end; the log itself is never ended by them (see OutputPipes.read).
  const pipes = output.read(child, options.output)
  const eof = Promise.all(
    pipes.map((pipe) => new Promise<void>((resolve) => pipe.once('close', () => resolve())))
  )
  let bashRuns = true
  const running = (): number[] => {
    const pid = child.pid
    if (pid === undefined) return []
    if (canList()) return commandProcesses(pid, marker)
    // No /proc (macOS, Windows): the process group, of which only its leader is known.
    return bashRuns ? [pid] : []
  }
  const signal = (sig: NodeJS.Signals): void => {
    signalAll(running(), sig)
    // The group as well: where /proc cannot be read, it is all that can be reached.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig)
    } catch {
      // the group is gone, or there are no groups here
    }
  }
  let ending: Promise<void> | undefined
  const end = (): Promise<void> =>
    (ending ??= (async () => {
      signal('SIGTERM')
      const deadline = clock.now() + graceMs
      while (running().length > 0 && clock.now() < deadline) await pause(POLL_MS)
      if (running().length > 0) signal('SIGKILL')
      await Promise.race([eof, pause(LAST_READ_MS)])
      for (const pipe of pipes) pipe.destroy()
    })())

  let cancelled = false
  const onAbort = (): void => {
    cancelled = true
    void end()
  }
  const exited = new Promise<CommandResult>((resolve) => {
    child.once('exit', (code, sig) => {
      bashRuns = false
      options.signal.removeEventListener('abort', onAbort)
      resolve({ exitCode: code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0), cancelled })
    })
  })
  return new Promise((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'The run command is run with bash, which is not installed here (the job runs in a container without it?).'
            )
          : err
      )
    })
    child.once('spawn', () => {
      if (options.signal.aborted) onAbort()
      else options.signal.addEventListener('abort', onAbort, { once: true })
      resolve({
        exited,
        settled: (ms) => Promise.race([eof.then(() => true), pause(ms).then(() => false)]),
        running,
        end
      })
    })
  })
}

/** Runs the command to its end and ends what it left behind: for callers that wait for nothing else. */
export async function runCommand(options: CommandOptions): Promise<CommandResult> {
  const command = await startCommand(options)
  try {
    return await command.exited
  } finally {
    await command.end()
  }
}

/** How long the output pipes get to end after bash exits, before processes left running are assumed. */
const SETTLE_MS = 250

/**
 * bash's end, and workflow commands back on. What the command left in the background (`npm start &`)
 * runs on until the verdict is in, as after a `run` step, and holds the output pipes. Commands come back
 * on at once all the same, the log neutralising its lines from then on: the diagnoses, the node's
 * warnings and the verdict that follow are the action's own commands and must not be shown as text
 * (keeping commands off until those processes are ended would do that). Without such processes the pipes
 * end at once, and all the command printed comes before the resume, byte for byte.
 */
export async function testsDone(
  command: RunningCommand,
  output: CommandLog,
  log: { info(message: string): void }
): Promise<CommandResult> {
  const result = await command.exited
  if (await command.settled(SETTLE_MS)) output.close()
  else output.resume()
  // The action's own lines (and commands) come after the resume, never among the tests' output.
  await output.flushed()
  const left = command.running()
  if (left.length > 0)
    log.info(
      `The run command left ${processes(left)} running in the background: kept until the verdict is in, ` +
        'as after a run step; what they print is shown as text.'
    )
  return result
}

/** Ends what the command left running, and says so. */
export async function endLeftovers(
  command: RunningCommand,
  log: { info(message: string): void }
): Promise<void> {
  const left = command.running()
  if (left.length > 0) log.info(`Ending ${processes(left)} the run command left in the background.`)
  await command.end()
}

/** `2 processes (pids 41, 42)`. */
function processes(pids: readonly number[]): string {
  const one = pids.length === 1
  return `${pids.length} process${one ? '' : 'es'} (pid${one ? '' : 's'} ${pids.join(', ')})`
}
