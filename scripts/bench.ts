/**
 * `npm run bench`: how well the action waits, how fast it starts, how heavy it is. See docs/benchmarks.md.
 *
 *   npm run bench            a table, with each target and ✓/✗
 *   npm run -s bench -- --json  one JSON object on stdout, nothing else (progress goes to stderr)
 *   npm run bench -- --section many_findings   one section alone (its key in --json)
 *
 * A measurement, not a test: it exits 0 when a target is missed, and says which.
 */
import { existsSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { DIST, ROOT, node24Path } from './lib/action-runner.js'
import { dirBytes, peakMemory, startTimes, type PeakMemory, type StartTimes } from './lib/action-process.js'
import { benchHop, type HopCost } from './lib/hop.js'
import { benchOutput, outputReport, type OutputCost } from './lib/output.js'
import { benchHopLoad, hopLoadLines, type HopLoad } from './lib/hop-load-bench.js'
import { benchPolling, FIXED_POLLERS, rpsFor, type PollingDetail, type PollingRow } from './lib/polling.js'
import type { BenchSection, SectionResult } from './lib/section.js'
import { openapiMatching } from './lib/openapi-match.js'
import { manyFindings } from './lib/many-findings.js'
import { stepCost } from './lib/step-cost.js'
import { ETA_READINGS } from '../emulator/index.js'
import { round } from './lib/stats.js'

const RUN_SECONDS = [30, 300, 1800]
const SEEDS = 15
const SPAWNS = 11
const MB = 1_000_000

/** Measurements in modules of their own (scripts/lib/section.ts), in the order of the table: one line each. */
const SECTIONS: BenchSection[] = [openapiMatching, stepCost, manyFindings]

// Start-up and memory are measured and shown, with no target: the action is built the ordinary way (one
// ncc bundle of @actions/core, @actions/github, @actions/http-client), what those cost against a bare
// node is theirs, and tricks to start sooner or weigh less cost more to maintain than they saved
// (docs/benchmarks.md).
const TARGET = {
  lagS: 2,
  distBytes: 1.5 * MB
}

const json = process.argv.includes('--json')
const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`)

interface Runtime {
  name: 'node20' | 'node24'
  path: string
}

interface Results {
  polling: PollingDetail[]
  start: Partial<Record<Runtime['name'], StartTimes>>
  distBytes: number
  peaks: Partial<Record<Runtime['name'], PeakMemory>>
  hop?: HopCost
  output?: OutputCost
  sections: SectionResult[]
  hopLoad?: HopLoad
  notes: string[]
}

async function measure(): Promise<Results> {
  const notes: string[] = []
  progress(
    `polling: ${ETA_READINGS.length} ETA readings × ${RUN_SECONDS.length} run lengths × ${SEEDS} trials on a virtual clock…`
  )
  const polling = await benchPolling(ROOT, RUN_SECONDS, SEEDS)
  // Before the bundle's parts: none of them needs dist/.
  const sections: SectionResult[] = []
  for (const section of SECTIONS) {
    progress(section.progress)
    sections.push(await section.run())
  }

  const distDir = join(ROOT, 'dist')
  const distBytes = existsSync(distDir) ? dirBytes(distDir) : 0
  const start: Results['start'] = {}
  const peaks: Results['peaks'] = {}
  if (!existsSync(DIST)) {
    notes.push(`${DIST} is missing: run npm run bundle first; start-up and memory were not measured.`)
    return { polling, start, distBytes, peaks, sections, notes }
  }

  const runtimes: Runtime[] = []
  const major = Number(process.versions.node.split('.')[0])
  if (major === 20) runtimes.push({ name: 'node20', path: process.execPath })
  else
    notes.push(`This process runs Node ${process.versions.node}, not 20: the node20 column was not measured.`)
  try {
    progress('locating Node 24 (npx -y node@24; the first time downloads it)…')
    runtimes.push({ name: 'node24', path: node24Path() })
  } catch (err) {
    notes.push(`No Node 24 binary: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
  }

  for (const rt of runtimes) {
    progress(`start-up on ${rt.name}: ${SPAWNS} spawns of dist/index.js (+1 warm-up)…`)
    start[rt.name] = await startTimes(rt.path, SPAWNS)
  }
  for (const rt of runtimes) {
    progress(`memory on ${rt.name}: record → 20 requests → stop, and the post steps…`)
    peaks[rt.name] = await peakMemory(rt.path)
  }
  progress('scan mode: requests through the recording hop vs straight to the node…')
  const hop = await benchHop()
  progress("scan mode: 1 GB of test output, the runner's reader 12 s late…")
  const output = await benchOutput((runtimes.find((r) => r.name === 'node24') ?? runtimes[0])!.path)
  const hopLoad = await benchHopLoad(progress)
  return { polling, start, distBytes, peaks, hop, output, hopLoad, sections, notes }
}

function peakMb(peaks: Array<PeakMemory | undefined>): number | null {
  const steps = peaks.flatMap((p) => p?.steps ?? [])
  if (steps.length === 0) return null
  return round(Math.max(...steps.map((p) => p.peakBytes)) / MB, 1)
}

/** The highest step peak over the bare node's on the same runtime. */
function rssRatio(peak: PeakMemory | undefined): number | null {
  if (!peak || peak.steps.length === 0 || !(peak.bareBytes > 0)) return null
  return round(Math.max(...peak.steps.map((p) => p.peakBytes)) / peak.bareBytes, 2)
}

/** The runtime the ratios are judged on: Node 24, which action.yml declares, else what was measured. */
function judged<T>(byRuntime: Partial<Record<Runtime['name'], T>>): T | undefined {
  return byRuntime.node24 ?? byRuntime.node20
}

interface Verdict {
  ok: boolean | null
  target: string
  actual: string
}

function verdicts(r: Results): Verdict[] {
  const longest = Math.max(...RUN_SECONDS)
  const polling = ETA_READINGS.flatMap((eta): Verdict[] => {
    const ours = r.polling.filter((p) => p.poller === 'ours' && p.eta === eta)
    const worstLag = Math.max(...ours.map((p) => p.lag_median_s))
    const lagText = ours.map((p) => `${lengthLabel(p.run_seconds)} ${p.lag_median_s.toFixed(2)} s`).join(', ')
    const oursLong = ours.find((p) => p.run_seconds === longest)
    const fixed15Long = r.polling.find(
      (p) => p.eta === eta && p.run_seconds === longest && p.poller === 'fixed-15s'
    )
    return [
      {
        ok: worstLag <= TARGET.lagS,
        target: `ETA ${eta}: median detection lag ≤ ${TARGET.lagS} s on every run length`,
        actual: lagText
      },
      {
        ok: oursLong && fixed15Long ? oursLong.requests < fixed15Long.requests : null,
        target: `ETA ${eta}: fewer status requests than fixed-15s on the ${lengthLabel(longest)} run`,
        actual: `${oursLong?.requests ?? '?'} vs ${fixed15Long?.requests ?? '?'}`
      }
    ]
  })
  return [
    ...polling,
    ...(r.hopLoad
      ? [
          {
            ok: r.hopLoad.extra_errors === 0,
            target: 'hop under load: no error the direct load has not',
            actual: `${r.hopLoad.extra_errors}`
          },
          {
            ok:
              r.hopLoad.fds_after !== null &&
              r.hopLoad.fds_before !== null &&
              r.hopLoad.fds_after <= r.hopLoad.fds_before,
            target: "hop under load: the action's descriptors back to their count",
            actual: `${r.hopLoad.fds_before} → ${r.hopLoad.fds_after}`
          }
        ]
      : []),
    {
      ok: r.distBytes < TARGET.distBytes,
      target: `dist/ under ${TARGET.distBytes / MB} MB`,
      actual: `${(r.distBytes / MB).toFixed(2)} MB`
    },
    outputReport(r.output).verdict,
    ...r.sections.flatMap((s) => s.targets)
  ]
}

function lengthLabel(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${seconds / 60} min`
}

function toJson(r: Results): unknown {
  const polling: PollingRow[] = r.polling.map((p) => ({
    eta: p.eta,
    run_seconds: p.run_seconds,
    poller: p.poller,
    lag_median_s: p.lag_median_s,
    requests: p.requests
  }))
  const ms = (s: StartTimes | undefined): number | null => (s ? Math.round(s.action) : null)
  const ratio = (s: StartTimes | undefined): number | null => (s ? round(s.ratio, 2) : null)
  return {
    polling,
    start_ms: { node20: ms(r.start.node20), node24: ms(r.start.node24) },
    start_ratio: { node20: ratio(r.start.node20), node24: ratio(r.start.node24) },
    dist_bytes: r.distBytes,
    peak_rss_mb: peakMb(Object.values(r.peaks)),
    rss_ratio: rssRatio(judged(r.peaks)),
    hop_ratio: r.hop?.ratio ?? null,
    output_peak_rss_mb: r.output?.peak_rss_mb ?? null,
    hop_load: r.hopLoad ?? null,
    ...Object.fromEntries(SECTIONS.map((s, i) => [s.key, r.sections[i]?.json ?? null]))
  }
}

/** What each reading of the run's ETA means (the emulator's --eta; spec §6.1). */
const ETA_TEXT: Record<(typeof ETA_READINGS)[number], string> = {
  counted: 'planing_requests_count is cumulative; ETA = (planing − sended) / current_rps',
  queued: "the docs' formula on that field, ETA = planing / current_rps (over-estimates, never reaches 0)",
  absent: 'estimated_time_to_completion is always null'
}

const pad = (text: string, width: number): string => text.padEnd(width)
const lpad = (text: string, width: number): string => text.padStart(width)

function table(r: Results, load: { before: number; after: number }, seconds: number): string {
  const out: string[] = []
  out.push('Wallarm FAST action benchmark')
  out.push(
    `Node ${process.versions.node}, ${availableParallelism()} cores, load average ${load.before.toFixed(1)} at the ` +
      `start and ${load.after.toFixed(1)} at the end; took ${seconds.toFixed(0)} s.`
  )
  out.push('')
  out.push(`1. Waiting well: detection lag and status requests, median of ${SEEDS} emulated runs each`)
  out.push(
    '   (virtual clock; lag = from the run turning terminal to the poller seeing it; requests from the stop on)'
  )
  out.push('')
  for (const eta of ETA_READINGS) {
    out.push(`   ETA ${eta}: ${ETA_TEXT[eta]}`)
    out.push('')
    out.push(
      `   ${pad('run', 8)}${pad('rps', 5)}${pad('actual length', 20)}${pad('poller', 12)}` +
        `${lpad('lag median', 11)}${lpad('lag max', 10)}${lpad('requests', 10)}`
    )
    for (const length of RUN_SECONDS) {
      const rows = r.polling.filter((p) => p.eta === eta && p.run_seconds === length)
      rows.forEach((p, i) => {
        const first = i === 0
        const actual = `${p.actual_run_min_s}–${p.actual_run_max_s} s`
        out.push(
          `   ${pad(first ? lengthLabel(length) : '', 8)}${pad(first ? String(rpsFor(length)) : '', 5)}` +
            `${pad(first ? actual : '', 20)}${pad(p.poller, 12)}` +
            `${lpad(`${p.lag_median_s.toFixed(2)} s`, 11)}${lpad(`${p.lag_max_s.toFixed(2)} s`, 10)}` +
            `${lpad(String(p.requests), 10)}`
        )
      })
    }
    out.push('')
  }
  out.push(
    `   ours: src/modes/poll.ts waitForRunToFinish with action.yml's defaults (poll-interval, wait-timeout).`
  )
  out.push(`   ${FIXED_POLLERS.map((f) => `${f.name}: ${f.source}`).join('; ')}.`)
  out.push('')
  out.push(
    `2. Starting fast: process spawn → first API request, median of ${SPAWNS} (dist/index.js, wait mode)`
  )
  out.push('')
  out.push(
    `   ${pad('runtime', 14)}${lpad('action', 9)}${lpad('bare node', 12)}${lpad('ratio', 8)}   samples (action, ms)`
  )
  for (const [name, s] of Object.entries(r.start)) {
    out.push(
      `   ${pad(name, 14)}${lpad(`${Math.round(s.action)} ms`, 9)}${lpad(`${Math.round(s.bare)} ms`, 12)}` +
        `${lpad(`${s.ratio.toFixed(2)}×`, 8)}   ${s.actionSamples.map((v) => Math.round(v)).join(' ')}`
    )
  }
  out.push(`   bare node: \`node -e\` making one HTTP request, the floor set by the runtime and the machine;`)
  out.push('   ratio: the median of action ÷ bare node over the interleaved pairs (measured, no target).')
  out.push('')
  out.push('3. Weight')
  out.push('')
  out.push(`   dist/: ${r.distBytes.toLocaleString('en-US')} bytes`)
  for (const [name, peaks] of Object.entries(r.peaks)) {
    out.push(
      `   peak RSS on ${name}: ${peaks.steps.map((p) => `${p.step} ${(p.peakBytes / MB).toFixed(1)} MB`).join(', ')}` +
        `; bare node ${(peaks.bareBytes / MB).toFixed(1)} MB (${rssRatio(peaks)?.toFixed(2) ?? '?'}×)`
    )
  }
  if (r.hop) {
    out.push('')
    out.push(
      `4. scan mode's recording hop: ${r.hop.requests} requests (GETs and 64 KB POSTs) per batch, ${r.hop.batches} pairs of batches`
    )
    out.push('')
    out.push(
      `   straight to the node ${r.hop.direct_ms} ms, through the hop ${r.hop.hop_ms} ms: ratio ${r.hop.ratio}`
    )
  }
  if (r.hopLoad) out.push('', `5. ${hopLoadLines(r.hopLoad).join('\n')}`)
  if (r.output) out.push('', ...outputReport(r.output).lines)
  r.sections.forEach((s, i) => {
    out.push('')
    out.push(`${(r.hop ? 5 : 4) + (r.hopLoad ? 1 : 0) + (r.output ? 1 : 0) + i}. ${s.heading}`)
    out.push('')
    for (const line of s.lines) out.push(`   ${line}`)
  })
  out.push('')
  out.push('Targets (MB = 10^6 bytes)')
  out.push('')
  const vs = verdicts(r)
  for (const v of vs) {
    const mark = v.ok === null ? '–' : v.ok ? '✓' : '✗'
    out.push(`   ${mark} ${pad(v.target, 62)} ${v.actual}`)
  }
  const missed = vs.filter((v) => v.ok === false)
  out.push('')
  out.push(missed.length === 0 ? 'All targets met.' : `Missed: ${missed.map((v) => v.target).join('; ')}.`)
  for (const note of r.notes) out.push(`Note: ${note}`)
  return out.join('\n')
}

/** `--section <key>`: that section alone (its lines and targets), for working on one measurement. */
const only = process.argv.indexOf('--section')
if (only !== -1) {
  const key = process.argv[only + 1]
  const section = SECTIONS.find((s) => s.key === key)
  if (!section)
    throw new Error(`--section: no section ${key}; one of ${SECTIONS.map((s) => s.key).join(', ')}`)
  progress(section.progress)
  const r = await section.run()
  if (json) process.stdout.write(`${JSON.stringify({ [section.key]: r.json })}\n`)
  else
    console.log(
      [
        r.heading,
        '',
        ...r.lines.map((l) => `   ${l}`),
        '',
        ...r.targets.map(
          (t) => `   ${t.ok === null ? '–' : t.ok ? '✓' : '✗'} ${pad(t.target, 62)} ${t.actual}`
        )
      ].join('\n')
    )
  process.exit(0)
}

const started = performance.now()
const loadBefore = loadavg()[0] ?? 0
const results = await measure()
const loadAfter = loadavg()[0] ?? 0
if (json) {
  process.stdout.write(`${JSON.stringify(toJson(results))}\n`)
  for (const note of results.notes) progress(note)
} else {
  console.log(table(results, { before: loadBefore, after: loadAfter }, (performance.now() - started) / 1000))
}
