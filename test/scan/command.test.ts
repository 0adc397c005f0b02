import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  CommandLog,
  commandEnvironment,
  endLeftovers,
  runCommand,
  startCommand,
  testsDone
} from '../../src/scan/command.js'
import { startHop, type RecordingHop } from '../../src/scan/hop.js'
import type { SeenRequest } from '../../src/scan/traffic.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'

const TOKEN = 'fast-command-token-s3cr3t'
const HOUR = 3_600_000

describe('commandEnvironment', () => {
  const base = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    INPUT_TOKEN: TOKEN,
    'INPUT_GITHUB-TOKEN': 'ghs_x',
    WALLARM_API_TOKEN: TOKEN,
    GITHUB_OUTPUT: '/tmp/out',
    GITHUB_STATE: '/tmp/state',
    GITHUB_ENV: '/tmp/env',
    ACTIONS_RUNTIME_TOKEN: 'rt',
    NO_PROXY: 'localhost,127.0.0.1,.internal',
    no_proxy: '*',
    JAVA_TOOL_OPTIONS: '-Xmx512m'
  }
  const { env, proxyVariables } = commandEnvironment(base, {
    proxyUrl: 'http://127.0.0.1:41234',
    target: 'http://localhost:3000',
    caBundlePath: '/tmp/ca.pem'
  })

  it('never holds the token, the inputs or the action’s own files; keeps the rest', () => {
    expect(JSON.stringify(env)).not.toContain(TOKEN)
    for (const name of [
      'INPUT_TOKEN',
      'INPUT_GITHUB-TOKEN',
      'WALLARM_API_TOKEN',
      'GITHUB_OUTPUT',
      'GITHUB_STATE'
    ])
      expect(env).not.toHaveProperty(name)
    expect(env).not.toHaveProperty('ACTIONS_RUNTIME_TOKEN')
    expect(env).toMatchObject({ PATH: '/usr/bin', HOME: '/home/runner', GITHUB_ENV: '/tmp/env' })
  })

  it('drops a variable of any name that holds the token, such as a job-level FAST_TOKEN', () => {
    const given = { ...base, FAST_TOKEN: TOKEN, DB_URL: `postgres://u:${TOKEN}@db/x`, KEPT: 'x' }
    const held = commandEnvironment(given, {
      proxyUrl: 'http://127.0.0.1:41234',
      target: 'http://localhost:3000',
      secrets: [TOKEN]
    }).env
    expect(JSON.stringify(held)).not.toContain(TOKEN)
    expect(held).not.toHaveProperty('FAST_TOKEN')
    expect(held).toHaveProperty('KEPT', 'x')
  })

  it('every proxy variable a client reads, Java’s properties, and the proxy as its own variable', () => {
    expect(env).toMatchObject({
      http_proxy: 'http://127.0.0.1:41234',
      HTTP_PROXY: 'http://127.0.0.1:41234',
      https_proxy: 'http://127.0.0.1:41234',
      HTTPS_PROXY: 'http://127.0.0.1:41234',
      NODE_USE_ENV_PROXY: '1',
      FAST_PROXY_URL: 'http://127.0.0.1:41234',
      JAVA_TOOL_OPTIONS:
        '-Xmx512m -Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=41234 -Dhttps.proxyHost=127.0.0.1 ' +
        '-Dhttps.proxyPort=41234 -Dhttp.nonProxyHosts='
    })
    expect(proxyVariables).toEqual(expect.arrayContaining(['HTTP_PROXY', 'http_proxy', 'NODE_USE_ENV_PROXY']))
  })

  it('takes the target out of NO_PROXY (and a *), keeping the other entries', () => {
    expect(env.NO_PROXY).toBe('127.0.0.1,.internal')
    expect(env.no_proxy).toBe('')
  })

  it('hands the CA bundle to every client that reads one, and no CA variable without a bundle', () => {
    for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'])
      expect(env[name]).toBe('/tmp/ca.pem')
    const plain = commandEnvironment({}, { proxyUrl: 'http://127.0.0.1:1', target: 'http://a.test' })
    expect(plain.env).not.toHaveProperty('SSL_CERT_FILE')
    expect(plain.env).not.toHaveProperty('NO_PROXY')
  })
})

describe('runCommand', () => {
  const never = new AbortController().signal
  const ignore = new CommandLog({ chunk: (_chunk, done) => done() })
  let emu: Emulator
  let app: SampleApp
  let hop: RecordingHop
  const seen: SeenRequest[] = []

  beforeAll(async () => {
    emu = await startEmulator({ tokens: ['fast-command-node'] })
    app = await startSampleApp()
    hop = await startHop({ upstream: emu.proxyUrl, onRequest: (r) => seen.push(r) })
  })
  afterAll(async () => {
    await hop?.close()
    await app?.close()
    await emu?.close()
  })

  it('says so when there is no bash', async () => {
    await expect(
      runCommand({ command: 'true', env: { PATH: '/nonexistent' }, signal: never, output: ignore })
    ).rejects.toThrow('The run command is run with bash, which is not installed here')
  })

  it('gives the exit code, with pipefail as a bash run step has it', async () => {
    expect(
      await runCommand({ command: 'exit 3', env: { PATH: process.env.PATH! }, signal: never, output: ignore })
    ).toEqual({
      exitCode: 3,
      cancelled: false
    })
    expect(
      (
        await runCommand({
          command: 'false | true',
          env: { PATH: process.env.PATH! },
          signal: never,
          output: ignore
        })
      ).exitCode
    ).toBe(1)
    expect(
      (await runCommand({ command: 'true', env: { PATH: process.env.PATH! }, signal: never, output: ignore }))
        .exitCode
    ).toBe(0)
  })

  it('real curl, python3 and a Node 24 fetch go through the hop, a target in NO_PROXY too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const node24 = execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!
    const { env } = commandEnvironment(
      { PATH: process.env.PATH, HOME: process.env.HOME, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
      { proxyUrl: hop.url, target: app.url }
    )
    const command = [
      `curl -sSf ${app.url}/api/products/1`,
      `python3 -c 'import urllib.request; urllib.request.urlopen("${app.url}/api/products/2").read()'`,
      `"${node24}" --input-type=module -e 'const r = await fetch("${app.url}/api/search?q=tea"); if (!r.ok) process.exit(1)'`,
      `echo done > ${dir}/done`
    ].join('\n')
    const result = await runCommand({ command, env, signal: never, output: ignore })
    expect(result.exitCode).toBe(0)
    expect(readFileSync(join(dir, 'done'), 'utf8')).toBe('done\n')
    expect(seen.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/products/1 200',
      'GET /api/products/2 200',
      'GET /api/search 200'
    ])
  })

  it('passes stdout and stderr through, live, and what it left in the background runs on until end()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    execFileSync('mkfifo', [join(dir, 'go')])
    const chunks: string[] = []
    const command = await startCommand({
      // The background subshell waits for the test's word, then prints and stays, as a server does.
      command: `echo out; echo err >&2; (read word < ${dir}/go; echo "late $word"; exec sleep 60) & echo $! > ${dir}/bg`,
      env: { PATH: process.env.PATH! },
      signal: never,
      output: collect(chunks),
      killGraceMs: 500
    })
    expect(await command.exited).toEqual({ exitCode: 0, cancelled: false })
    const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'))
    // bash is gone; what it started is not, and still holds the output.
    expect(isRunning(bg)).toBe(true)
    expect(command.running()).toEqual([bg])
    expect(await command.settled(100)).toBe(false)
    writeFileSync(join(dir, 'go'), 'now\n')
    while (!chunks.join('').includes('late now')) await new Promise((r) => setTimeout(r, 20))
    await command.end()
    expect(isRunning(bg)).toBe(false)
    expect(command.running()).toEqual([])
    expect(await command.settled(0)).toBe(true)
    expect(chunks.join('').split('\n').sort()).toEqual(['', 'err', 'late now', 'out'])
  })

  it('testsDone: commands back on at the pipes’ end, or at once with processes left running, which endLeftovers ends and names', async () => {
    const calls: string[] = []
    const output = new CommandLog({
      chunk: (chunk, done) => {
        calls.push(`write ${chunk.toString().trim()}`)
        done()
      },
      resume: (done) => {
        calls.push('resume')
        done()
      },
      close: (done) => {
        calls.push('close')
        done()
      }
    })
    const log = { info: (m: string) => void calls.push(`info ${m}`) }
    const env = { PATH: process.env.PATH! }
    const plain = await startCommand({ command: 'echo hi', env, signal: never, output })
    expect(await testsDone(plain, output, log)).toEqual({ exitCode: 0, cancelled: false })
    await endLeftovers(plain, log)
    expect(calls.splice(0)).toEqual(['write hi', 'close'])

    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const left = await startCommand({
      command: `sleep 60 & echo $! > ${dir}/bg; exit 4`,
      env,
      signal: never,
      output,
      killGraceMs: 500
    })
    expect((await testsDone(left, output, log)).exitCode).toBe(4)
    const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'))
    expect(isRunning(bg)).toBe(true)
    await endLeftovers(left, log)
    expect(isRunning(bg)).toBe(false)
    expect(calls).toEqual([
      'resume',
      `info The run command left 1 process (pid ${bg}) running in the background: kept until the verdict is in, as after a run step; what they print is shown as text.`,
      `info Ending 1 process (pid ${bg}) the run command left in the background.`
    ])
  })

  it('the pipes end when bash ends and nothing else holds them', async () => {
    const chunks: string[] = []
    const command = await startCommand({
      command: 'printf "a\\nno line break"; sleep 0.1 & wait',
      env: { PATH: process.env.PATH! },
      signal: never,
      output: collect(chunks)
    })
    expect((await command.exited).exitCode).toBe(0)
    expect(await command.settled(10_000)).toBe(true)
    expect(chunks.join('')).toBe('a\nno line break')
    await command.end()
  })

  it('end() ends a process that traps SIGTERM, one in a group of its own (timeout), and one that called setsid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const command = await startCommand({
      command: [
        `bash -c 'trap "" TERM; echo $$ > ${dir}/trap; exec sleep 60' &`,
        // timeout moves itself into a process group of its own (setpgid)
        `timeout 600 bash -c 'echo $$ > ${dir}/timeout; sleep 60' &`,
        // a session of its own: found by the environment it inherited
        `setsid bash -c 'echo $$ > ${dir}/setsid; exec sleep 60' &`,
        `until [ -s ${dir}/trap ] && [ -s ${dir}/timeout ] && [ -s ${dir}/setsid ]; do sleep 0.05; done`
      ].join('\n'),
      env: { PATH: process.env.PATH! },
      signal: never,
      output: ignore,
      killGraceMs: 300
    })
    expect((await command.exited).exitCode).toBe(0)
    const pids = ['trap', 'timeout', 'setsid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')))
    for (const pid of pids) expect(command.running()).toContain(pid)
    await command.end()
    expect(pids.filter(isRunning)).toEqual([])
  })

  it('a cancel ends the command and everything it started, timeout’s own group too, within the grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const controller = new AbortController()
    const started = Date.now()
    const pending = runCommand({
      command: [
        `sleep 60 & echo $! > ${dir}/bg`,
        `timeout 600 bash -c 'echo $$ > ${dir}/timeout; sleep 60' &`,
        `until [ -s ${dir}/timeout ]; do sleep 0.05; done`,
        `echo ready > ${dir}/ready`,
        `trap '' TERM; sleep 60`
      ].join('\n'),
      env: { PATH: process.env.PATH! },
      signal: controller.signal,
      output: ignore,
      killGraceMs: 500
    })
    while (!existsSync(join(dir, 'ready'))) await new Promise((r) => setTimeout(r, 50))
    controller.abort()
    const result = await pending
    expect(result.cancelled).toBe(true)
    expect(result.exitCode).toBeGreaterThan(128)
    expect(Date.now() - started).toBeLessThan(10_000)
    const pids = ['bg', 'timeout'].map((f) => Number(readFileSync(join(dir, f), 'utf8')))
    expect(pids.filter(isRunning)).toEqual([])
  })

  it('back-pressure: a log that is not read blocks the command, as a run step’s would, and loses nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const progress = (): number => Number(readFileSync(join(dir, 'progress'), 'utf8') || 0)
    writeFileSync(join(dir, 'progress'), '')
    // The runner's reader: stalled, each chunk held until it reads again.
    let reading = false
    let held: (() => void) | undefined
    let received = 0
    const log = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length
        if (reading) done()
        else held = done
      }
    })
    const command = await startCommand({
      // 64 MB in 1000 writes of 64 KB, noting how far it got after each.
      command: `s=$(head -c 65536 /dev/zero | tr '\\0' x); for i in $(seq 1 1000); do printf %s "$s"; echo $i > ${dir}/progress; done`,
      env: { PATH: process.env.PATH! },
      signal: never,
      output: log
    })
    // Until the writer stops getting anywhere (it must, or it is not held back at all).
    let last = -1
    for (let now = progress(); now === 0 || now !== last; now = progress()) {
      last = now
      await new Promise((r) => setTimeout(r, 500))
    }
    // Blocked after the pipes' and the log's buffers filled: a few of the 1000 writes, not all of them.
    expect(last).toBeLessThan(100)
    reading = true
    held?.()
    expect(await command.exited).toEqual({ exitCode: 0, cancelled: false })
    expect(await command.settled(10_000)).toBe(true)
    expect(received).toBe(1000 * 65536)
  }, 60_000)

  it('every byte arrives in order, each chunk intact until the log is done with it (the read buffer is reused)', async () => {
    const expected = Array.from({ length: 300_000 }, (_, i) => `${i + 1}\n`).join('')
    const { log, text, changed } = slowLog()
    const command = await startCommand({
      command: 'seq 1 300000',
      env: { PATH: process.env.PATH! },
      signal: never,
      output: log
    })
    expect(await command.exited).toEqual({ exitCode: 0, cancelled: false })
    expect(await command.settled(10_000)).toBe(true)
    await log.flushed()
    expect(changed()).toBe(0)
    expect(text()).toBe(expected)
  })

  it('without mkfifo, spawn’s own pipes are read: every byte in order, held back by a log that is behind', async () => {
    const { log, text, changed } = slowLog()
    const path = process.env.PATH!
    process.env.PATH = '/nonexistent'
    let command: Awaited<ReturnType<typeof startCommand>>
    try {
      command = await startCommand({
        command: 'seq 1 300000; echo err >&2',
        env: { PATH: path },
        signal: never,
        output: log
      })
    } finally {
      process.env.PATH = path
    }
    expect(await command.exited).toEqual({ exitCode: 0, cancelled: false })
    expect(await command.settled(10_000)).toBe(true)
    await log.flushed()
    expect(changed()).toBe(0)
    expect(text().replace('err\n', '')).toBe(Array.from({ length: 300_000 }, (_, i) => `${i + 1}\n`).join(''))
    expect(text()).toContain('err\n')
  })

  it('the kill grace is read on the monotonic clock: a wall clock stepped back an hour does not stretch it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const command = await startCommand({
      command: `bash -c 'trap "" TERM; echo $$ > ${dir}/trap; exec sleep 60' & until [ -s ${dir}/trap ]; do sleep 0.05; done`,
      env: { PATH: process.env.PATH! },
      signal: never,
      output: ignore,
      killGraceMs: 300
    })
    await command.exited
    const pid = Number(readFileSync(join(dir, 'trap'), 'utf8'))
    // NTP steps the wall clock back an hour just after the grace began.
    const wall = Date.now.bind(Date)
    let reads = 0
    const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wall() - (reads++ > 0 ? HOUR : 0))
    try {
      await command.end()
    } finally {
      stepped.mockRestore()
    }
    expect(isRunning(pid)).toBe(false)
  }, 20_000)

  it('the kill grace is read through the injected clock: stepped past the grace, what traps SIGTERM is killed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    let now = 0
    const command = await startCommand({
      command: `bash -c 'trap "" TERM; echo $$ > ${dir}/trap; exec sleep 60' & until [ -s ${dir}/trap ]; do sleep 0.05; done`,
      env: { PATH: process.env.PATH! },
      signal: never,
      output: ignore,
      // Ten minutes on the injected clock, which the test steps: real time plays no part.
      killGraceMs: 600_000,
      clock: { now: () => now }
    })
    await command.exited
    const pid = Number(readFileSync(join(dir, 'trap'), 'utf8'))
    const ending = command.end()
    await new Promise((r) => setTimeout(r, 200))
    expect(isRunning(pid)).toBe(true)
    now += 600_001
    await ending
    expect(isRunning(pid)).toBe(false)
  }, 20_000)

  it('a writer that escaped (its own session, a clean environment, an orphan) is cut off: end() returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-cmd-'))
    const chunks: string[] = []
    const command = await startCommand({
      command: `setsid -f env -i /bin/sh -c 'echo $$ > ${dir}/escaped; while :; do echo tick; sleep 0.05; done'; until [ -s ${dir}/escaped ]; do sleep 0.05; done`,
      env: { PATH: process.env.PATH! },
      signal: never,
      output: collect(chunks),
      killGraceMs: 100
    })
    await command.exited
    const escaped = Number(readFileSync(join(dir, 'escaped'), 'utf8'))
    try {
      expect(command.running()).toEqual([])
      await command.end()
      const seen = chunks.length
      await new Promise((r) => setTimeout(r, 200))
      // Nothing more is read: the pipes are closed on it (it dies of SIGPIPE at its next write).
      expect(chunks.length).toBe(seen)
    } finally {
      try {
        process.kill(escaped, 'SIGKILL')
      } catch {
        // died of SIGPIPE
      }
    }
  })
})

/** A log that keeps each chunk of the command's output as text. */
function collect(chunks: string[]): CommandLog {
  return new CommandLog({
    chunk: (chunk, done) => {
      chunks.push(chunk.toString())
      done()
    }
  })
}

/**
 * A log that is behind (each chunk done a turn of the event loop later) and keeps the text of each chunk
 * as it came, counting the chunks whose bytes changed before it was done with them.
 */
function slowLog(): { log: CommandLog; text: () => string; changed: () => number } {
  const pieces: string[] = []
  let changed = 0
  const log = new CommandLog({
    chunk: (chunk, done) => {
      const seen = chunk.toString('latin1')
      pieces.push(seen)
      setImmediate(() => {
        if (chunk.toString('latin1') !== seen) changed++
        done()
      })
    }
  })
  return { log, text: () => pieces.join(''), changed: () => changed }
}

/** Whether a process runs (a zombie does not: nothing reaps orphans in some containers). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
