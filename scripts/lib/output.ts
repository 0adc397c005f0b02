/**
 * Back-pressure on the tests' output: the bundled action in scan mode (node-url: the emulator's node) runs
 * a command that prints 1 GB, and the step's stdout is read the way a runner that falls behind reads it:
 * not at all for the first seconds, then as fast as it can. A plain `run:` step would block its command
 * meanwhile; the action must too, and hold no more of the output than its buffers (peak RSS).
 */
import type { ChildProcess } from 'node:child_process'
import { runStep } from './action-runner.js'
import { watchPeak } from './action-process.js'
import { startEmulator } from '../../emulator/index.js'

const TOKEN = 'bench-output'
const MB = 1_000_000

export const OUTPUT_TARGET = { peakMb: 120 }

export interface OutputCost {
  /** What the command printed, and what reached the reader. */
  bytes: number
  read_bytes: number
  /** How late the reader began reading. */
  late_s: number
  /** The action process's peak RSS (VmHWM). */
  peak_rss_mb: number
  seconds: number
}

export async function benchOutput(node: string, bytes = 1_000 * MB, lateMs = 12_000): Promise<OutputCost> {
  const em = await startEmulator({ tokens: [TOKEN], timeScale: 0.02 })
  let read = 0
  let watcher: { stop: () => number } | undefined
  const started = performance.now()
  try {
    const step = await runStep({
      node,
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': em.apiUrl,
        'node-url': em.proxyUrl,
        target: 'http://127.0.0.1:9',
        'stop-grace-period': '0s',
        'fail-on': 'never',
        run: `yes 'a line of test output, as a chatty test suite prints it' | head -c ${bytes}`
      },
      onSpawn: (child: ChildProcess) => {
        watcher = watchPeak(child)
        const out = child.stdout!
        // The harness keeps stdout as a string: not a gigabyte of it. The late reader counts and drops.
        out.removeAllListeners('data')
        out.pause()
        setTimeout(() => out.on('data', (chunk: Buffer) => (read += chunk.length)).resume(), lateMs)
      }
    })
    if (step.exitCode === null) throw new Error(`the scan step was killed (${step.signal})`)
    return {
      bytes,
      read_bytes: read,
      late_s: lateMs / 1000,
      peak_rss_mb: Math.round(((watcher?.stop() ?? 0) * 1024) / MB),
      seconds: Math.round((performance.now() - started) / 100) / 10
    }
  } finally {
    await em.close()
  }
}

/** The bench's lines, its target and its JSON field for this measurement. */
export function outputReport(cost: OutputCost | undefined): {
  lines: string[]
  verdict: { ok: boolean | null; target: string; actual: string }
} {
  const target = `scan mode: peak RSS under ${OUTPUT_TARGET.peakMb} MB while the tests print 1 GB`
  if (!cost) return { lines: [], verdict: { ok: null, target, actual: 'not measured' } }
  return {
    lines: [
      `6. scan mode's test output: ${(cost.bytes / MB).toFixed(0)} MB printed, the reader ${cost.late_s} s late`,
      '',
      `   peak RSS of the action ${cost.peak_rss_mb} MB; ${(cost.read_bytes / MB).toFixed(0)} MB reached the reader; took ${cost.seconds} s`
    ],
    verdict: {
      ok: cost.peak_rss_mb < OUTPUT_TARGET.peakMb && cost.read_bytes >= cost.bytes,
      target,
      actual: `${cost.peak_rss_mb} MB`
    }
  }
}
