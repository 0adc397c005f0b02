import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  CONTAINER_LABEL,
  NodeError,
  docker,
  dockerRunArgs,
  nodeApiEnvironment,
  preflight,
  redactedLines,
  removeContainer,
  startNode,
  type NodeOptions
} from '../../src/scan/node.js'

const TOKEN = 'fast-node-lifecycle-s3cr3t'
const HOUR = 3_600_000
const FAKE_DOCKER_DIR = resolve(import.meta.dirname, 'fixtures')

let dir: string
let callsFile: string
const servers: net.Server[] = []
const sockets: net.Socket[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fast-node-'))
  callsFile = join(dir, 'calls')
  writeFileSync(callsFile, '')
})
afterEach(async () => {
  for (const c of sockets.splice(0)) c.destroy()
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

/** The environment of a step whose `docker` is the stand-in, in the given mode. */
const envFor = (mode: string): NodeJS.ProcessEnv => ({
  PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH}`,
  FAKE_DOCKER_LOG: callsFile,
  FAKE_DOCKER_MODE: mode,
  // The stand-in node prints this in its log, as a careless node might print its token.
  FAKE_DOCKER_LEAK: TOKEN,
  // The container's process (docker top), which may hold the proxy port: this one, which listens for it.
  FAKE_DOCKER_NODE_PID: String(process.pid)
})
const calls = (): { tokenInEnv: boolean; args: string }[] =>
  readFileSync(callsFile, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [flag, args] = l.split('\t')
      return { tokenInEnv: flag === 'token-in-env', args: args ?? '' }
    })

/** A port where an HTTP proxy answers, as the emulated node does for wallarm.get (it cannot reach it: 502). */
async function listening(): Promise<number> {
  return listen(
    http.createServer((_req, res) => {
      res.writeHead(502).end('Bad gateway')
    })
  )
}

/** A port that accepts TCP and never speaks HTTP. */
async function mute(): Promise<number> {
  return listen(net.createServer(() => undefined))
}

async function listen(s: net.Server): Promise<number> {
  servers.push(s)
  s.on('connection', (c) => sockets.push(c))
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', r))
  return (s.address() as AddressInfo).port
}

const options = (mode: string, proxyPort: number): NodeOptions => ({
  image: 'wallarm/fast:test',
  token: TOKEN,
  apiBaseUrl: 'http://127.0.0.1:8555',
  allowedHosts: 'localhost',
  proxyPort,
  logPath: join(dir, 'node.log'),
  env: envFor(mode),
  labelValue: '1234'
})

describe('the node’s variables and docker run arguments', () => {
  it('an http:// API gives host:port and WALLARM_API_USE_SSL=false; https gives the host alone', () => {
    expect(nodeApiEnvironment('http://127.0.0.1:8555')).toEqual({
      WALLARM_API_HOST: '127.0.0.1:8555',
      WALLARM_API_USE_SSL: 'false'
    })
    expect(nodeApiEnvironment('https://us1.api.wallarm.com')).toEqual({
      WALLARM_API_HOST: 'us1.api.wallarm.com'
    })
    expect(nodeApiEnvironment('https://api.example.com:8443/')).toEqual({
      WALLARM_API_HOST: 'api.example.com:8443'
    })
  })

  it('host networking, a label, the token by name only, PROXY_PORT only off 8080', () => {
    const args = dockerRunArgs(options('ok', 8080), 'wallarm-fast-x')
    expect(args).toEqual([
      'run',
      '--detach',
      '--name',
      'wallarm-fast-x',
      '--label',
      `${CONTAINER_LABEL}=1234`,
      '--network',
      'host',
      '--env',
      'WALLARM_API_TOKEN',
      '--env',
      'WALLARM_API_HOST=127.0.0.1:8555',
      '--env',
      'WALLARM_API_USE_SSL=false',
      '--env',
      'ALLOWED_HOSTS=localhost',
      'wallarm/fast:test'
    ])
    expect(dockerRunArgs(options('ok', 18080), 'n')).toContain('PROXY_PORT=18080')
    // A node that only replays a test record records nothing: no ALLOWED_HOSTS at all.
    const replay = dockerRunArgs({ ...options('ok', 8080), allowedHosts: '' }, 'n')
    expect(replay.filter((a) => a.startsWith('ALLOWED_HOSTS'))).toEqual([])
  })
})

describe('preflight', () => {
  it('a runner that is not Linux is told what to do instead', async () => {
    await expect(preflight({ proxyPort: 1, env: envFor('ok'), platform: 'darwin' })).rejects.toThrow(
      /needs a Linux runner with Docker .* this one is darwin\. .*node-url/
    )
  })
  it('no docker command, or no engine, says so and what to do instead', async () => {
    await expect(preflight({ proxyPort: 1, env: { PATH: dir } })).rejects.toThrow(
      /needs the docker command, which is not installed here\. .*node-url/
    )
    await expect(preflight({ proxyPort: 1, env: envFor('no-engine') })).rejects.toThrow(
      /docker could not reach one: Cannot connect to the Docker daemon.*host\.docker\.internal/
    )
  })
  it('a proxy port in use is named, and the process that holds it', async () => {
    const port = await listening()
    await expect(preflight({ proxyPort: port, env: envFor('ok') })).rejects.toThrow(
      new RegExp(
        `Port ${port} on the runner is in use \\(EADDRINUSE: process ${process.pid} \\(.*node.*\\)\\).*proxy-port.*node-url`
      )
    )
  })
  it('a FAST node container a dead runner left on the port is named (found by our label), with the command to remove it', async () => {
    const port = await listening()
    await expect(
      preflight({ proxyPort: port, env: { ...envFor('leftover'), FAKE_DOCKER_PORT: String(port) } })
    ).rejects.toThrow(
      `Port ${port} on the runner is in use (EADDRINUSE: container wallarm-fast-0ld, a FAST node this action started ` +
        '(workflow run 999) and a runner that died left running: remove it with `docker rm -f wallarm-fast-0ld`)'
    )
  })
  it('a container that publishes the port is named', async () => {
    const port = await listening()
    await expect(preflight({ proxyPort: port, env: envFor('published') })).rejects.toThrow(
      `in use (EADDRINUSE: container shop-fast-1, which publishes it)`
    )
  })
  it('a docker command that hangs is named as timed out, with its bound', async () => {
    const result = await docker(['version', '--format', '{{.Server.Version}}'], envFor('hangs'), 500)
    expect(result.code).toBe(124)
    expect(result.stderr).toBe('docker version timed out after 0.5 s')
  })
  it('passes with Linux, an engine and a free port', async () => {
    const port = await listening()
    await new Promise((r) => servers.pop()!.close(r))
    await expect(preflight({ proxyPort: port, env: envFor('ok') })).resolves.toBeUndefined()
  })
})

describe('startNode', () => {
  it('starts, waits for the connected line and the port, keeps the log, removes the container', async () => {
    const node = await startNode(options('ok', await listening()))
    await node.waitReady(10_000, new AbortController().signal)
    await node.remove()
    await node.remove()
    const log = readFileSync(node.logPath, 'utf8')
    expect(log).toContain('Node connected to Wallarm Cloud')
    expect(log).toContain('[info] Starting with token ***')
    expect(log).not.toContain(TOKEN)
    const made = calls()
    // Ready: connected, the container running, and no one but its own process holding the port.
    expect(made.map((c) => c.args.split(' ')[0])).toEqual(['run', 'logs', 'inspect', 'top', 'ps', 'ps', 'rm'])
    expect(made.at(-1)!.args).toBe(`rm --force ${node.name}`)
    // The token: only in the environment of `docker run`, never in any argument.
    expect(made.map((c) => c.tokenInEnv)).toEqual([true, false, false, false, false, false, false])
    expect(readFileSync(callsFile, 'utf8').replace(/^token-in-env/gm, '')).not.toContain(TOKEN)
    expect(node.name).toMatch(/^wallarm-fast-[0-9a-f]{12}$/)
  })

  it('a port that accepts TCP but answers no HTTP is no node: not ready, and who holds the port is named', async () => {
    const node = await startNode({
      ...options('ok', await mute()),
      env: { ...envFor('ok'), FAKE_DOCKER_NODE_PID: '1' }
    })
    await expect(node.waitReady(1_000, new AbortController().signal)).rejects.toThrow(
      new RegExp(
        `not ready within 1 s \\(ready-timeout\\): it connected to the cloud, but no FAST node proxy answers HTTP on port \\d+, which is held by process ${process.pid} `
      )
    )
    await node.remove()
  }, 20_000)

  it('a proxy on the port that is not the container’s (another job took it) is refused, and named', async () => {
    const node = await startNode({
      ...options('ok', await listening()),
      env: { ...envFor('ok'), FAKE_DOCKER_NODE_PID: '1' }
    })
    await expect(node.waitReady(10_000, new AbortController().signal)).rejects.toThrow(
      new RegExp(
        `Port \\d+ answers, but not from the FAST node this step started \\(${node.name}\\): it is held by process ${process.pid} `
      )
    )
    await node.remove()
  }, 20_000)

  it('fails early with the node’s own words on access denied', async () => {
    const node = await startNode(options('denied', await listening()))
    await expect(node.waitReady(60_000, new AbortController().signal)).rejects.toThrow(
      /could not connect to the Wallarm cloud: "\[error\] Can't create new instance - access denied"\. The token is wrong/
    )
    await node.remove()
  })

  it('a container that stops before it is ready, a node that never connects, a cancel', async () => {
    const exits = await startNode(options('exits', await listening()))
    await expect(exits.waitReady(60_000, new AbortController().signal)).rejects.toThrow(
      /stopped before it was ready \(exited 1\)\. Its last words: \[fatal\] config error/
    )
    await exits.remove()
    const silent = await startNode(options('silent', await listening()))
    const started = Date.now()
    await expect(silent.waitReady(1_000, new AbortController().signal)).rejects.toThrow(
      /not ready within 1 s \(ready-timeout\): its log never said "Node connected to Wallarm Cloud"/
    )
    expect(Date.now() - started).toBeLessThan(6_000)
    const controller = new AbortController()
    controller.abort()
    await expect(silent.waitReady(60_000, controller.signal)).rejects.toThrow(/Cancelled/)
    await silent.remove()
  })

  it('the ready wait is read on the monotonic clock: a wall clock stepped forward an hour does not fail a healthy node', async () => {
    const node = await startNode(options('slow-start', await listening()))
    // NTP steps the wall clock forward an hour just after the wait began; the node connects a second later.
    const wall = Date.now.bind(Date)
    let reads = 0
    const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wall() + (reads++ > 0 ? HOUR : 0))
    try {
      await node.waitReady(300_000, new AbortController().signal)
    } finally {
      stepped.mockRestore()
      await node.remove()
    }
  }, 20_000)

  it('the ready wait is read through the injected clock: stepped past ready-timeout, it ends then', async () => {
    let now = 0
    const node = await startNode({ ...options('silent', await listening()), clock: { now: () => now } })
    const waiting = node.waitReady(300_000, new AbortController().signal)
    const outcome = waiting.then(
      () => 'ready',
      (err: Error) => err.message
    )
    await new Promise((r) => setTimeout(r, 300))
    now += 300_000
    expect(await outcome).toMatch(/not ready within 300 s \(ready-timeout\)/)
    await node.remove()
  }, 20_000)

  it('a failed docker run removes what it may have made and suggests a mirror', async () => {
    await expect(startNode(options('pull-denied', 1))).rejects.toThrow(
      /could not start the FAST node \(wallarm\/fast:test\): .*pull access denied.*node-image/
    )
    expect(calls().map((c) => c.args.split(' ')[0])).toEqual(['run', 'rm'])
  })

  it('docker run is bounded by ready-timeout, and says so when a pull takes longer', async () => {
    await expect(startNode({ ...options('slow-pull', 1), readyTimeoutMs: 500 })).rejects.toThrow(
      /docker run .* did not finish within 0\.5 s \(ready-timeout\): .*pull.*ready-timeout/
    )
    expect(calls().map((c) => c.args.split(' ')[0])).toEqual(['run', 'rm'])
  }, 20_000)

  it('names the container before docker run, and a cancel during a slow pull ends it and removes the container', async () => {
    const named: string[] = []
    const controller = new AbortController()
    const started = startNode({
      ...options('slow-pull', 1),
      onName: (n) => named.push(n),
      signal: controller.signal
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(named).toHaveLength(1)
    controller.abort()
    await expect(started).rejects.toThrow(/cancelled while the FAST node was starting/)
    const made = calls().map((c) => c.args.split(' '))
    expect(made.map((a) => a[0])).toEqual(['run', 'rm'])
    // The name the post step was told is the one docker ran and then removed.
    expect(made[0]).toContain(named[0])
    expect(made[1]).toContain(named[0])
  })

  it('removeContainer: removed, or already gone', async () => {
    expect(await removeContainer('wallarm-fast-a', envFor('ok'))).toBe('removed')
    expect(await removeContainer('wallarm-fast-a', envFor('gone'))).toBe('gone')
  })

  it('NodeError is what every failure throws', async () => {
    await expect(preflight({ proxyPort: 1, env: envFor('ok'), platform: 'win32' })).rejects.toBeInstanceOf(
      NodeError
    )
  })
})

describe('redactedLines', () => {
  it('redacts the secret in whole lines, also when a chunk splits it', () => {
    const out: string[] = []
    const lines = redactedLines('s3cr3t-token', (t) => out.push(t))
    lines.push('[info] token s3cr')
    lines.push('3t-token in a line\n[info] next')
    lines.push(' line\npartial s3cr3t-')
    lines.flush()
    expect(out.join('')).toBe('[info] token *** in a line\n[info] next line\npartial s3cr3t-')
    expect(out.join('')).not.toContain('s3cr3t-token')
  })
})
