/**
 * The test command: the `run` input in a shell, with everything a client needs to send its requests
 * through the FAST node, its output streamed live, its exit code kept, and the whole process group
 * ended on cancellation. No `@actions/core` here.
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:os'

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
  const targetHost = new URL(options.target).hostname.replace(/^\[|\]$/g, '')
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
    if (value !== undefined) set[name] = withoutHost(value, targetHost)
  }
  if (options.caBundlePath) {
    for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
      set[name] = options.caBundlePath
  }
  Object.assign(env, set)
  return { env, proxyVariables: Object.keys(set) }
}

/** A NO_PROXY list without the entries that would send `host` around the proxy (and without `*`). */
export function withoutHost(noProxy: string, host: string): string {
  const h = host.toLowerCase()
  return noProxy
    .split(',')
    .map((e) => e.trim())
    .filter((entry) => {
      const name = entry
        .toLowerCase()
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, '')
      if (name === '' || name === '*') return false
      const domain = name.replace(/^\*?\./, '')
      return !(h === domain || h.endsWith(`.${domain}`))
    })
    .join(',')
}

export interface CommandOptions {
  command: string
  env: Record<string, string>
  cwd?: string
  /** Aborted on cancellation: the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal
  /** Default 2000: the runner allows 7.5 s in all, and the recording and the node still need stopping. */
  killGraceMs?: number
}

export interface CommandResult {
  /** The exit code; 128 + the signal's number when a signal ended it (as a shell reports it). */
  exitCode: number
  /** Whether it was ended because the signal aborted. */
  cancelled: boolean
}

/**
 * Runs `command` with bash as a `run` step does (`bash --noprofile --norc -eo pipefail`), its output
 * on this process's own (so it streams live into the job log), in a process group of its own so that
 * what it started goes too: on cancellation, and once it exits (a server left in the background).
 */
export function runCommand(options: CommandOptions): Promise<CommandResult> {
  const graceMs = options.killGraceMs ?? 2000
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', options.command], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true
    })
    let cancelled = false
    let killTimer: NodeJS.Timeout | undefined
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal)
      } catch {
        // The group is already gone.
      }
    }
    const onAbort = (): void => {
      cancelled = true
      killGroup('SIGTERM')
      killTimer = setTimeout(() => killGroup('SIGKILL'), graceMs)
    }
    if (options.signal.aborted) onAbort()
    else options.signal.addEventListener('abort', onAbort, { once: true })
    child.once('error', (err: NodeJS.ErrnoException) => {
      options.signal.removeEventListener('abort', onAbort)
      reject(
        err.code === 'ENOENT'
          ? new Error(
              'The run command is run with bash, which is not installed here (the job runs in a container without it?).'
            )
          : err
      )
    })
    child.once('exit', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort)
      if (killTimer) clearTimeout(killTimer)
      // Whatever the command left running in its group (a server started with &) ends with it; a process
      // that traps SIGTERM (a JVM's shutdown hooks, a daemon) gets SIGKILL after the grace period, even
      // though bash, the group's leader, is gone already.
      killGroup('SIGTERM')
      setTimeout(() => killGroup('SIGKILL'), graceMs).unref()
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
      resolve({ exitCode, cancelled })
    })
  })
}
