/**
 * Issue 21, road 8, through the bundled action and the emulator: Wallarm's triage of an account with more
 * false positives and closures than one read can page through (the API takes `offset` up to 1000, spec
 * §6.1). The newest closure must be read, so that a vulnerability fixed, closed and found again is a
 * regression, not `known`; and a warning names the cap and what was not read.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { node24Path, runStep, type StepResult } from './harness.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-paging-e2e-s3cr3t'
/** More triaged vulnerabilities than offset 1000 + a page of 1000 reach. */
const OLD_TRIAGED = 2100

describe("Wallarm's triage, newest first (bundled action)", () => {
  let emu: Emulator
  let node: string
  /** The emulator's clock runs ahead by this much: a long test run is over at once. */
  let ahead = 0

  function record(paths: string[]): { runId: number; recordId: string } {
    const run = emu.model.createTestRun(TOKEN, { name: 'recording' })
    for (const path of paths)
      emu.model.recordBaseline(TOKEN, {
        method: 'GET',
        url: `http://shop.test${path}`,
        headers: {},
        body: ''
      })
    emu.model.stopRecording(TOKEN, run.id)
    return { runId: run.id, recordId: String(run.test_record_id) }
  }

  const leg = (recordId: string, ws: string, inputs: Record<string, string> = {}): Promise<StepResult> =>
    runStep({
      node,
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': emu.apiUrl,
        'node-url': emu.proxyUrl,
        'test-record-id': recordId,
        sarif: 'false',
        ...inputs
      },
      env: { GITHUB_WORKSPACE: ws }
    })

  beforeAll(async () => {
    node = node24Path()
    emu = await startEmulator({
      tokens: [TOKEN],
      clock: () => Date.now() + ahead,
      timeScale: 0.02,
      readyDelayMs: 0,
      vulnRule: (r) =>
        r.path === '/search' || r.path.startsWith('/old/')
          ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' }
          : null
    })
    // Years of triage: many findings marked false positive or closed in the console.
    const old = record(Array.from({ length: OLD_TRIAGED }, (_, i) => `/old/${i}`))
    ahead += 86_400_000
    const found = emu.model.listVulns({ filter: { testrun_id: [old.runId] }, limit: 1000, offset: 0 })
    expect(found).toHaveLength(1000)
    const ids = Array.from({ length: OLD_TRIAGED }, (_, i) => found[0]!.id + i)
    emu.model.setVulnStatuses(
      ids.filter((id) => id % 2 === 0),
      'closed'
    )
    emu.model.setVulnStatuses(
      ids.filter((id) => id % 2 === 1),
      'falsepositive'
    )
  }, 240_000)

  afterAll(async () => {
    await emu?.close()
  })

  it('a closure newer than the cap is read: found again, it is a regression; the cap is named', async () => {
    const search = record(['/search'])
    const empty = mkdtempSync(join(tmpdir(), 'fast-paging-ws-'))
    const first = await leg(search.recordId, empty)
    expect(first.outputs.conclusion, visibleLog(first)).toBe('failed')
    const fixed = (JSON.parse(first.outputs['vulnerabilities-json']!) as Array<{ id: number }>)[0]!.id
    emu.model.setVulnStatus(fixed, 'closed')

    // The pull request's check: /search is in the committed baseline, and only new findings fail.
    const ws = mkdtempSync(join(tmpdir(), 'fast-paging-ws-'))
    mkdirSync(join(ws, '.github'))
    writeFileSync(
      join(ws, '.github', 'wallarm-fast-baseline.json'),
      JSON.stringify({
        version: 1,
        entries: [
          {
            type: 'sqli',
            method: 'GET',
            domain: 'shop.test',
            path: '/search',
            parameter: 'q',
            first_seen: '2026-01-01',
            last_seen: '2026-01-01'
          }
        ]
      })
    )
    const again = await leg(search.recordId, ws, { 'fail-on': 'new-vulnerabilities' })
    const log = visibleLog(again)
    expect(again.outputs.conclusion, log).toBe('failed')
    expect(again.outputs['new-vulnerabilities']).toBe('1')
    expect(again.summary).toContain(`regression: vulnerability ${fixed} was closed`)
    // The reads went newest first, and no further than the API pages.
    const reads = emu.requests
      .filter((r) => r.path === '/v1/objects/vuln')
      .map(
        (r) =>
          r.body as { filter: { status?: unknown }; order_by?: string; order_desc?: boolean; offset: number }
      )
      .filter((b) => b.filter.status !== undefined)
    expect(reads.length).toBeGreaterThan(0)
    expect(reads.every((b) => b.order_by === 'id' && b.order_desc === true && b.offset <= 1000)).toBe(true)
    expect(log).toMatch(
      /::warning::Wallarm's triage: read the newest 2000 vulnerabilities marked false positive or closed/
    )
    expect(log).toMatch(/Older ones were not read \(those before vulnerability \d+\)/)
  })
})
