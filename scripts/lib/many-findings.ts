/**
 * 20,000 findings, as a runner runs the step: the bundled action (dist/index.js) on Node 24, `wait` mode on
 * a finished run of the emulator whose 20,000 baselines each found one vulnerability (distinct paths, so
 * 20,000 findings that merge into none). Peak RSS (VmHWM sampled from /proc, and the process's own maxRSS at
 * exit), the step's wall time, and every output and the job summary against GitHub's limits.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { OUTPUT_MAX_BYTES } from '../../src/report/findings.js'
import { DEFAULT_SUMMARY_MAX_BYTES } from '../../src/report/summary.js'
import { isTerminalState } from '../../src/wallarm/types.js'
import { watchPeak } from './action-process.js'
import { node24Path, runStep, type StepResult } from './action-runner.js'
import type { BenchSection } from './section.js'
import { median, round } from './stats.js'

export const FINDINGS = 20_000
const TRIALS = 3
const TOKEN = 'bench-node'
const MB = 1_000_000
const TARGET = { peakMb: 150 }

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A finished run with `n` baselines, each of which finds an sqli (the emulator's default rule). */
async function runWithFindings(em: Emulator, n: number): Promise<number> {
  const { model } = em
  const run = model.createTestRun(TOKEN, { name: 'bench-20k', inactivity_timeout: 86400 })
  while (!model.peekTestRun(run.id)?.ready_for_recording) await pause(5)
  for (let i = 0; i < n; i++)
    model.recordBaseline(TOKEN, {
      method: 'GET',
      url: `http://127.0.0.1:9/vulnerable/${i}?q=${i}`,
      headers: {},
      body: ''
    })
  model.stopRecording(TOKEN, run.id)
  while (!isTerminalState(model.peekTestRun(run.id)?.state ?? '')) await pause(20)
  return run.id
}

export interface TrialReading {
  /** Which build ran: `this` (dist/index.js), or `before` (the build given by `--before`). */
  build: 'this' | 'before'
  ms: number
  peak_mb: number
  findings: string | undefined
}

export interface ManyFindingsCost {
  findings: number
  trials: TrialReading[]
  peak_mb: number
  ms: number
  /** With `--before <index.js>`: that build's medians, measured in turn with this one's (same minute, same load). */
  before?: { peak_mb: number; ms: number }
  /** Each output's size in bytes, and the job summary's, from the last trial of this build. */
  outputs: Record<string, number>
  summary_bytes: number
  over_limit: string[]
}

/** `--before <path of another build's index.js>`: that build runs in turn with this one. */
function beforeBuild(argv = process.argv): string | undefined {
  const at = argv.indexOf('--before')
  return at === -1 ? undefined : argv[at + 1]
}

export async function benchManyFindings(
  node = node24Path(),
  before = beforeBuild()
): Promise<ManyFindingsCost> {
  const dir = mkdtempSync(join(tmpdir(), 'fast-bench-20k-'))
  const preload = join(dir, 'maxrss.cjs')
  writeFileSync(
    preload,
    "process.on('exit', () => { try { require('fs').writeFileSync(process.env.BENCH_MAXRSS_FILE, " +
      'String(process.resourceUsage().maxRSS)) } catch {} })\n'
  )
  const em = await startEmulator({ tokens: [TOKEN], timeScale: 0.0001 })
  try {
    const runId = await runWithFindings(em, FINDINGS)
    const inputs = {
      mode: 'wait',
      token: TOKEN,
      'api-host': em.apiUrl,
      'test-run-id': String(runId),
      'fail-on': 'never'
    }
    const trials: TrialReading[] = []
    let last: StepResult | undefined
    // Interleaved, so that both builds see the same load on a shared machine.
    const builds: Array<TrialReading['build']> = before === undefined ? ['this'] : ['before', 'this']
    for (let i = 0; i < TRIALS; i++) {
      for (const build of builds) {
        const file = join(dir, `maxrss-${i}-${build}`)
        let watcher: { stop: () => number } | undefined
        const t0 = performance.now()
        const step = await runStep({
          inputs,
          node,
          script: build === 'before' ? before : undefined,
          env: { NODE_OPTIONS: `--require ${preload}`, BENCH_MAXRSS_FILE: file },
          onSpawn: (child) => (watcher = watchPeak(child))
        })
        const ms = performance.now() - t0
        const sampledKb = watcher?.stop() ?? 0
        let selfKb = 0
        try {
          selfKb = Number(readFileSync(file, 'utf8'))
        } catch {
          // the process died before its exit handler ran
        }
        if (step.exitCode !== 0)
          throw new Error(
            `wait step (${build}) with ${FINDINGS} findings: exit ${step.exitCode}\n${step.stderr.slice(-2000)}`
          )
        trials.push({
          build,
          ms: round(ms, 0),
          peak_mb: round((Math.max(sampledKb, selfKb) * 1024) / MB, 1),
          findings: step.outputs.vulnerabilities
        })
        if (step.outputs.vulnerabilities !== String(FINDINGS))
          throw new Error(
            `the wait step (${build}) reported ${step.outputs.vulnerabilities} vulnerabilities, expected ${FINDINGS}`
          )
        if (build === 'this') last = step
      }
    }
    const outputs = Object.fromEntries(
      Object.entries(last?.outputs ?? {}).map(([k, v]) => [k, Buffer.byteLength(v)])
    )
    const summaryBytes = Buffer.byteLength(last?.summary ?? '')
    const over = Object.entries(outputs)
      .filter(([, bytes]) => bytes > OUTPUT_MAX_BYTES)
      .map(([k, bytes]) => `${k} (${bytes} bytes)`)
    if (summaryBytes > DEFAULT_SUMMARY_MAX_BYTES) over.push(`job summary (${summaryBytes} bytes)`)
    const of = (build: TrialReading['build']): TrialReading[] => trials.filter((t) => t.build === build)
    const medians = (ts: TrialReading[]): { peak_mb: number; ms: number } => ({
      peak_mb: median(ts.map((t) => t.peak_mb)),
      ms: median(ts.map((t) => t.ms))
    })
    return {
      findings: FINDINGS,
      trials,
      ...medians(of('this')),
      ...(before === undefined ? {} : { before: medians(of('before')) }),
      outputs,
      summary_bytes: summaryBytes,
      over_limit: over
    }
  } finally {
    await em.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The step before its reports were written piece by piece (docs/benchmarks.md): the time to match. Measured
 * on another day under another load, so `--before <that build's index.js>` runs it again, in turn with
 * this one, for a fair comparison.
 */
const BEFORE = { peak_mb: 352.5, ms: 9204 }

/** Registered in scripts/bench.ts's SECTIONS. */
export const manyFindings: BenchSection = {
  key: 'many_findings',
  progress: `${FINDINGS} findings: the wait step on Node 24, ${TRIALS} runs (peak RSS, time, outputs)…`,
  async run() {
    const c = await benchManyFindings()
    const largest = Object.entries(c.outputs).sort((a, b) => b[1] - a[1])[0]
    const before = c.before ?? BEFORE
    const beforeSays = c.before
      ? 'the --before build, run in turn with this one'
      : 'as recorded in docs/benchmarks.md; --before <index.js> measures it again'
    const runs = (build: TrialReading['build']): string =>
      c.trials
        .filter((t) => t.build === build)
        .map((t) => `${t.peak_mb} MB ${t.ms} ms`)
        .join('; ')
    return {
      heading: `${c.findings} findings: dist/index.js (wait mode) on Node 24 against the emulator, median of ${TRIALS}`,
      lines: [
        `peak RSS ${c.peak_mb} MB (target < ${TARGET.peakMb} MB), wall ${c.ms} ms (before: ${before.ms} ms, ` +
          `${before.peak_mb} MB, ${beforeSays})`,
        `runs: ${runs('this')}${c.before ? `; before: ${runs('before')}` : ''}`,
        'where it went (docs/benchmarks.md): the report files are now written a value at a time, the summary ' +
          "renders only the rows that fit, V8's young generation keeps its first size (src/index.ts)",
        `largest output ${largest ? `${largest[0]} ${largest[1]} bytes` : 'none'} (limit ${OUTPUT_MAX_BYTES}); job summary ${c.summary_bytes} bytes (limit ${DEFAULT_SUMMARY_MAX_BYTES})`
      ],
      targets: [
        {
          ok: c.peak_mb < TARGET.peakMb,
          target: `${c.findings} findings: peak RSS under ${TARGET.peakMb} MB`,
          actual: `${c.peak_mb} MB`
        },
        {
          ok: c.ms <= before.ms,
          target: `${c.findings} findings: wall time no longer than before`,
          actual: `${c.ms} ms vs ${before.ms} ms`
        },
        {
          ok: c.over_limit.length === 0,
          target: `${c.findings} findings: every output under ${OUTPUT_MAX_BYTES} bytes, the summary under ${DEFAULT_SUMMARY_MAX_BYTES}`,
          actual: c.over_limit.length === 0 ? 'all within' : c.over_limit.join(', ')
        }
      ],
      json: c
    }
  }
}
