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
/** A token that may not read vulnerability details: its findings are known only from the run's summary. */
const NO_DETAILS_TOKEN = 'fast-node-token-no-details-s3cr3t'
const PATHS = ['/t/known', '/t/ignored', '/t/expired', '/t/triaged', '/t/logout', '/t/new'] as const
const day = (offsetDays: number): string =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

describe('the bundled action: a pull-request check on new findings', () => {
  let emu: Emulator
  let target: Target

  beforeAll(async () => {
    emu = await startEmulator({
      tokens: [TOKEN, NO_DETAILS_TOKEN],
      vulnReadDenied: [NO_DETAILS_TOKEN],
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
  const send = async (path: string, token = TOKEN): Promise<void> => {
    const method = path === '/t/logout' ? 'POST' : 'GET'
    const proxy = emu.proxyUrls[token]!
    expect((await viaProxy(proxy, `${target.url}${path}?q=1`, { method })).status).toBeLessThan(300)
  }
  /** A recorded and tested run over `paths`: the record step's exported variables for the stop step. */
  const record = async (
    paths: readonly string[],
    inputs: Record<string, string> = {}
  ): Promise<Record<string, string>> => {
    const rec = await step({ mode: 'record', ...inputs })
    expect(rec.exitCode, visibleLog(rec)).toBe(0)
    for (const p of paths) await send(p, inputs.token)
    return rec.exported
  }
  const workspace = (files: Record<string, string>): string => {
    const ws = mkdtempSync(join(tmpdir(), 'triage-ws-'))
    mkdirSync(join(ws, '.github'))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(ws, name), text)
    return ws
  }

  it('one finding of each status: only new and expired ones count, in every report; then, with its merged baseline committed, the rest is known but the expired ignore entry’s finding still counts', async () => {
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
    expect(stop.summary).toContain('**Expired:**')

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

    // The merged baseline: what the gate counted or would count (new, known), the known one's first_seen
    // kept; never the ignored, triaged or out-of-scope ones, nor the one whose ignore entry expired: their
    // own rules decide every run.
    const merged = JSON.parse(readFileSync(stop.outputs['baseline-path']!, 'utf8')) as {
      entries: Array<{ path: string; first_seen: string; last_seen: string }>
    }
    expect(merged.entries.map((e) => e.path).sort()).toEqual(['/t/known', '/t/new'])
    expect(merged.entries.find((e) => e.path === '/t/known')).toMatchObject({
      first_seen: day(-30),
      last_seen: day(0)
    })

    // Committed as the baseline beside the same ignore file and exclude: every finding is known, or decided
    // by its own rule again; the expired ignore entry's finding still counts (committing the file did not
    // turn it into a known one).
    const ws2 = workspace({
      '.github/wallarm-fast-baseline.json': readFileSync(stop.outputs['baseline-path']!, 'utf8'),
      '.github/wallarm-fast-ignore.yml': readFileSync(join(ws, '.github/wallarm-fast-ignore.yml'), 'utf8')
    })
    // The same record again, gated on new findings and on all of them: [exit code, outputs].
    for (const [failOn, exitCode, conclusion, counted] of [
      ['new-vulnerabilities', 1, 'failed', '1'],
      ['vulnerabilities', 1, 'failed', '3']
    ] as const) {
      const reuse = await step(
        {
          mode: 'reuse',
          'test-record-id': env.WALLARM_FAST_TEST_RECORD_ID!,
          'fail-on': failOn,
          exclude: 'POST ^/t/logout$'
        },
        { env: { GITHUB_WORKSPACE: ws2 } }
      )
      expect(reuse.exitCode, visibleLog(reuse)).toBe(exitCode)
      expect(reuse.outputs).toMatchObject({
        conclusion,
        'new-vulnerabilities': '1',
        vulnerabilities: counted
      })
    }
  }, 240_000)

  /** The team's loop: a run writes `baseline-path`, a person commits it, the next run reads it. */
  const commit = (baselinePath: string | undefined, others: Record<string, string> = {}): string => {
    expect(baselinePath, 'baseline-path').toBeTruthy()
    // Committed from an editor that writes a UTF-8 byte-order mark (road 10).
    return workspace({
      '.github/wallarm-fast-baseline.json': `\uFEFF${readFileSync(baselinePath!, 'utf8')}`,
      ...others
    })
  }

  it('road 3: a record created by the tests has a new id every run, and is the same finding', async () => {
    // The baseline run on the default branch: the tests create user 123.
    const first = await step(
      { mode: 'stop', 'fail-on': 'never' },
      { env: await record(['/t/users/123/orders']) }
    )
    expect(first.exitCode, visibleLog(first)).toBe(0)
    const merged = JSON.parse(readFileSync(first.outputs['baseline-path']!, 'utf8')) as {
      entries: Array<{ path: string }>
    }
    expect(merged.entries.map((e) => e.path)).toEqual(['/t/users/{id}/orders'])

    // The pull request's run: the tests created user 456 this time.
    const ws = commit(first.outputs['baseline-path'])
    const pr = await step(
      { mode: 'stop', 'fail-on': 'new-vulnerabilities' },
      { env: { ...(await record(['/t/users/456/orders'])), GITHUB_WORKSPACE: ws } }
    )
    expect(pr.exitCode, visibleLog(pr)).toBe(0)
    expect(pr.outputs).toMatchObject({ conclusion: 'passed', 'new-vulnerabilities': '0' })
    expect(pr.summary).toContain('**0 new** · 1 known · 0 ignored')
  }, 240_000)

  it('road 6: an ignore entry’s expiry takes effect although the merged baseline was committed', async () => {
    const ignoreUntil = (expires: string): string =>
      `ignore:\n  - path: /t/legacy\n    reason: accepted until the rewrite\n    expires: ${expires}\n`
    // Run 1: ignored until next month; the merged baseline is committed, as the README advises.
    const run1 = await step(
      { mode: 'stop', 'fail-on': 'new-vulnerabilities' },
      {
        env: {
          ...(await record(['/t/legacy'])),
          GITHUB_WORKSPACE: workspace({ '.github/wallarm-fast-ignore.yml': ignoreUntil(day(30)) })
        }
      }
    )
    expect(run1.exitCode, visibleLog(run1)).toBe(0)
    expect(run1.outputs).toMatchObject({ conclusion: 'passed', ignored: '1' })

    // Run 2, once the entry has expired (the same entry, its day past): the finding counts again.
    const ws = commit(run1.outputs['baseline-path'], {
      '.github/wallarm-fast-ignore.yml': ignoreUntil(day(-1))
    })
    const run2 = await step(
      { mode: 'stop', 'fail-on': 'new-vulnerabilities' },
      { env: { ...(await record(['/t/legacy'])), GITHUB_WORKSPACE: ws } }
    )
    expect(run2.exitCode, visibleLog(run2)).toBe(1)
    expect(run2.outputs).toMatchObject({ conclusion: 'failed', 'new-vulnerabilities': '1' })
    expect(run2.summary).toContain('**Expired:**')
  }, 240_000)

  it('road 2: findings known only from the summary are never known by type: two new sqli fail the gate', async () => {
    const denied = { token: NO_DETAILS_TOKEN }
    // The baseline run: one sqli, whose details the token may not read.
    const first = await step(
      { mode: 'stop', 'fail-on': 'never', ...denied },
      { env: await record(['/t/search'], denied) }
    )
    expect(first.exitCode, visibleLog(first)).toBe(0)
    // Committed as it is. A baseline merged before this fix holds a `type|code` entry for it: one is there.
    const ws = commit(first.outputs['baseline-path'])
    const file = join(ws, '.github/wallarm-fast-baseline.json')
    const committed = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as {
      version: number
      entries: unknown[]
    }
    const byType = { type: 'sqli', code: 'S0001', first_seen: day(-1), last_seen: day(-1) }
    if (!committed.entries.some((e) => (e as { code?: string }).code === 'S0001'))
      committed.entries.push(byType)
    writeFileSync(file, JSON.stringify(committed))

    // The pull request adds two sqli endpoints.
    const pr = await step(
      { mode: 'stop', 'fail-on': 'new-vulnerabilities', ...denied },
      { env: { ...(await record(['/t/search', '/t/new-a', '/t/new-b'], denied)), GITHUB_WORKSPACE: ws } }
    )
    expect(pr.exitCode, visibleLog(pr)).toBe(1)
    expect(pr.outputs, visibleLog(pr)).toMatchObject({ conclusion: 'failed', 'new-vulnerabilities': '3' })
    expect(pr.summary).toMatch(/3 vulnerabilities have no location/)
    expect(pr.summary).toContain('`api-token`')
  }, 240_000)

  it('road 7: two baseline entries of one identity fail the step, naming the file and identity, before any API call', async () => {
    const entry = (path: string, reason: string) => ({
      type: 'sqli',
      method: 'GET',
      domain: 'shop.test',
      path,
      parameter: 'q',
      first_seen: day(-30),
      last_seen: day(-30),
      reason
    })
    const ws = workspace({
      '.github/wallarm-fast-baseline.json': JSON.stringify(
        { version: 1, entries: [entry('/users/123', 'old'), entry('/users/456', 'renewed')] },
        null,
        2
      )
    })
    const before = emu.requests.length
    const bad = await step({ mode: 'wait', 'test-run-id': '1' }, { env: { GITHUB_WORKSPACE: ws } })
    expect(bad.exitCode).toBe(1)
    expect(visibleLog(bad)).toMatch(/\.github\/wallarm-fast-baseline\.json:\d+: entries 1 and 2 /)
    expect(visibleLog(bad)).toContain('sqli GET shop.test/users/{id} (q)')
    expect(bad.outputs.conclusion).toBe('error')
    expect(emu.requests.length).toBe(before)
  })

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
