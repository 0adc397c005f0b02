/**
 * Issue 21, the matrix's side, through the bundled action and the emulator as a team lives it: legs replay
 * test records and upload their reports, and one `mode: summarize` step reads them.
 *
 * - Road 4: what each leg learned from Wallarm survives the summary: a regression (a vulnerability Wallarm
 *   holds `closed`, found again) still counts in the matrix although its baseline knows it, and a false
 *   positive marked in Wallarm does not fail the matrix.
 * - Road 5: a report whose stored identity disagrees with its finding's fields is refused by name.
 * - Road 2: two findings known only from the run's summary (the details unreadable) are never merged.
 * - api-token: a Wallarm API token reads the details where the node token may not; without it, the warning
 *   names the input.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { node24Path, runStep, type StepResult } from './harness.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-knowledge-e2e-s3cr3t'
/** A node token the emulator refuses on POST /v1/objects/vuln, as the real cloud may. */
const NO_DETAILS_TOKEN = 'fast-knowledge-no-details-s3cr3t'
/** A Wallarm API token (Settings → API tokens) with read access to vulnerabilities. */
const API_TOKEN = 'wallarm-api-token-read-vulns-s3cr3t'

describe('summarize keeps what each leg learned (bundled action)', () => {
  let emu: Emulator
  let node: string

  /** A finished test record holding baselines for these paths, on the node of `token`. */
  function record(paths: string[], token = TOKEN): string {
    const run = emu.model.createTestRun(token, { name: 'recording' })
    for (const path of paths)
      emu.model.recordBaseline(token, {
        method: 'GET',
        url: `http://shop.test${path}`,
        headers: {},
        body: ''
      })
    emu.model.stopRecording(token, run.id)
    return String(run.test_record_id)
  }

  const leg = (name: string, recordId: string, extra: Record<string, string> = {}): Promise<StepResult> =>
    runStep({
      node,
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': emu.apiUrl,
        // A replay: the node tests the record, nothing is proxied.
        'node-url': emu.proxyUrl,
        'test-record-id': recordId,
        name,
        sarif: 'false',
        ...extra
      }
    })

  /** A workspace with these legs' reports laid out as download-artifact writes them, and these files. */
  function workspace(legs: Record<string, StepResult>, files: Record<string, string> = {}): string {
    const ws = mkdtempSync(join(tmpdir(), 'fast-knowledge-ws-'))
    for (const [name, step] of Object.entries(legs)) {
      const dir = join(ws, 'wallarm-fast-reports', `wallarm-fast-${name}`)
      mkdirSync(dir, { recursive: true })
      copyFileSync(step.outputs['report-path']!, join(dir, `wallarm-fast-${name}.json`))
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(ws, path, '..'), { recursive: true })
      writeFileSync(join(ws, path), text)
    }
    return ws
  }

  const summarize = (ws: string, inputs: Record<string, string> = {}): Promise<StepResult> =>
    runStep({
      node,
      inputs: { mode: 'summarize', ...inputs },
      env: { GITHUB_WORKSPACE: ws, GITHUB_JOB: 'summary' }
    })

  const vulnIds = (step: StepResult): string[] =>
    (JSON.parse(step.outputs['vulnerabilities-json'] || '[]') as Array<{ id: number | string }>).map((v) =>
      String(v.id)
    )

  const markInWallarm = async (id: string, status: 'closed' | 'falsepositive'): Promise<void> => {
    const res = await fetch(`${emu.apiUrl}/__emulator/vulns/${id}/status`, {
      method: 'POST',
      body: JSON.stringify({ status })
    })
    expect(res.status).toBe(200)
  }

  let regressionRecord: string
  let falsePositiveRecord: string
  const legs: Record<string, StepResult> = {}

  beforeAll(async () => {
    node = node24Path()
    emu = await startEmulator({
      tokens: [TOKEN, NO_DETAILS_TOKEN],
      apiTokens: [API_TOKEN],
      vulnReadDenied: [NO_DETAILS_TOKEN],
      timeScale: 0.02,
      readyDelayMs: 0,
      vulnRule: (r) =>
        r.path === '/search'
          ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' }
          : r.path === '/admin'
            ? { type: 'xss', threat: 60, code: 'X1', parameter: 'name' }
            : r.path.startsWith('/orders/')
              ? { type: 'sqli', threat: 70, code: 'S1', parameter: 'id' }
              : null
    })
    regressionRecord = record(['/search', '/products'])
    falsePositiveRecord = record(['/admin', '/cart'])
    // Earlier runs found both; one was fixed and closed in Wallarm, the other marked a false positive.
    const earlier = await leg('earlier', regressionRecord)
    expect(earlier.outputs.conclusion, visibleLog(earlier)).toBe('failed')
    await markInWallarm(vulnIds(earlier)[0]!, 'closed')
    const earlierFp = await leg('earlier-fp', falsePositiveRecord)
    expect(earlierFp.outputs.conclusion, visibleLog(earlierFp)).toBe('failed')
    await markInWallarm(vulnIds(earlierFp)[0]!, 'falsepositive')
    // The matrix: chrome finds the closed one again (a regression), firefox the false positive.
    legs.chrome = await leg('chrome', regressionRecord)
    legs.firefox = await leg('firefox', falsePositiveRecord)
  }, 240_000)

  afterAll(async () => {
    await emu?.close()
  })

  const BASELINE = {
    '.github/wallarm-fast-baseline.json': JSON.stringify({
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
  }

  it('road 4: a leg failed on a regression: the matrix fails on it, its baseline entry notwithstanding', async () => {
    expect(legs.chrome!.outputs.conclusion, visibleLog(legs.chrome!)).toBe('failed')
    const step = await summarize(workspace({ chrome: legs.chrome! }, BASELINE), {
      'fail-on': 'new-vulnerabilities'
    })
    const log = visibleLog(step)
    expect(step.outputs.conclusion, log).toBe('failed')
    expect(step.exitCode).toBe(1)
    expect(step.outputs['new-vulnerabilities']).toBe('1')
    expect(step.summary).toMatch(/regression: vulnerability \d+ was closed/)
  })

  it('road 4: a leg passed on a false positive marked in Wallarm: so does the matrix', async () => {
    expect(legs.firefox!.outputs.conclusion, visibleLog(legs.firefox!)).toBe('passed')
    const step = await summarize(workspace({ firefox: legs.firefox! }))
    expect(step.outputs.conclusion, visibleLog(step)).toBe('passed')
    expect(step.exitCode).toBe(0)
    expect(step.outputs.vulnerabilities).toBe('0')
    expect(step.summary).toContain('1 triaged')
  })

  it('road 4: both legs: only the regression counts', async () => {
    const step = await summarize(workspace(legs, BASELINE), { 'fail-on': 'new-vulnerabilities' })
    expect(step.outputs.conclusion, visibleLog(step)).toBe('failed')
    expect(step.outputs['new-vulnerabilities']).toBe('1')
    const counted = JSON.parse(step.outputs['vulnerabilities-json']!) as Array<{ path: string }>
    expect(counted.map((v) => v.path)).toEqual(['/search'])
  })

  it("road 5: a report carrying another finding's identity is refused, naming the file and the finding", async () => {
    const ws = workspace(legs)
    const file = join(ws, 'wallarm-fast-reports', 'wallarm-fast-firefox', 'wallarm-fast-firefox.json')
    const chrome = JSON.parse(readFileSync(legs.chrome!.outputs['report-path']!, 'utf8')) as {
      findings: Array<{ identity: string }>
    }
    const forged = JSON.parse(readFileSync(file, 'utf8')) as { findings: Array<{ identity: string }> }
    // The xss of firefox claims the identity of chrome's sqli: folded into it, it would vanish.
    forged.findings[0]!.identity = chrome.findings[0]!.identity
    writeFileSync(file, JSON.stringify(forged))
    const step = await summarize(ws)
    const log = visibleLog(step)
    expect(step.outputs.conclusion, log).toBe('error')
    expect(step.exitCode).toBe(1)
    expect(log).toMatch(
      /wallarm-fast-reports\/wallarm-fast-firefox\/wallarm-fast-firefox\.json: finding 1 \(xss GET shop\.test\/admin \(name\)\) has the identity [0-9a-f]{12}/
    )
  })

  it('road 2 and api-token: summary-only findings are never merged; the warning names api-token; api-token reads the details', async () => {
    const orders = record(['/orders/1', '/orders/2'], NO_DETAILS_TOKEN)
    const blind = await leg('blind', orders, { token: NO_DETAILS_TOKEN })
    const blindLog = visibleLog(blind)
    expect(blind.outputs.conclusion, blindLog).toBe('failed')
    expect(blind.outputs.vulnerabilities).toBe('2')
    expect(blindLog).toMatch(/::warning::.*api-token/)
    const step = await summarize(workspace({ blind }))
    expect(step.outputs.conclusion, visibleLog(step)).toBe('failed')
    expect(step.outputs.vulnerabilities).toBe('2')

    // With api-token, the details are read with it, and only with it: the node token does the rest.
    const before = emu.requests.length
    const seeing = await leg('seeing', orders, { token: NO_DETAILS_TOKEN, 'api-token': API_TOKEN })
    const log = visibleLog(seeing)
    expect(seeing.outputs.conclusion, log).toBe('failed')
    expect(log).not.toContain('api-token')
    expect(log).not.toContain(API_TOKEN)
    expect(seeing.stdout).toContain(`::add-mask::${API_TOKEN}`)
    const report = JSON.parse(readFileSync(seeing.outputs['report-path']!, 'utf8')) as {
      findingsSource: string
      findings: Array<{ path?: string }>
    }
    expect(report.findingsSource).toBe('details')
    expect(report.findings.map((f) => f.path).sort()).toEqual(['/orders/1', '/orders/2'])
    const made = emu.requests.slice(before)
    const tokenOf = (r: (typeof made)[number]): string | undefined => r.headers['x-wallarmapi-token']
    const reads = made.filter((r) => r.path === '/v1/objects/vuln')
    expect(reads.length).toBeGreaterThan(0)
    expect(reads.every((r) => tokenOf(r) === API_TOKEN)).toBe(true)
    const others = made.filter((r) => r.path !== '/v1/objects/vuln')
    expect(others.length).toBeGreaterThan(0)
    expect(others.every((r) => tokenOf(r) === NO_DETAILS_TOKEN)).toBe(true)
  })
})
