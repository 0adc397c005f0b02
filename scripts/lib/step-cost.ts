/**
 * One scan step's own cost: the bundled action (dist/index.js) on Node 24, `scan` mode with the emulator's
 * node image on the Docker engine, its cloud in this process, a local app as the target. The step's wall
 * time less what is not the action's: the tests' own time (the test command stamps its start and end), the
 * node's start (container started → its proxy answers, from the step's log lines as they arrive) and FAST's
 * testing time (recording stopped → the run's terminal state, from the emulator's record of requests).
 * What is left is what the step itself adds, broken down by the step's log lines.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { startEmulator } from '../../emulator/index.js'
import { node24Path, runStep } from './action-runner.js'
import { EMULATOR_IMAGE, emulatorImageUnavailable } from './docker.js'
import type { BenchSection } from './section.js'
import { median, round } from './stats.js'

const TOKEN = 'bench-node'
const TRIALS = 3
const TARGET_S = 2

export interface LogLine {
  ms: number
  line: string
}

export async function scanOnce(node: string): Promise<{
  wallMs: number
  lines: LogLine[]
  testsMs: number
  stamps: number[]
  requests: Array<{ method: string; path: string; at: number }>
  t0: number
}> {
  const dir = mkdtempSync(join(tmpdir(), 'fast-bench-step-'))
  const app = http.createServer((req, res) => res.end(`ok ${req.url}\n`))
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  const em = await startEmulator({ tokens: [TOKEN], timeScale: 0.02 })
  const stamps = join(dir, 'stamps')
  const lines: LogLine[] = []
  try {
    const run = [
      `date +%s%3N >> ${stamps}`,
      `curl -sSf "${appUrl}/products/1" >/dev/null`,
      `curl -sSf "${appUrl}/search?q=vulnerable" >/dev/null`,
      `curl -sSf "${appUrl}/products/2" >/dev/null`,
      `date +%s%3N >> ${stamps}`
    ].join('\n')
    const t0 = Date.now()
    const step = await runStep({
      node,
      env: { PATH: `${dirname(node)}:${process.env.PATH}` },
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': em.apiUrl,
        'node-image': EMULATOR_IMAGE,
        'proxy-port': String(20_000 + ((process.pid + 7) % 20_000)),
        target: appUrl,
        'stop-grace-period': '0s',
        'fail-on': 'never',
        run
      },
      onSpawn: (child: ChildProcess) => {
        let rest = ''
        child.stdout?.on('data', (chunk: Buffer) => {
          const now = Date.now() - t0
          const parts = (rest + chunk.toString()).split('\n')
          rest = parts.pop() ?? ''
          for (const line of parts) if (!line.startsWith('::add-mask::')) lines.push({ ms: now, line })
        })
      }
    })
    const wallMs = Date.now() - t0
    if (step.exitCode !== 0)
      throw new Error(
        `scan step: exit ${step.exitCode}\n${step.stdout.slice(-3000)}${step.stderr.slice(-2000)}`
      )
    const [a, b] = readFileSync(stamps, 'utf8').trim().split('\n').map(Number)
    return {
      wallMs,
      lines,
      testsMs: (b ?? NaN) - (a ?? NaN),
      stamps: [a! - t0, b! - t0],
      requests: em.requests.map((r) => ({ method: r.method, path: r.path, at: r.at - t0 })),
      t0
    }
  } finally {
    await em.close()
    await new Promise<void>((resolve) => app.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One step's times, ms from spawning dist/index.js. */
export interface StepTimes {
  wall: number
  tests: number
  nodeStart: number
  fastTesting: number
  own: number
  /** Where the own time goes: the spans between the step's log lines that are neither tests, node nor FAST. */
  parts: Record<string, number>
}

const at = (lines: LogLine[], re: RegExp, what: string): number => {
  const hit = lines.find((l) => re.test(l.line))
  if (hit === undefined) throw new Error(`the scan step's log has no line for ${what}`)
  return hit.ms
}

/** The spans of one run, from its log lines, the tests' stamps and the emulator's requests. */
export function stepTimes(r: Awaited<ReturnType<typeof scanOnce>>): StepTimes {
  const first = r.lines[0]?.ms ?? NaN
  const starting = at(r.lines, /^Starting the FAST node/, 'starting the node')
  const recording = at(r.lines, /^The FAST node is recording/, 'the node recording')
  const stop = r.requests.find((q) => q.method === 'POST' && /\/action\/stop$/.test(q.path))?.at ?? NaN
  const verdict = Math.max(
    ...r.requests.filter((q) => q.method === 'GET' && /^\/v1\/test_run\/\d+$/.test(q.path)).map((q) => q.at)
  )
  const [testsFrom = NaN, testsTo = NaN] = r.stamps
  const conclusion = at(r.lines, /^Conclusion: /, 'the conclusion')
  const nodeStart = recording - starting
  const fastTesting = verdict - stop
  const tests = r.testsMs
  return {
    wall: r.wallMs,
    tests,
    nodeStart,
    fastTesting,
    own: r.wallMs - tests - nodeStart - fastTesting,
    parts: {
      'spawn → first log line (Node, the bundle)': first,
      'first line → starting the node': starting - first,
      'node recording → the tests start (the shell)': testsFrom - recording,
      'the tests end → recording stopped': stop - testsTo,
      'verdict → the conclusion line (vulnerabilities read, reports written)': conclusion - verdict,
      'the conclusion line → the step exits (the container stopped and removed)': r.wallMs - conclusion
    }
  }
}

export const stepCost: BenchSection = {
  key: 'scan_step_cost',
  progress: `scan mode: one step's own cost on the emulator image, ${TRIALS} runs…`,
  async run() {
    const target = `scan step's own cost (wall − tests − node start − FAST testing) ≤ ${TARGET_S} s`
    const why = emulatorImageUnavailable()
    if (why !== null)
      return {
        heading: "One scan step's own cost: skipped",
        lines: [`skipped this figure: ${why}`],
        targets: [{ ok: null, target, actual: 'skipped (no engine or image)' }],
        json: { skipped: why }
      }
    const node = node24Path()
    const runs: StepTimes[] = []
    for (let i = 0; i < TRIALS; i++) runs.push(stepTimes(await scanOnce(node)))
    const med = (f: (t: StepTimes) => number): number => round(median(runs.map(f)) / 1000, 2)
    const own = med((t) => t.own)
    const parts = Object.keys(runs[0]?.parts ?? {})
    return {
      heading: `One scan step's own cost: dist/index.js on Node 24, the emulator image on Docker, median of ${TRIALS} (s)`,
      lines: [
        `wall ${med((t) => t.wall)} − tests ${med((t) => t.tests)} − node start ${med((t) => t.nodeStart)} − FAST testing ${med((t) => t.fastTesting)} = own ${own}`,
        `own, per run: ${runs.map((t) => round(t.own / 1000, 2)).join(', ')}`,
        'where the own time goes:',
        ...parts.map(
          (p) =>
            `  ${med((t) => t.parts[p] ?? NaN)
              .toFixed(2)
              .padStart(6)}  ${p}`
        )
      ],
      targets: [{ ok: own <= TARGET_S, target, actual: `${own} s` }],
      json: { own_s: own, runs }
    }
  }
}
