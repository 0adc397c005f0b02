/**
 * "Starting fast" and "weight": the bundled action (dist/index.js) run as the runner runs it (through the
 * e2e harness), against the emulator on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runPostStep, runStep, type StepResult } from './action-runner.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { isTerminalState } from '../../src/wallarm/types.js'
import { median } from './stats.js'

const TOKEN = 'bench-node'

/** Epoch ms with sub-ms resolution, the same in this process and in the emulator it hosts. */
const hrNow = (): number => performance.timeOrigin + performance.now()

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Total size of the files under `dir`, in bytes. */
export function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

function check(step: StepResult, what: string, expectedExit = 0): void {
  if (step.exitCode !== expectedExit) {
    throw new Error(
      `${what}: exit code ${step.exitCode} (signal ${step.signal}), expected ${expectedExit}\n` +
        step.stdout.slice(-2000) +
        step.stderr.slice(-2000)
    )
  }
}

/** A finished run, made directly on the emulator's model (a few emulated ms at time scale 0.001). */
async function finishedRun(em: Emulator): Promise<number> {
  const { model } = em
  const run = model.createTestRun(TOKEN, { name: 'bench-start' })
  while (!model.peekTestRun(run.id)?.ready_for_recording) await pause(5)
  model.recordBaseline(TOKEN, { method: 'GET', url: 'http://127.0.0.1:9/health', headers: {}, body: '' })
  model.stopRecording(TOKEN, run.id)
  while (!isTerminalState(model.peekTestRun(run.id)?.state ?? '')) await pause(5)
  return run.id
}

export interface StartTimes {
  /** Median ms from just before spawning dist/index.js to the first API request the emulator receives. */
  action: number
  /** The same for a bare `node -e` one-line HTTP GET: what the runtime and the machine cost by themselves. */
  bare: number
  actionSamples: number[]
  bareSamples: number[]
  /**
   * The action's time over the bare node's, the median of the ratios of each interleaved pair: absolute
   * times vary by a factor of two between runs on a shared machine, the ratio much less.
   */
  ratio: number
}

/**
 * Milliseconds from just before the action's process is spawned to the first API request the emulator
 * receives: `wait` mode on a run that is already finished. Interleaved with a bare node process that makes
 * one request, as a reference for the machine's own spawn and start-up cost at that moment. One warm-up
 * round is discarded.
 */
export async function startTimes(node: string, runs: number): Promise<StartTimes> {
  const em = await startEmulator({ tokens: [TOKEN], timeScale: 0.001, clock: hrNow })
  try {
    const runId = await finishedRun(em)
    const inputs = { mode: 'wait', token: TOKEN, 'api-host': em.apiUrl, 'test-run-id': String(runId) }
    const actionSamples: number[] = []
    const bareSamples: number[] = []
    for (let i = 0; i <= runs; i++) {
      em.requests.length = 0
      let t0 = hrNow()
      const result = await runStep({ inputs, node })
      check(result, `wait step on ${node}`)
      const first = em.requests[0]
      if (first === undefined) throw new Error('the action made no API request')
      if (i > 0) actionSamples.push(first.at - t0)

      em.requests.length = 0
      t0 = hrNow()
      await bareRequest(node, `${em.apiUrl}/v1/test_run/${runId}`)
      const bare = em.requests[0]
      if (bare === undefined) throw new Error('the bare node process made no request')
      if (i > 0) bareSamples.push(bare.at - t0)
    }
    const ratios = actionSamples.map((a, i) => a / (bareSamples[i] ?? NaN))
    return {
      action: median(actionSamples),
      bare: median(bareSamples),
      actionSamples,
      bareSamples,
      ratio: median(ratios)
    }
  } finally {
    await em.close()
  }
}

function bareRequest(
  node: string,
  url: string,
  opts: { env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void } = {}
): Promise<void> {
  const code = "require('http').get(process.argv[1], (r) => r.resume())"
  return new Promise((resolve, reject) => {
    const child = spawn(node, ['-e', code, url], { stdio: 'ignore', ...(opts.env ? { env: opts.env } : {}) })
    opts.onSpawn?.(child)
    child.on('error', reject)
    child.on('close', (exitCode) =>
      exitCode === 0 ? resolve() : reject(new Error(`bare node exited ${exitCode}`))
    )
  })
}

/** Samples VmHWM (peak RSS) of a child from /proc every 20 ms while it runs; kB. */
export function watchPeak(child: ChildProcess): { stop: () => number } {
  let peakKb = 0
  const read = (): void => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)
      if (m) peakKb = Math.max(peakKb, Number(m[1]))
    } catch {
      // gone already
    }
  }
  read()
  const timer = setInterval(read, 20)
  child.once('exit', () => clearInterval(timer))
  return {
    stop: () => {
      clearInterval(timer)
      return peakKb
    }
  }
}

export interface PeakMemory {
  steps: StepPeak[]
  /** The peak of a bare `node -e` making one request, measured the same way: the runtime's own floor. */
  bareBytes: number
}

export interface StepPeak {
  step: string
  /** Bytes: the larger of VmHWM sampled from /proc and the process's own getrusage maxRSS at exit. */
  peakBytes: number
}

/**
 * Peak RSS of each step of a record → requests → stop job: record (main), 20 requests through the node's
 * proxy to a local app (one of them vulnerable, so the report has a finding), stop (main, waits for the
 * verdict), then the post steps of stop and record, in the runner's order.
 */
export async function peakMemory(node: string): Promise<PeakMemory> {
  const dir = mkdtempSync(join(tmpdir(), 'fast-bench-'))
  const preload = join(dir, 'maxrss.cjs')
  // At exit the process writes its own peak RSS (getrusage ru_maxrss, kB on Linux): this catches a peak
  // between two /proc samples and the one just before exit.
  writeFileSync(
    preload,
    "process.on('exit', () => { try { require('fs').writeFileSync(process.env.BENCH_MAXRSS_FILE, " +
      'String(process.resourceUsage().maxRSS)) } catch {} })\n'
  )
  const app = http.createServer((req, res) => res.end(`ok ${req.url}\n`))
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const appPort = (app.address() as AddressInfo).port
  const em = await startEmulator({ tokens: [TOKEN], timeScale: 0.02 })
  const peaks: StepPeak[] = []
  let n = 0

  const measured = async <T>(
    step: string,
    run: (opts: {
      node: string
      env: Record<string, string>
      onSpawn: (c: ChildProcess) => void
    }) => Promise<T>,
    verify: (result: T) => void = (result) => check(result as StepResult, `${step} step on ${node}`)
  ): Promise<T> => {
    const file = join(dir, `maxrss-${++n}`)
    let watcher: { stop: () => number } | undefined
    const result = await run({
      node,
      env: { NODE_OPTIONS: `--require ${preload}`, BENCH_MAXRSS_FILE: file },
      onSpawn: (child) => (watcher = watchPeak(child))
    })
    const sampledKb = watcher?.stop() ?? 0
    let selfKb = 0
    try {
      selfKb = Number(readFileSync(file, 'utf8'))
    } catch {
      // the process died before its exit handler ran
    }
    peaks.push({ step, peakBytes: Math.max(sampledKb, selfKb) * 1024 })
    verify(result)
    return result
  }

  try {
    const common = { token: TOKEN, 'api-host': em.apiUrl, 'fail-on': 'never' }
    const recordInputs = { ...common, mode: 'record' }
    const record = await measured('record', (o) => runStep({ ...o, inputs: recordInputs }))
    const runId = record.outputs['test-run-id']
    if (!runId) throw new Error('the record step gave no test-run-id')

    for (let i = 0; i < 20; i++) {
      const path = i === 7 ? '/search?q=vulnerable' : `/products/${i}?page=${i}`
      await proxied(em.proxyUrl, `http://127.0.0.1:${appPort}${path}`)
    }

    const stopInputs = { ...common, mode: 'stop', 'test-run-id': runId, 'stop-grace-period': '0s' }
    const stop = await measured('stop', (o) => runStep({ ...o, inputs: stopInputs }))
    if (stop.outputs.conclusion !== 'failed') {
      throw new Error(
        `the stop step concluded ${stop.outputs.conclusion}, expected failed (one vulnerability)`
      )
    }
    await measured('stop (post)', (o) => runPostStep(stop, { ...o, inputs: stopInputs }))
    await measured('record (post)', (o) => runPostStep(record, { ...o, inputs: recordInputs }))
    const steps = peaks.splice(0)
    await measured(
      'bare node',
      (o) =>
        bareRequest(node, `${em.apiUrl}/v1/test_run/${runId}`, {
          env: { ...process.env, ...o.env },
          onSpawn: o.onSpawn
        }),
      () => undefined
    )
    return { steps, bareBytes: peaks[0]?.peakBytes ?? NaN }
  } finally {
    await em.close()
    await new Promise<void>((resolve) => app.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One GET through the node's proxy (absolute-form request line, as an HTTP client behind a proxy sends). */
function proxied(proxyUrl: string, target: string): Promise<void> {
  const proxy = new URL(proxyUrl)
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method: 'GET',
        path: target,
        headers: { host: new URL(target).host }
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`proxy answered ${res.statusCode}`))
        )
      }
    )
    req.on('error', reject)
    req.end()
  })
}
