/**
 * Issue 21, roads 1 and 9, end to end: the bundled action, run as the runner runs it, against the emulator.
 *
 * Road 1: a node that stops at its first finding (stop-on-first-fail) leaves the other baselines
 * untested; when that finding does not count (here: known, in the baseline file), the run is no pass.
 * Road 9: a replay (scan mode with test-record-id, and reuse mode) attacks every baseline of the record,
 * whatever `exclude` says: `exclude` only sets findings out of scope there, and one warning says so.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { startTarget, viaProxy, type Target } from '../emulator/helpers.js'
import { emulatedStep } from './emulated-step.js'
import type { StepOptions } from './harness.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-node-token-untested-s3cr3t'
const VULNERABLE = ['/g/known', '/g/new', '/g/items'] as const

interface StateRun {
  id: number
  baseline_count: number
  baseline_check_fail_count: number
  baseline_check_interrupted_count: number
}

describe('the bundled action: no pass over untested baselines, and what exclude does in a replay', () => {
  let emu: Emulator
  let target: Target

  beforeAll(async () => {
    emu = await startEmulator({
      tokens: [TOKEN],
      timeScale: 0.02,
      vulnRule: (r) =>
        (VULNERABLE as readonly string[]).includes(r.path)
          ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' }
          : null
    })
    target = await startTarget()
  }, 120_000)

  afterAll(async () => {
    await emu?.close()
    await target?.close()
  })

  const step = (inputs: Record<string, string>, opts: StepOptions = {}) =>
    emulatedStep(emu, TOKEN, inputs, opts)
  /** A test record of these requests, in this order; its id. */
  const record = async (requests: ReadonlyArray<[method: string, path: string]>): Promise<string> => {
    const rec = await step({ mode: 'record' })
    expect(rec.exitCode, visibleLog(rec)).toBe(0)
    for (const [method, path] of requests) {
      const answer = await viaProxy(emu.proxyUrl, `${target.url}${path}?q=1`, { method })
      expect(answer.status).toBeLessThan(300)
    }
    const stop = await step({ mode: 'stop', 'fail-on': 'never' }, { env: rec.exported })
    expect(stop.exitCode, visibleLog(stop)).toBe(0)
    return rec.outputs['test-record-id']!
  }
  const runState = async (id: string): Promise<StateRun> => {
    const state = (await (await fetch(`${emu.apiUrl}/__emulator/state`)).json()) as {
      body: { runs: StateRun[] }
    }
    return state.body.runs.find((r) => String(r.id) === id)!
  }

  it('stop-on-first-fail stopping at a known finding leaves the rest untested: inconclusive, never passed; so is the matrix', async () => {
    const host = new URL(target.url).host
    // 4 baselines: the first a known sqli (in the baseline file), a new one in the last.
    const recordId = await record([
      ['GET', '/g/known'],
      ['GET', '/g/a'],
      ['GET', '/g/b'],
      ['GET', '/g/new']
    ])
    const ws = mkdtempSync(join(tmpdir(), 'untested-ws-'))
    mkdirSync(join(ws, '.github'))
    writeFileSync(
      join(ws, '.github/wallarm-fast-baseline.json'),
      JSON.stringify({
        version: 1,
        entries: [
          {
            ...{ type: 'sqli', method: 'GET', domain: host, path: '/g/known', parameter: 'q' },
            ...{ first_seen: '2026-01-10', last_seen: '2026-01-10' }
          }
        ]
      })
    )
    const reuse = await step(
      {
        mode: 'reuse',
        'test-record-id': recordId,
        'stop-on-first-fail': 'true',
        'fail-on': 'new-vulnerabilities'
      },
      { env: { GITHUB_WORKSPACE: ws } }
    )
    const log = visibleLog(reuse)
    // The emulator stops as the spec says: failed at the first finding, the other 3 checks interrupted.
    const run = await runState(reuse.outputs['test-run-id']!)
    expect(run, log).toMatchObject({
      baseline_count: 4,
      baseline_check_fail_count: 1,
      baseline_check_interrupted_count: 3
    })
    expect(reuse.outputs).toMatchObject({
      state: 'failed',
      conclusion: 'inconclusive',
      vulnerabilities: '0',
      'new-vulnerabilities': '0'
    })
    expect(reuse.exitCode, log).toBe(1)
    expect(log).toMatch(
      /^::error title=Wallarm FAST%3A inconclusive::Inconclusive: 3 of the 4 baselines were left unchecked/m
    )
    expect(log).toContain('stop-on-first-fail')
    // The step warned before the run that this combination can leave baselines untested.
    const warned = log
      .split('\n')
      .filter((l) => l.startsWith('::warning') && l.includes('stop-on-first-fail'))
    expect(warned, log).toHaveLength(1)
    expect(warned[0]).toContain('fail-on: new-vulnerabilities')
    expect(warned[0]).toContain('.github/wallarm-fast-baseline.json')

    // The leg's report, summarized with a matrix: still no pass.
    mkdirSync(join(ws, 'wallarm-fast-reports', 'leg'), { recursive: true })
    writeFileSync(
      join(ws, 'wallarm-fast-reports', 'leg', 'report.json'),
      readFileSync(reuse.outputs['report-path']!)
    )
    const summary = await step(
      { mode: 'summarize', 'fail-on': 'new-vulnerabilities' },
      { env: { GITHUB_WORKSPACE: ws } }
    )
    expect(summary.outputs.conclusion, visibleLog(summary)).toBe('inconclusive')
    expect(summary.exitCode).toBe(1)
  })

  it('a replay with exclude: one warning that the node still attacks every baseline, findings out of scope', async () => {
    const recordId = await record([
      ['GET', '/g/a'],
      ['DELETE', '/g/items']
    ])
    const scan = await step({
      mode: 'scan',
      'test-record-id': recordId,
      'node-url': emu.proxyUrl,
      exclude: 'DELETE .*'
    })
    const log = visibleLog(scan)
    expect(scan.exitCode, log).toBe(0)
    expect(scan.outputs).toMatchObject({ conclusion: 'passed', vulnerabilities: '0' })
    // The node attacked the DELETE baseline all the same: exclude kept nothing from it.
    const run = await runState(scan.outputs['test-run-id']!)
    expect(run.baseline_check_fail_count).toBe(1)
    const report = JSON.parse(readFileSync(scan.outputs['report-path']!, 'utf8')) as {
      findings: Array<{ method: string; decision: { status: string } }>
    }
    expect(report.findings.map((f) => [f.method, f.decision.status])).toEqual([['DELETE', 'out-of-scope']])
    const warned = log.split('\n').filter((l) => l.startsWith('::warning') && l.includes('exclude'))
    expect(warned, log).toHaveLength(1)
    expect(warned[0]).toContain(`attacks every baseline of test record ${recordId}`)
    expect(warned[0]).toContain('record again with exclude')

    // reuse mode: the same single warning.
    const reuse = await step({ mode: 'reuse', 'test-record-id': recordId, exclude: 'DELETE .*' })
    expect(reuse.exitCode, visibleLog(reuse)).toBe(0)
    const reuseWarned = visibleLog(reuse)
      .split('\n')
      .filter((l) => l.startsWith('::warning') && l.includes('exclude'))
    expect(reuseWarned).toHaveLength(1)
    expect(reuseWarned[0]).toContain('record again with exclude')
  })
})
