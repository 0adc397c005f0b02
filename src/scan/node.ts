/**
 * The FAST node's container, over the Docker CLI: check that it can run here, start it with host
 * networking, keep its log in a file, wait until it is connected, and remove it. The `docker` binary is
 * spawned like any other tool (no library that talks to the engine's socket): the runner's Docker
 * configuration (DOCKER_HOST, contexts, credentials for a mirror) applies as it does in a `run` step.
 *
 * The token reaches the node only through the environment of the `docker` process (`-e
 * WALLARM_API_TOKEN` without a value copies it from there): never on a command line, which any process
 * on the runner can read. No `@actions/core` here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { systemClock, type Clock } from '../common/time.js'
import { CONTAINER_LABEL, docker, seconds } from './docker.js'
import { containerPids, portHolder } from './port-holder.js'
import { NODE_CA_URL } from './ca.js'
import { Redactor, logSafe } from '../text/untrusted.js'

export { CONTAINER_LABEL, docker, type DockerResult } from './docker.js'

/** What a healthy node logs once it reached the cloud (spec §4.1). */
export const CONNECTED_LINE = 'Node connected to Wallarm Cloud'
/** What the node logs for a wrong token or cloud: `Can't create new instance - access denied`. */
const ACCESS_DENIED = /access denied/i

export class NodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NodeError'
  }
}

/** What to do instead, said by every preflight failure. */
const ALTERNATIVES =
  'Alternatively, run the node yourself and set node-url to its proxy: as a service container ' +
  '(image wallarm/fast, ports 8080:8080, with the application reached from it as host.docker.internal ' +
  'and listening on 0.0.0.0), or on another host.'

/** The node's variables for the cloud it connects to: `http://host:port` gives `host:port` and no TLS. */
export function nodeApiEnvironment(apiBaseUrl: string): Record<string, string> {
  const url = new URL(apiBaseUrl)
  return url.protocol === 'http:'
    ? { WALLARM_API_HOST: url.host, WALLARM_API_USE_SSL: 'false' }
    : { WALLARM_API_HOST: url.host }
}

export interface NodeOptions {
  image: string
  /** Never in argv: it goes into the `docker` process's environment. */
  token: string
  /** The resolved API base URL, e.g. `https://us1.api.wallarm.com` or `http://127.0.0.1:8555`. */
  apiBaseUrl: string
  allowedHosts: string
  /** Where the node's proxy listens on the runner (host networking). The real node: 8080. */
  proxyPort: number
  /** The node's log is written here as it comes. */
  logPath: string
  /** The environment the `docker` process starts from (PATH, DOCKER_HOST, HOME…), without secrets. */
  env: NodeJS.ProcessEnv
  /** A value for the label, such as the workflow run's id. */
  labelValue?: string
  /**
   * Told the container's name before `docker run` starts, so that a step killed while the image is
   * pulled or the container starts still leaves the post step a name to remove.
   */
  onName?: (name: string) => void
  /** Aborts `docker run` (a pull can take minutes): a cancelled step does not wait for it. */
  signal?: AbortSignal
  /** The monotonic clock ready-timeout is measured on (never the wall clock, which NTP may step). */
  clock?: Clock
  /** ready-timeout: bounds `docker run` (the pull, mostly), then the wait for the node (waitReady's). */
  readyTimeoutMs?: number
}

/** action.yml's default ready-timeout. */
const DEFAULT_READY_TIMEOUT_MS = 5 * 60_000

/** `docker run` arguments. Pure, so that a test can see every one of them. */
export function dockerRunArgs(options: NodeOptions, name: string): string[] {
  const vars: Record<string, string> = nodeApiEnvironment(options.apiBaseUrl)
  // Empty when the node only replays a test record: it records nothing, so none is set.
  if (options.allowedHosts !== '') vars.ALLOWED_HOSTS = options.allowedHosts
  // The real node always listens on 8080; images that can listen elsewhere (the emulator's) read this.
  if (options.proxyPort !== 8080) vars.PROXY_PORT = String(options.proxyPort)
  return [
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    `${CONTAINER_LABEL}=${options.labelValue ?? 'true'}`,
    '--network',
    'host',
    '--env',
    'WALLARM_API_TOKEN',
    ...Object.entries(vars).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    options.image
  ]
}

/** Linux, a `docker` that reaches its engine, and the proxy port free: each failure says what to do. */
export async function preflight(options: {
  proxyPort: number
  env: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
}): Promise<void> {
  const platform = options.platform ?? process.platform
  if (platform !== 'linux') {
    throw new NodeError(
      `Starting the FAST node needs a Linux runner with Docker (host networking); this one is ${platform}. ${ALTERNATIVES}`
    )
  }
  const version = await docker(['version', '--format', '{{.Server.Version}}'], options.env, 30_000)
  if (version.code === 127) {
    throw new NodeError(
      `Starting the FAST node needs the docker command, which is not installed here. ${ALTERNATIVES}`
    )
  }
  if (version.code !== 0) {
    throw new NodeError(
      `Starting the FAST node needs a Docker engine, and docker could not reach one: ${lastLines(version.stderr, 3)} ${ALTERNATIVES}`
    )
  }
  const inUse = await portInUse(options.proxyPort)
  if (inUse) {
    const holder = await portHolder(options.proxyPort, options.env)
    throw new NodeError(
      `Port ${options.proxyPort} on the runner is in use (${inUse}${holder ? `: ${holder}` : ''}), and the FAST node's ` +
        `proxy listens there with host networking. Free it, or, for a node image that can listen elsewhere, set ` +
        `proxy-port. ${ALTERNATIVES}`
    )
  }
}

/** Why `port` cannot be listened on (every address, as the node listens), or undefined when it can. */
function portInUse(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

export interface RunningNode {
  /** The container's name, for `docker rm -f` by the post step. */
  name: string
  /** `http://127.0.0.1:<proxyPort>` */
  proxyUrl: string
  logPath: string
  /**
   * Resolves once the log says the node is connected, the container is running and its proxy answers HTTP
   * on the port (held by no one else: see port-holder.ts); rejects with the node's words, or who holds the port.
   */
  waitReady(timeoutMs: number, signal: AbortSignal): Promise<void>
  /** The last lines of the node's log, for a collapsed group when something went wrong. */
  logTail(lines?: number): string
  /** Aborted when the container stops by itself (its log ends before remove() was called). */
  stopped: AbortSignal
  /** Removes the container (and ends the log stream). Safe to call more than once. */
  remove(): Promise<void>
}

/** Starts the node's container. Its log is streamed to `logPath` from the start. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const name = `wallarm-fast-${randomBytes(6).toString('hex')}`
  const env: NodeJS.ProcessEnv = { ...options.env, WALLARM_API_TOKEN: options.token }
  options.onName?.(name)
  // Pulling the image is most of it: bounded by ready-timeout, as the wait for the node that follows is.
  const runTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS
  const started = await docker(dockerRunArgs(options, name), env, runTimeoutMs, options.signal)
  if (started.code !== 0) {
    // A failed or cancelled `run` may still have created the container.
    await docker(['rm', '--force', name], options.env, 30_000)
    if (options.signal?.aborted)
      throw new NodeError('The job was cancelled while the FAST node was starting.')
    if (started.code === 124) {
      throw new NodeError(
        `docker run (${options.image}) did not finish within ${seconds(runTimeoutMs)} (ready-timeout): pulling the ` +
          'image is most of it. Raise ready-timeout, pull the image in an earlier step, or set node-image to a nearer mirror.'
      )
    }
    throw new NodeError(
      `docker could not start the FAST node (${options.image}): ${lastLines(started.stderr, 3)} ` +
        'If the image could not be pulled (rate limit, no access to Docker Hub), set node-image to a mirror of it.'
    )
  }

  const file: WriteStream = createWriteStream(options.logPath, { flags: 'a' })
  // The log file is a report, not the step: a file that cannot be written (or lines that arrive after it
  // was closed) must never become an uncaught error that ends the step before its outputs.
  let fileBroken = false
  file.on('error', () => {
    fileBroken = true
  })
  let log = ''
  let logEnded = false
  let removing = false
  const stopped = new AbortController()
  const logs: ChildProcess = spawn('docker', ['logs', '--follow', name], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const onLines = (text: string): void => {
    if (!fileBroken && !file.writableEnded) file.write(text)
    // Only the tail matters for the checks and the report: keep it bounded.
    log = (log + text).slice(-64 * 1024)
  }
  // Whole lines, the token redacted, should the node ever print it: the log becomes a file and a report.
  const streams = [logs.stdout, logs.stderr].map((stream) => {
    const lines = redactedLines(options.token, onLines)
    stream?.setEncoding('utf8')
    stream?.on('data', (chunk: string) => lines.push(chunk))
    stream?.on('end', () => lines.flush())
    return lines
  })
  const ended = new Promise<void>((resolve) => {
    const end = (): void => {
      for (const lines of streams) lines.flush()
      logEnded = true
      if (!removing) stopped.abort(new NodeError(`The FAST node's container ${name} stopped.`))
      resolve()
    }
    logs.once('close', end)
    logs.once('error', end)
  })

  /** Who else holds the proxy port: not this step's container, nor one of its processes. */
  const foreignHolder = async (): Promise<string | undefined> =>
    portHolder(options.proxyPort, options.env, { name, pids: await containerPids(name, options.env) })
  /** Whether the container this step started is running now. */
  const running = async (): Promise<boolean> =>
    (await docker(['inspect', '--format', '{{.State.Running}}', name], options.env, 10_000)).stdout.trim() ===
    'true'

  const proxyUrl = `http://127.0.0.1:${options.proxyPort}`
  let removed: Promise<void> | undefined
  const node: RunningNode = {
    name,
    proxyUrl,
    logPath: options.logPath,
    logTail: (lines = 40) => lastLines(log, lines),
    stopped: stopped.signal,
    async waitReady(timeoutMs, signal) {
      const clock = options.clock ?? systemClock
      const deadline = clock.now() + timeoutMs
      for (;;) {
        const denied = log.split('\n').find((line) => ACCESS_DENIED.test(line))
        if (denied !== undefined) {
          throw new NodeError(
            `The FAST node could not connect to the Wallarm cloud: "${logSafe(denied.trim())}". The token is wrong, or it ` +
              'belongs to another cloud than api-host (us or eu).'
          )
        }
        if (log.includes(CONNECTED_LINE) && (await answersHttp(options.proxyPort))) {
          // Something answers HTTP on the port: ready only if it is the node this step started.
          if (await running()) {
            const holder = await foreignHolder()
            if (holder === undefined) return
            throw new NodeError(
              `Port ${options.proxyPort} answers, but not from the FAST node this step started (${name}): it is held by ` +
                `${holder}. The tests' traffic would go there.`
            )
          }
        }
        if (logEnded) {
          const state = await docker(
            ['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name],
            options.env,
            10_000
          )
          const holder = await foreignHolder()
          throw new NodeError(
            `The FAST node's container stopped before it was ready (${state.stdout.trim() || 'gone'}). ` +
              (holder ? `Port ${options.proxyPort}, where it listens, is held by ${holder}. ` : '') +
              `Its last words: ${lastLines(log, 5) || '(nothing)'}`
          )
        }
        if (signal.aborted) throw new NodeError('Cancelled while the FAST node was starting.')
        if (clock.now() >= deadline) {
          const holder = log.includes(CONNECTED_LINE) ? await foreignHolder() : undefined
          throw new NodeError(
            `The FAST node was not ready within ${seconds(timeoutMs)} (ready-timeout): ` +
              (log.includes(CONNECTED_LINE)
                ? `it connected to the cloud, but no FAST node proxy answers HTTP on port ${options.proxyPort}` +
                  (holder ? `, which is held by ${holder}.` : '.')
                : `its log never said "${CONNECTED_LINE}"; can it reach the Wallarm API (outbound HTTPS)? Its last words: ${lastLines(log, 5) || '(nothing)'}`)
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    },
    remove: () =>
      (removed ??= (async () => {
        removing = true
        const result = await docker(['rm', '--force', name], options.env, 30_000)
        // Removing the container ends `docker logs --follow`; do not wait long if it does not.
        if (!logEnded) await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))])
        if (!logEnded) logs.kill()
        await new Promise<void>((resolve) => file.end(() => resolve()))
        if (result.code !== 0 && !/no such container/i.test(result.stderr)) {
          throw new NodeError(
            `Removing the FAST node's container ${name} failed: ${lastLines(result.stderr, 2)}`
          )
        }
      })())
  }
  return node
}

/** Removes a container by name: the post step's clean-up of a step that was killed. */
export async function removeContainer(name: string, env: NodeJS.ProcessEnv): Promise<'removed' | 'gone'> {
  const result = await docker(['rm', '--force', name], env, 30_000)
  if (result.code === 0) return 'removed'
  if (/no such container/i.test(result.stderr)) return 'gone'
  throw new NodeError(`Removing the FAST node's container ${name} failed: ${lastLines(result.stderr, 2)}`)
}

/**
 * Whether an HTTP proxy answers on the port: a request for the node's CA (`http://wallarm.get/cert.der`,
 * which the FAST node answers itself, spec §6.1) gets an HTTP answer, whatever its status. A listener that
 * accepts TCP and does not speak HTTP (or says nothing) is no node.
 */
export function answersHttp(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(
      { host, port, path: NODE_CA_URL, headers: { host: 'wallarm.get' }, agent: false, timeout: 2000 },
      (res) => {
        res.resume()
        req.destroy()
        resolve(true)
      }
    )
    req.on('timeout', () => req.destroy(new Error('no answer')))
    req.on('error', () => resolve(false))
  })
}

/** The last lines of outside text (a node's log, docker's errors) as one line that is safe to log. */
function lastLines(text: string, n: number): string {
  return logSafe(
    text
      .trim()
      .split('\n')
      .slice(-n)
      .map((l) => l.trim())
      .join(' | ')
  )
}

/**
 * Passes text on in whole lines with every form of `secret` (raw, escaped, base64: see Redactor)
 * replaced by `***`; a line split across two chunks is held until it is whole, so that a secret cannot
 * slip through between them.
 */
export function redactedLines(
  secret: string,
  write: (text: string) => void
): { push(chunk: string): void; flush(): void } {
  let pending = ''
  const redactor = new Redactor([secret])
  return {
    push: (chunk) => {
      pending += chunk
      const end = pending.lastIndexOf('\n')
      if (end === -1) {
        // A megabyte without a line break is no log line: pass it on rather than hold it all.
        if (pending.length > 1024 * 1024) {
          write(redactor.text(pending))
          pending = ''
        }
        return
      }
      write(redactor.text(pending.slice(0, end + 1)))
      pending = pending.slice(end + 1)
    },
    flush: () => {
      if (pending !== '') write(redactor.text(pending))
      pending = ''
    }
  }
}
