/**
 * The recording hop under load (issue 22): the same load (./hop-load.ts: small GETs and POSTs, HTTPS
 * tunnels closed from either end, tunnels left empty, dropped downloads and uploads, a WebSocket in a
 * tunnel) straight to the emulator's real node, and through the bundled action in scan mode, whose
 * hop stands in front of the same node. Reported as counts: the errors through the hop that the direct
 * load does not have, and the action's open descriptors before the load and once it has settled.
 */
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { startEmulator } from '../../emulator/index.js'
import { node24Path, runStep, type StepResult } from './action-runner.js'

const LOAD = resolve(import.meta.dirname, 'hop-load.ts')
const run = promisify(execFile)

export interface LoadReport {
  requests: number
  errors: Record<string, number>
  websocket: { status: string; echo: boolean }
  fds: { before?: number; after?: number }
}

export interface HopLoad {
  requests: number
  concurrency: number
  direct_errors: Record<string, number>
  hop_errors: Record<string, number>
  /** Errors through the hop beyond the direct load's, by kind. */
  extra_errors: number
  websocket: { direct: string; hop: string }
  fds_before: number | null
  fds_after: number | null
}

export function parseLoad(stdout: string): LoadReport {
  const line = stdout.split('\n').find((l) => l.startsWith('HOPLOAD '))
  if (line === undefined) throw new Error(`the load printed no HOPLOAD line:\n${stdout.slice(-2000)}`)
  return JSON.parse(line.slice('HOPLOAD '.length)) as LoadReport
}

export async function benchHopLoad(
  progress: (text: string) => void,
  requests = Number(process.env.BENCH_HOP_LOAD_REQUESTS ?? 20_000),
  concurrency = 200
): Promise<HopLoad> {
  const node24 = node24Path()
  const token = 'fast-bench-hop-load'
  const emu = await startEmulator({ tokens: [token], nodes: 'real', allowedHosts: 'recorded.invalid' })
  const load = { LOAD_REQUESTS: String(requests), LOAD_CONCURRENCY: String(concurrency) }
  try {
    progress(`hop under load: ${requests} requests at concurrency ${concurrency} straight to the node…`)
    const direct = parseLoad(
      (
        await run(node24, [LOAD], {
          env: { PATH: process.env.PATH, LOAD_PROXY: emu.proxyUrl, ...load },
          maxBuffer: 16 * 1024 * 1024
        })
      ).stdout
    )
    progress('hop under load: the same through the bundled action in scan mode…')
    const { report: hop } = await loadThroughAction(node24, { ...emu, token }, load)
    let extra = 0
    for (const [kind, n] of Object.entries(hop.errors)) extra += Math.max(0, n - (direct.errors[kind] ?? 0))
    return {
      requests,
      concurrency,
      direct_errors: direct.errors,
      hop_errors: hop.errors,
      extra_errors: extra,
      websocket: { direct: direct.websocket.status, hop: hop.websocket.status },
      fds_before: hop.fds.before ?? null,
      fds_after: hop.fds.after ?? null
    }
  } finally {
    await emu.close()
  }
}

/**
 * The load as a scan's `run` command, through the bundled action (`node24`) and its hop in front of the
 * emulator's node, with the action's descriptors counted: the step, and the load's report.
 */
export async function loadThroughAction(
  node24: string,
  node: { apiUrl: string; proxyUrl: string; token: string },
  env: Record<string, string>
): Promise<{ step: StepResult; report: LoadReport }> {
  const step = await runStep({
    node: node24,
    env: { ...env, LOAD_ACTION_FDS: '1' },
    inputs: {
      mode: 'scan',
      token: node.token,
      'api-host': node.apiUrl,
      'node-url': node.proxyUrl,
      target: 'http://127.0.0.1:9',
      run: `"${node24}" "${LOAD}"`,
      'stop-grace-period': '0s'
    }
  })
  return { step, report: parseLoad(step.stdout) }
}

/** The bench's lines for it. */
export function hopLoadLines(r: HopLoad): string[] {
  const errors = (e: Record<string, number>): string =>
    Object.keys(e).length === 0
      ? 'none'
      : Object.entries(e)
          .map(([k, n]) => `${n} × ${k}`)
          .join('; ')
  return [
    `recording hop under load: ${r.requests} requests at concurrency ${r.concurrency} (GETs, 64 KB POSTs, HTTPS tunnels ` +
      'closed from either end, empty tunnels, dropped downloads and uploads), straight to the node and through the action',
    `   errors straight to the node: ${errors(r.direct_errors)}`,
    `   errors through the hop:      ${errors(r.hop_errors)} (${r.extra_errors} beyond the direct load's)`,
    `   WebSocket in a tunnel: ${r.websocket.direct} direct, ${r.websocket.hop} through the hop`,
    `   the action's open descriptors: ${r.fds_before ?? '?'} before the load, ${r.fds_after ?? '?'} after it`
  ]
}
