/**
 * Issue 23 in a matrix, in-process (src/main.ts through the runner port): each leg's report carries its
 * API coverage; summarize unions it (an operation is tested if any leg tested it), sets the operations
 * outputs and applies min-coverage to the union; a leg's finding whose identity used the spec's template
 * is read with the same `openapi`, and refused by name without it; reports of schema version 3 are read.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Conclusion } from '../../src/common/constants.js'
import { runMain } from '../../src/main.js'
import {
  computeCoverage,
  createMatcher,
  loadApiDescription,
  pathTemplateResolver,
  type Coverage
} from '../../src/openapi/index.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import type { Finding } from '../../src/report/model.js'
import { ReportedFailure } from '../../src/common/error-message.js'
import { FakeRunner } from '../support/fake-runner.js'
import { runReport, testRun } from '../support/fixtures.js'

const ok = "{ responses: { '200': { description: ok } } }"
const SPEC = [
  'openapi: 3.0.3',
  'info: { title: shop, version: "1" }',
  'servers: [{ url: /v1 }]',
  'paths:',
  '  /users/{userId}:',
  `    get: ${ok}`,
  '  /users:',
  `    post: ${ok}`,
  '  /orders:',
  `    get: ${ok}`,
  '  /health:',
  `    get: ${ok}`
].join('\n')

/** A workspace holding the spec; legs' reports go under reports/. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fast-sum-cov-'))
  mkdirSync(join(dir, 'api'), { recursive: true })
  writeFileSync(join(dir, 'api/openapi.yaml'), SPEC)
  return dir
}

const api = (ws: string) => loadApiDescription({ file: 'api/openapi.yaml', workspace: ws })

function coverageOf(ws: string, sent: Array<[string, string]>): Coverage {
  const spec = api(ws)
  return computeCoverage({
    matcher: createMatcher(spec.operations),
    spec: spec.file,
    requests: sent.map(([method, path]) => ({ method, path, count: 1, recorded: true }))
  })
}

const userSqli = (user: string, id: string): Finding => ({
  id,
  type: 'sqli',
  threat: 80,
  method: 'GET',
  domain: 'shop.test',
  path: `/v1/users/${user}`,
  parameter: 'q'
})

/** A leg's report as the leg writes it (`openapi` given to the leg: `resolve`), or as version 3 wrote it. */
function writeLeg(
  ws: string,
  leg: string,
  opts: {
    conclusion?: Conclusion
    coverage?: Coverage
    findings?: Finding[]
    withSpec?: boolean
    schema3?: boolean
  }
): void {
  const conclusion = opts.conclusion ?? 'passed'
  const report = runReport({
    mode: 'scan',
    conclusion,
    failed: conclusion !== 'passed',
    testRunId: `${leg.length}0${leg.charCodeAt(0)}`,
    run: testRun({ id: `${leg.length}0${leg.charCodeAt(0)}`, baseline_check_passed_count: 3 }),
    findings: opts.findings ?? [],
    coverage: opts.coverage
  })
  const resolve = opts.withSpec ? pathTemplateResolver(createMatcher(api(ws).operations)) : undefined
  const json: Record<string, unknown> = {
    ...buildJsonReport(report, { generatedAt: 'now', toolVersion: 'test', legName: leg, resolve })
  }
  if (opts.schema3) {
    json.schemaVersion = 3
    delete json.coverage
  }
  mkdirSync(join(ws, 'reports'), { recursive: true })
  writeFileSync(join(ws, 'reports', `${leg}.json`), JSON.stringify(json))
}

async function summarize(ws: string, inputs: Record<string, string> = {}): Promise<FakeRunner> {
  const runner = new FakeRunner({ mode: 'summarize', reports: 'reports/*.json', ...inputs })
  try {
    await runMain(
      runner,
      () => {
        throw new Error('summarize makes no API call')
      },
      {
        env: { GITHUB_WORKSPACE: ws, RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'fast-sum-tmp-')) },
        signal: new AbortController().signal
      }
    )
  } catch (err) {
    if (err instanceof ReportedFailure) runner.markFailed()
    else runner.setFailed(err instanceof Error ? err.message : String(err))
  }
  return runner
}

const reportOf = (r: FakeRunner) =>
  JSON.parse(readFileSync(r.outputs['report-path']!, 'utf8')) as {
    schemaVersion: number
    coverage: Coverage | null
    findings: Array<{ path: string; identity: string; pathTemplate?: string }>
    reason: string
  }

describe('summarize: the legs’ coverage as one', () => {
  it('unions the legs’ coverage: an operation is tested if any leg tested it', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { coverage: coverageOf(ws, [['GET', '/v1/users/7']]) })
    writeLeg(ws, 'firefox', { coverage: coverageOf(ws, [['POST', '/v1/users']]) })
    const r = await summarize(ws, { openapi: 'api/openapi.yaml' })
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.outputs.operations).toBe('4')
    expect(r.outputs['operations-tested']).toBe('2')
    const report = reportOf(r)
    expect(report.schemaVersion).toBe(4)
    expect(report.coverage?.tested).toBe(2)
    expect(report.coverage?.rows.filter((row) => row.status === 'tested').map((row) => row.template)).toEqual(
      expect.arrayContaining(['/users/{userId}', '/users'])
    )
  })

  it('min-coverage applies to the union: below it inconclusive, naming the ratio; at it passed', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { coverage: coverageOf(ws, [['GET', '/v1/users/7']]) })
    writeLeg(ws, 'firefox', { coverage: coverageOf(ws, [['POST', '/v1/users']]) })
    const below = await summarize(ws, { openapi: 'api/openapi.yaml', 'min-coverage': '75' })
    expect(below.outputs.conclusion).toBe('inconclusive')
    expect(below.failed).toBe(true)
    expect(reportOf(below).reason).toContain('2 of 4 operations tested (50%), below min-coverage 75%')
    expect(reportOf(below).reason).toMatch(/Never attacked: GET \/orders, GET \/health/)
    const at = await summarize(ws, { openapi: 'api/openapi.yaml', 'min-coverage': '50' })
    expect(at.outputs.conclusion).toBe('passed')
    expect(at.failed).toBe(false)
  })

  it('min-coverage with legs that carry no coverage: inconclusive, never passed, saying why', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { schema3: true })
    writeLeg(ws, 'firefox', {})
    const r = await summarize(ws, { openapi: 'api/openapi.yaml', 'min-coverage': '10' })
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.failed).toBe(true)
    const reason = reportOf(r).reason
    expect(reason).toContain('min-coverage 10%')
    expect(reason).toContain('no leg’s report carries API coverage')
    expect(r.outputs.operations).toBe('')
    // Without min-coverage the same legs pass: coverage is reported where known, and does not gate.
    const plain = await summarize(ws, { openapi: 'api/openapi.yaml' })
    expect(plain.outputs.conclusion).toBe('passed')
    expect(reportOf(plain).coverage).toBeNull()
  })

  it('a leg without coverage beside one with: the union of those that carry it, and a warning naming the leg', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', {
      coverage: coverageOf(ws, [
        ['GET', '/v1/users/7'],
        ['GET', '/v1/orders']
      ])
    })
    writeLeg(ws, 'firefox', { schema3: true })
    const r = await summarize(ws, { openapi: 'api/openapi.yaml', 'min-coverage': '50' })
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.outputs['operations-tested']).toBe('2')
    expect(r.logs.map((l) => l.message).join('\n')).toMatch(
      /firefox \(reports\/firefox\.json\) carries no API coverage/
    )
  })

  it('a malformed coverage field refuses the report by name and field, never a crash', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { coverage: coverageOf(ws, [['GET', '/v1/users/7']]) })
    const file = join(ws, 'reports', 'chrome.json')
    const json = JSON.parse(readFileSync(file, 'utf8')) as { coverage: { rows: unknown[] } }
    json.coverage.rows = [{ method: 7 }]
    writeFileSync(file, JSON.stringify(json))
    const r = await summarize(ws, { openapi: 'api/openapi.yaml' })
    expect(r.outputs.conclusion).toBe('error')
    expect(reportOf(r).reason).toContain('reports/chrome.json: coverage field "rows[0].method"')
  })
})

describe('summarize: identities made with the spec’s template', () => {
  it('with the same openapi: the legs’ findings of one operation are one finding', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { conclusion: 'failed', findings: [userSqli('alice', '11')], withSpec: true })
    writeLeg(ws, 'firefox', { conclusion: 'failed', findings: [userSqli('bob', '12')], withSpec: true })
    const r = await summarize(ws, { openapi: 'api/openapi.yaml' })
    expect(r.outputs.conclusion).toBe('failed')
    expect(r.outputs.vulnerabilities).toBe('1')
    const [finding] = reportOf(r).findings
    expect(finding?.pathTemplate).toBe('/v1/users/{userId}')
  })

  it('a leg of schema version 3 (the id rule’s identity) is read, and joins the spec’s identity', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { conclusion: 'failed', findings: [userSqli('alice', '11')], schema3: true })
    writeLeg(ws, 'firefox', { conclusion: 'failed', findings: [userSqli('bob', '12')], withSpec: true })
    const r = await summarize(ws, { openapi: 'api/openapi.yaml' })
    expect(r.outputs.conclusion).toBe('failed')
    expect(r.outputs.vulnerabilities).toBe('1')
  })

  it('without openapi: an identity the id rule gives too is read; one only the spec gives is refused, saying what to set', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { conclusion: 'failed', findings: [userSqli('42', '11')], withSpec: true })
    const ids = await summarize(ws)
    expect(ids.outputs.conclusion).toBe('failed')
    writeLeg(ws, 'firefox', { conclusion: 'failed', findings: [userSqli('bob', '12')], withSpec: true })
    const r = await summarize(ws)
    expect(r.outputs.conclusion).toBe('error')
    const reason = reportOf(r).reason
    expect(reason).toContain('reports/firefox.json: finding 1')
    expect(reason).toContain('/v1/users/{userId}')
    expect(reason).toContain('give this step the openapi input the legs had')
  })

  it('a baseline entry written by a leg with the spec’s template covers the matrix’s finding', async () => {
    const ws = workspace()
    writeLeg(ws, 'chrome', { conclusion: 'failed', findings: [userSqli('bob', '12')], withSpec: true })
    mkdirSync(join(ws, '.github'), { recursive: true })
    writeFileSync(
      join(ws, '.github/wallarm-fast-baseline.json'),
      JSON.stringify({
        version: 1,
        entries: [
          {
            type: 'sqli',
            method: 'GET',
            domain: 'shop.test',
            path: '/v1/users/{userId}',
            parameter: 'q',
            first_seen: '2026-01-01',
            last_seen: '2026-01-01'
          }
        ]
      })
    )
    const r = await summarize(ws, { openapi: 'api/openapi.yaml', 'fail-on': 'new-vulnerabilities' })
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.outputs['new-vulnerabilities']).toBe('0')
  })
})
