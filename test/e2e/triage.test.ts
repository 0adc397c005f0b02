/**
 * Issue 17 end to end: the bundled action, run as the runner runs it, against the emulator. One run
 * with one finding of each status (known, ignored, expired ignore, triaged in Wallarm, out of scope,
 * new), then the merged baseline it wrote committed and a reuse run that finds only known findings.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { startTarget, viaProxy, type Target } from '../emulator/helpers.js'
import { emulatedStep } from './emulated-step.js'
import type { StepOptions } from './harness.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-node-token-triage-s3cr3t'
const PATHS = ['/t/known', '/t/ignored', '/t/expired', '/t/triaged', '/t/logout', '/t/new'] as const
const day = (offsetDays: number): string =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

describe('the bundled action: a pull-request check on new findings', () => {
  let emu: Emulator
  let target: Target

  beforeAll(async () => {
    emu = await startEmulator({
      tokens: [TOKEN],
      timeScale: 0.02,
      vulnRule: (r) =>
        r.path.startsWith('/t/') ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' } : null
    })
    target = await startTarget()
  }, 120_000)

  afterAll(async () => {
    await emu?.close()
    await target?.close()
  })

  const step = (inputs: Record<string, string>, opts: StepOptions = {}) =>
    emulatedStep(emu, TOKEN, inputs, opts)
  const send = async (path: string): Promise<void> => {
    const method = path === '/t/logout' ? 'POST' : 'GET'
    expect((await viaProxy(emu.proxyUrl, `${target.url}${path}?q=1`, { method })).status).toBeLessThan(300)
  }
  /** A recorded and tested run over `paths`: the record step's exported variables for the stop step. */
  const record = async (paths: readonly string[]): Promise<Record<string, string>> => {
    const rec = await step({ mode: 'record' })
    expect(rec.exitCode, visibleLog(rec)).toBe(0)
    for (const p of paths) await send(p)
    return rec.exported
  }
  const workspace = (files: Record<string, string>): string => {
    const ws = mkdtempSync(join(tmpdir(), 'triage-ws-'))
    mkdirSync(join(ws, '.github'))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text)
    return ws
  }

  it('one finding of each status: only new and expired ones count, in every report; then only known ones pass', async () => {
    const host = new URL(target.url).host
    // An earlier run found /t/triaged, and someone marked it false positive in the console.
    const first = await step({ mode: 'stop' }, { env: await record(['/t/triaged']) })
    const earlier = (JSON.parse(first.outputs['vulnerabilities-json']!) as Array<{ id: number }>)[0]!.id
    const marked = await fetch(`${emu.apiUrl}/__emulator/vulns/${earlier}/status`, {
      method: 'POST',
      body: JSON.stringify({ status: 'falsepositive' })
    })
    expect(marked.status).toBe(200)

    const ws = workspace({
      '.github/wallarm-fast-baseline.json': JSON.stringify({
        version: 1,
        entries: [
          {
            type: 'sqli',
            method: 'GET',
            domain: host,
            path: '/t/known',
            parameter: 'q',
            first_seen: day(-30),
            last_seen: day(-30)
          }
        ]
      }),
      '.github/wallarm-fast-ignore.yml': [
        'ignore:',
        '  - path: /t/ignored',
        '    reason: accepted risk',
        '    ticket: SEC-12',
        '  - path: /t/expired',
        '    reason: was accepted until yesterday',
        `    expires: ${day(-1)}`
      ].join('\n')
    })
    const env: Record<string, string> = { ...(await record(PATHS)), GITHUB_WORKSPACE: ws }
    const stop = await step(
      { mode: 'stop', 'fail-on': 'new-vulnerabilities', exclude: 'POST ^/t/logout$' },
      { env }
    )
    const log = visibleLog(stop)
    expect(stop.exitCode, log).toBe(1)
    expect(stop.outputs).toMatchObject({
      conclusion: 'failed',
      vulnerabilities: '2',
      'new-vulnerabilities': '2',
      ignored: '1'
    })
    // The verdict, then one error annotation per finding that counts: the new one and the expired one.
    expect(log).toMatch(/^::error title=Wallarm FAST%3A failed::Testing found 2 new vulnerabilities/m)
    const findingErrors = log
      .split('\n')
      .filter((l) => l.startsWith('::error title=Wallarm FAST%3A SQL injection'))
    expect(findingErrors).toHaveLength(2)
    expect(findingErrors.join('\n')).toContain('/t/new')
    expect(findingErrors.join('\n')).toContain('/t/expired')

    expect(stop.summary).toContain('**2 new** (1 expired) · 1 known · 1 ignored · 1 triaged · 1 out of scope')
    expect(stop.summary).toContain('ignored: accepted risk (SEC-12)')
    expect(stop.summary).toMatch(new RegExp(`triaged \\(false positive: \\[?vulnerability ${earlier}\\b`))
    expect(stop.summary).toContain('### Expired')

    const report = JSON.parse(readFileSync(stop.outputs['report-path']!, 'utf8')) as {
      findings: Array<{ path: string; counted: boolean; decision: { status: string } }>
    }
    expect(Object.fromEntries(report.findings.map((f) => [f.path, [f.decision.status, f.counted]]))).toEqual({
      '/t/known': ['known', false],
      '/t/ignored': ['ignored', false],
      '/t/expired': ['expired', true],
      '/t/triaged': ['triaged', false],
      '/t/logout': ['out-of-scope', false],
      '/t/new': ['new', true]
    })
    const sarif = JSON.parse(readFileSync(stop.outputs['sarif-path']!, 'utf8')) as {
      runs: Array<{
        results: Array<{ properties: { path: string }; baselineState: string; suppressions?: unknown[] }>
      }>
    }
    const results = Object.fromEntries(sarif.runs[0]!.results.map((r) => [r.properties.path, r]))
    expect(Object.keys(results).sort()).toEqual([...PATHS].sort())
    expect(results['/t/known']).toMatchObject({
      baselineState: 'unchanged',
      suppressions: [{ kind: 'external' }]
    })
    expect(results['/t/new']).toMatchObject({ baselineState: 'new' })
    expect(results['/t/new']!.suppressions).toBeUndefined()
    expect(sarif.runs[0]!.results.filter((r) => r.suppressions).length).toBe(4)
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      readFileSync(stop.outputs['junit-path']!, 'utf8')
    ) as { testsuites: { failures: string; skipped: string } }
    expect(junit.testsuites).toMatchObject({ failures: '2', skipped: '4' })

    // The merged baseline: every finding, the known one's first_seen kept, nothing removed.
    const merged = JSON.parse(readFileSync(stop.outputs['baseline-path']!, 'utf8')) as {
      entries: Array<{ path: string; first_seen: string; last_seen: string }>
    }
    expect(merged.entries.map((e) => e.path).sort()).toEqual([...PATHS].sort())
    expect(merged.entries.find((e) => e.path === '/t/known')).toMatchObject({
      first_seen: day(-30),
      last_seen: day(0)
    })

    // Committed as the baseline, with no ignore file and no exclude: every finding is known (or triaged).
    const ws2 = workspace({
      '.github/wallarm-fast-baseline.json': readFileSync(stop.outputs['baseline-path']!, 'utf8')
    })
    // The same record again, gated on new findings and on all of them: [exit code, outputs].
    for (const [failOn, exitCode, conclusion, counted] of [
      ['new-vulnerabilities', 0, 'passed', '0'],
      ['vulnerabilities', 1, 'failed', '5']
    ] as const) {
      const reuse = await step(
        { mode: 'reuse', 'test-record-id': env.WALLARM_FAST_TEST_RECORD_ID!, 'fail-on': failOn },
        { env: { GITHUB_WORKSPACE: ws2 } }
      )
      expect(reuse.exitCode, visibleLog(reuse)).toBe(exitCode)
      expect(reuse.outputs).toMatchObject({
        conclusion,
        'new-vulnerabilities': '0',
        vulnerabilities: counted
      })
    }
  }, 240_000)

  it('a bad ignore file fails the step with the file and line, before any API call', async () => {
    const ws = workspace({ '.github/wallarm-fast-ignore.yml': 'ignore:\n  - path: /x\n    reson: typo\n' })
    const before = emu.requests.length
    const bad = await step({ mode: 'wait', 'test-run-id': '1' }, { env: { GITHUB_WORKSPACE: ws } })
    expect(bad.exitCode).toBe(1)
    expect(visibleLog(bad)).toContain('.github/wallarm-fast-ignore.yml:3: unknown key "reson"')
    expect(bad.outputs.conclusion).toBe('error')
    expect(emu.requests.length).toBe(before)
  })
})
