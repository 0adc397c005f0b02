/**
 * A matrix as one, through the bundled action as the runner runs it: two legs (`mode: scan` with
 * `test-record-id`, the node at node-url: the emulator's) replay a vulnerable and a clean test record,
 * their reports are laid out as download-artifact lays them out, and one `mode: summarize` step reads them:
 * one deduplicated finding list naming the legs, one SARIF run, one verdict; a leg missing from
 * expected-legs; a foreign JSON file refused by name. summarize runs with no token at all.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { node24Path, runStep, type StepResult } from './harness.js'

const TOKEN = 'fast-summarize-e2e-s3cr3t'

const visibleLog = (step: StepResult): string =>
  `${step.stdout}\n${step.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

describe('summarize: the legs of a matrix as one (bundled action)', () => {
  let emu: Emulator
  let node: string
  let workspace: string
  const legs: Record<string, StepResult> = {}

  /** A finished test record holding baselines for these paths. */
  function record(paths: string[]): string {
    const run = emu.model.createTestRun(TOKEN, { name: 'recording' })
    for (const path of paths)
      emu.model.recordBaseline(TOKEN, {
        method: 'GET',
        url: `http://shop.test${path}`,
        headers: {},
        body: ''
      })
    emu.model.stopRecording(TOKEN, run.id)
    return String(run.test_record_id)
  }

  const leg = (name: string, recordId: string): Promise<StepResult> =>
    runStep({
      node,
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': emu.apiUrl,
        'node-url': emu.proxyUrl,
        'test-record-id': recordId,
        name,
        sarif: 'false'
      }
    })

  const summarize = (inputs: Record<string, string>, ws = workspace): Promise<StepResult> =>
    runStep({
      node,
      inputs: { mode: 'summarize', ...inputs },
      env: { GITHUB_WORKSPACE: ws, GITHUB_JOB: 'summary' }
    })

  /** Each leg's report in a folder of its own, as download-artifact with a pattern writes them. */
  function layOut(ws: string, names: string[]): void {
    for (const name of names) {
      const dir = join(ws, 'wallarm-fast-reports', `wallarm-fast-${name}`)
      mkdirSync(dir, { recursive: true })
      copyFileSync(legs[name]!.outputs['report-path']!, join(dir, `wallarm-fast-${name}.json`))
    }
  }

  beforeAll(async () => {
    node = node24Path()
    emu = await startEmulator({
      tokens: [TOKEN],
      timeScale: 0.02,
      readyDelayMs: 0,
      vulnRule: (r) =>
        r.path === '/search' ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' } : null
    })
    const vulnerable = record(['/search', '/products'])
    const clean = record(['/products', '/cart'])
    // One node token runs one test run at a time: the legs one after another, as a concurrency group does.
    legs.chrome = await leg('chrome', vulnerable)
    legs.firefox = await leg('firefox', clean)
    workspace = mkdtempSync(join(tmpdir(), 'fast-summarize-ws-'))
    layOut(workspace, ['chrome', 'firefox'])
  }, 180_000)

  afterAll(async () => {
    await emu?.close()
  })

  it('the legs: one failed, one passed, each with its report naming the leg', () => {
    expect(legs.chrome!.outputs.conclusion, visibleLog(legs.chrome!)).toBe('failed')
    expect(legs.firefox!.outputs.conclusion, visibleLog(legs.firefox!)).toBe('passed')
    const report = JSON.parse(readFileSync(legs.chrome!.outputs['report-path']!, 'utf8')) as { leg: string }
    expect(report.leg).toBe('chrome')
  })

  it('one deduplicated finding list naming the leg, one SARIF run, conclusion failed, no token needed', async () => {
    // The same flaw found by a third leg: one finding, both legs named.
    legs.edge = await leg(
      'edge',
      String(JSON.parse(readFileSync(legs.chrome!.outputs['report-path']!, 'utf8')).testRun.recordId)
    )
    const ws = mkdtempSync(join(tmpdir(), 'fast-summarize-ws-'))
    layOut(ws, ['chrome', 'firefox', 'edge'])
    const requestsBefore = emu.requests.length
    const step = await summarize({}, ws)
    const log = visibleLog(step)
    expect(step.outputs.conclusion, log).toBe('failed')
    expect(step.exitCode).toBe(1)
    expect(step.outputs.vulnerabilities).toBe('1')
    expect(emu.requests.length).toBe(requestsBefore)
    expect(step.summary).toContain('### Legs (3 reported)')
    expect(step.summary).toMatch(/^\| .*SQL injection .*\| `[A-Z]+ \/[^`]*` · chrome, edge \|/m)
    expect(step.summary).toMatch(/\| firefox \| .* \| passed \| 2 \| 0 \|/)
    const sarif = JSON.parse(readFileSync(step.outputs['sarif-path']!, 'utf8')) as {
      runs: Array<{ results: unknown[] }>
    }
    expect(sarif.runs).toHaveLength(1)
    expect(sarif.runs[0]!.results).toHaveLength(1)
    expect(readFileSync(step.outputs['junit-path']!, 'utf8')).toContain('Found by legs: chrome, edge')
  })

  it('expected-legs 3 with two passing legs: the missing one named, inconclusive', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'fast-summarize-ws-'))
    layOut(ws, ['firefox'])
    const step = await summarize({ 'expected-legs': 'chrome, firefox, safari' }, ws)
    expect(step.outputs.conclusion, visibleLog(step)).toBe('inconclusive')
    expect(step.exitCode).toBe(1)
    expect(visibleLog(step)).toContain(
      '2 expected legs of 3 did not report: chrome, safari (reported: firefox)'
    )
    expect(step.summary).toContain('| safari | – | did not report | – | – |')
    const counted = await summarize({ 'expected-legs': '3' }, ws)
    expect(counted.outputs.conclusion).toBe('inconclusive')
    expect(visibleLog(counted)).toContain('2 expected legs of 3 did not report (reported: firefox)')
  })

  it('a foreign JSON file among the reports is refused by name', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'fast-summarize-ws-'))
    layOut(ws, ['firefox'])
    mkdirSync(join(ws, 'wallarm-fast-reports', 'coverage'), { recursive: true })
    writeFileSync(join(ws, 'wallarm-fast-reports', 'coverage', 'coverage-summary.json'), '{"total":{}}')
    const step = await summarize({}, ws)
    expect(step.outputs.conclusion).toBe('error')
    expect(step.exitCode).toBe(1)
    expect(visibleLog(step)).toContain(
      'wallarm-fast-reports/coverage/coverage-summary.json: is not a Wallarm FAST report'
    )
  })
})
