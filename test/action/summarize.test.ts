/**
 * summarize mode in-process (src/main.ts through the runner port): two reuse legs against the emulator
 * write their reports, and one summarize step reads them: one verdict, one summary with the legs, one
 * SARIF run, one JUnit file, the same outputs as any mode; no token and no request to the API.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FakeRunner } from '../support/fake-runner.js'
import { TOKEN, runMainStep, stepHarness, type StepHarness } from './harness.js'

let h: StepHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const main = (harness: StepHarness, runner: FakeRunner, env: NodeJS.ProcessEnv = {}) =>
  runMainStep(harness, runner, { env })

/** Two legs replaying a vulnerable and a clean record; their reports laid out as download-artifact does. */
async function legs(harness: StepHarness, chromeVulnerable = true): Promise<string> {
  const workspace = mkdtempSync(join(tmpdir(), 'fast-summarize-ws-'))
  for (const [name, vulnerable] of [
    ['chrome', chromeVulnerable],
    ['firefox', false]
  ] as const) {
    const run = await harness.finishedRun(vulnerable)
    const record = String(harness.emu.model.getTestRun(TOKEN, run).test_record_id)
    const leg = await main(
      harness,
      harness.runner({ mode: 'reuse', token: TOKEN, name, 'test-record-id': record })
    )
    expect(leg.outputs.conclusion).toBe(vulnerable ? 'failed' : 'passed')
    const dir = join(workspace, 'wallarm-fast-reports', `wallarm-fast-${name}`)
    mkdirSync(dir, { recursive: true })
    copyFileSync(leg.outputs['report-path']!, join(dir, 'report.json'))
  }
  return workspace
}

describe('summarize mode', () => {
  it('one verdict for the legs: the finding naming its leg, a legs table, one SARIF run, no API call', async () => {
    h = await stepHarness({
      vulnRule: (r) =>
        r.path === '/vulnerable' ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' } : null
    })
    const workspace = await legs(h)
    const before = h.emu.requests.length
    const clients = h.clients.length
    const r = await main(h, h.runner({ mode: 'summarize', 'expected-legs': 'chrome, firefox' }), {
      GITHUB_WORKSPACE: workspace,
      GITHUB_JOB: 'summary'
    })
    expect(r.outputs.conclusion).toBe('failed')
    expect(r.failed).toBe(true)
    expect(r.outputs.vulnerabilities).toBe('1')
    expect(JSON.parse(r.outputs['vulnerabilities-json']!)).toEqual([
      expect.objectContaining({ type: 'sqli', path: '/vulnerable' })
    ])
    expect(h.emu.requests.length).toBe(before)
    expect(h.clients.length).toBe(clients)
    const summary = r.summaries.join('')
    expect(summary).toContain('The legs found 1 vulnerability at or above threat 1 (chrome).')
    expect(summary).toContain('### Legs (2 reported)')
    expect(summary).toMatch(/\| chrome \| .* \| failed \| 1 \| 1 \|/)
    expect(summary).toMatch(/\| firefox \| .* \| passed \| 1 \| 0 \|/)
    // The leg that found it, beside the endpoint in the table of what counts.
    expect(summary).toMatch(/^\| .*SQL injection .*\| `[A-Z]+ \/vulnerable` · chrome \|/m)
    const sarif = JSON.parse(readFileSync(r.outputs['sarif-path']!, 'utf8')) as {
      runs: Array<{ results: unknown[]; automationDetails: { id: string } }>
    }
    expect(sarif.runs).toHaveLength(1)
    expect(sarif.runs[0]!.results).toHaveLength(1)
    expect(sarif.runs[0]!.automationDetails.id).toContain('/summary/')
    expect(readFileSync(r.outputs['junit-path']!, 'utf8')).toContain('Found by legs: chrome')
    const report = JSON.parse(readFileSync(r.outputs['report-path']!, 'utf8')) as {
      mode: string
      findings: unknown[]
    }
    expect(report).toMatchObject({ mode: 'summarize', conclusion: 'failed' })
    expect(report.findings).toHaveLength(1)
  })

  it('a missing leg, named: inconclusive though the present legs passed, and the step fails', async () => {
    h = await stepHarness()
    const workspace = await legs(h, false)
    const r = await main(h, h.runner({ mode: 'summarize', 'expected-legs': 'chrome, firefox, safari' }), {
      GITHUB_WORKSPACE: workspace
    })
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.failed).toBe(true)
    expect(r.summaries.join('')).toContain('| safari | – | did not report | – | – |')
    expect(r.failure).toContain('1 expected leg of 3 did not report: safari (reported: chrome, firefox)')
    // No complete verdict: no SARIF that would close alerts of the leg that did not report.
    expect(r.outputs['sarif-path']).toBe('')
  })

  it('the ignore file applies once, to the merged list: the ignored finding no longer fails the matrix', async () => {
    h = await stepHarness({
      vulnRule: (r) =>
        r.path === '/vulnerable' ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' } : null
    })
    const workspace = await legs(h)
    mkdirSync(join(workspace, '.github'), { recursive: true })
    writeFileSync(
      join(workspace, '.github', 'wallarm-fast-ignore.yml'),
      'ignore:\n  - type: sqli\n    path: /vulnerable\n    reason: accepted risk\n    ticket: SEC-1\n'
    )
    const r = await main(h, h.runner({ mode: 'summarize' }), { GITHUB_WORKSPACE: workspace })
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.outputs.ignored).toBe('1')
    const report = JSON.parse(readFileSync(r.outputs['report-path']!, 'utf8')) as {
      findings: Array<{ status: string; counted: boolean }>
    }
    expect(report.findings).toEqual([expect.objectContaining({ status: 'ignored', counted: false })])
  })
})
