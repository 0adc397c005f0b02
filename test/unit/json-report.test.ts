import { describe, expect, it } from 'vitest'
import { buildJsonReport, type JsonReportOptions } from '../../src/report/json-report.js'
import { fingerprint } from '../../src/report/sarif.js'
import type { RunReport } from '../../src/report/model.js'
import type { TestRun } from '../../src/wallarm/types.js'
import { runReport, testRun } from '../support/fixtures.js'
import { computeCoverage, createMatcher, loadApiDescription, parseCoverage } from '../../src/openapi/index.js'
import { FIXTURES } from '../openapi/helpers.js'

const TOKEN = 'tok_9f8e7d6c5b4a39281706abcdef0123456789'

function makeRun(over: Partial<TestRun> = {}): TestRun {
  return testRun({
    policy_id: 104,
    policy_name: 'Default Policy',
    vulns: [{ id: '7001', threat: 80, code: 'S0001', type: 'sqli' }],
    baseline_check_fail_count: 1,
    baseline_check_tech_fail_count: 1,
    ...over
  })
}

function makeReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    mode: 'stop',
    reason: 'Found 1 vulnerability.',
    run: makeRun(),
    findings: [
      { id: '7001', type: 'sqli', threat: 80, code: 'S0001', method: 'POST', path: '/login' },
      { id: '7002', type: 'info', threat: 10 }
    ],
    minThreat: 20,
    warnings: ['Something to know.'],
    context: { repository: 'octo/app', job: 'dast', runId: '42', sha: 'abc' },
    ...over
  })
}

const opts = (over: Partial<JsonReportOptions> = {}): JsonReportOptions => ({
  generatedAt: 'now',
  toolVersion: '1.2.3',
  legName: '',
  ...over
})

describe('buildJsonReport', () => {
  it('has the documented shape', () => {
    const json = buildJsonReport(
      makeReport(),
      opts({ generatedAt: '2026-01-02T03:04:05.000Z', legName: ' chrome ' })
    )
    expect(json).toEqual({
      schemaVersion: 4,
      generatedAt: '2026-01-02T03:04:05.000Z',
      tool: { name: 'wallarm-fast-action', version: '1.2.3' },
      leg: 'chrome',
      conclusion: 'failed',
      reason: 'Found 1 vulnerability.',
      failed: true,
      mode: 'stop',
      testRun: {
        id: '5080',
        recordId: '9058',
        name: 'ci-build-123',
        state: 'failed',
        url: 'https://us1.my.wallarm.com/testing/testruns/5080',
        policy: { id: 104, name: 'Default Policy' },
        startTime: '2019-04-18T07:20:38.000Z',
        endTime: '2019-04-18T07:25:09.000Z',
        baselines: {
          recorded: 3,
          checked: 3,
          failed: 1,
          technicalFailures: 1,
          passed: 1,
          running: 0,
          interrupted: 0,
          waiting: 0,
          skipped: 0
        },
        requestsSent: 70,
        domains: ['app.local']
      },
      minThreat: 20,
      counted: 1,
      statuses: { new: 2, expired: 0, known: 0, ignored: 0, triaged: 0, 'out-of-scope': 0 },
      findings: [
        {
          identity: fingerprint({ id: '', type: 'sqli', threat: 0, method: 'POST', path: '/login' }),
          status: 'new',
          id: '7001',
          type: 'sqli',
          threat: 80,
          severity: 'high',
          counted: true,
          wallarm: {},
          code: 'S0001',
          method: 'POST',
          path: '/login'
        },
        {
          identity: fingerprint({ id: '', type: 'info', threat: 0 }),
          status: 'new',
          id: '7002',
          type: 'info',
          threat: 10,
          severity: 'low',
          counted: false,
          wallarm: {}
        }
      ],
      findingsSource: 'details',
      triage: null,
      tests: null,
      coverage: null,
      warnings: ['Something to know.'],
      context: { repository: 'octo/app', job: 'dast', runId: '42', sha: 'abc' }
    })
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })

  it('counts the skipped baselines, which the API gives no counter of their own', () => {
    const run = testRun({
      baseline_count: 5,
      baseline_check_all_terminated_count: 1,
      baseline_check_passed_count: 1,
      baseline_check_fail_count: 0
    })
    const json = buildJsonReport(runReport({ run }), opts())
    expect(json.testRun.baselines).toMatchObject({ recorded: 5, checked: 1, skipped: 4 })
  })

  it('works with no run at all', () => {
    const json = buildJsonReport(
      makeReport({
        run: undefined,
        testRunId: undefined,
        testRecordId: '9058',
        conclusion: 'error',
        findings: []
      }),
      opts()
    )
    expect(json.testRun).toEqual({
      id: null,
      recordId: '9058',
      name: null,
      state: null,
      url: 'https://us1.my.wallarm.com/testing/testruns/5080',
      policy: null,
      startTime: null,
      endTime: null,
      baselines: null,
      requestsSent: null,
      domains: []
    })
    expect(json.counted).toBe(0)
  })

  it('the leg: the name input as given, else the test run’s name, else the job', () => {
    expect(buildJsonReport(makeReport(), opts({ legName: 'firefox' })).leg).toBe('firefox')
    expect(buildJsonReport(makeReport(), opts()).leg).toBe('ci-build-123')
    expect(buildJsonReport(makeReport({ run: undefined }), opts()).leg).toBe('dast')
  })

  it('one identity for one flaw whatever its id and Wallarm status; another for another place', () => {
    const json = buildJsonReport(
      makeReport({
        findings: [
          { id: '1', type: 'sqli', threat: 80, method: 'GET', path: '/a', parameter: 'q', status: 'active' },
          { id: '2', type: 'SQLI', threat: 70, method: 'get', path: '/a', parameter: 'q' },
          { id: '3', type: 'sqli', threat: 80, method: 'GET', path: '/a', parameter: 'r' }
        ]
      }),
      opts()
    )
    const [a, b, c] = json.findings
    expect(a!.identity).toMatch(/^[0-9a-f]{64}$/)
    expect(b!.identity).toBe(a!.identity)
    expect(c!.identity).not.toBe(a!.identity)
    expect(a!.wallarm).toEqual({ status: 'active' })
    expect(a).not.toHaveProperty('status', 'active')
  })

  it("carries what the leg learned from Wallarm, whatever the leg's own rules made of the finding", () => {
    const json = buildJsonReport(
      makeReport({
        findings: [
          {
            id: '9',
            type: 'sqli',
            threat: 80,
            path: '/a',
            status: 'active',
            learned: { regressionOf: '3' },
            decision: { status: 'ignored', counted: false, inBaseline: false }
          },
          { id: '8', type: 'xss', threat: 40, path: '/b', learned: { falsePositiveOf: '2' } }
        ]
      }),
      opts()
    )
    expect(json.findings.map((f) => f.wallarm)).toEqual([
      { status: 'active', regressionOf: '3' },
      { falsePositiveOf: '2' }
    ])
  })

  it('carries no token, and none of the extra fields of API objects or the context', () => {
    const run = makeRun({ token: TOKEN, node_token: TOKEN })
    const context = { repository: 'octo/app', token: TOKEN } as RunReport['context']
    const report = makeReport({ run, context })
    ;(report as unknown as Record<string, unknown>).token = TOKEN
    const text = JSON.stringify(buildJsonReport(report, opts()))
    expect(text).not.toContain(TOKEN)
    expect(text).not.toMatch(/token/i)
  })
})

describe('API coverage in the JSON report (schema version 4)', () => {
  const api = loadApiDescription({ file: 'petstore.json', workspace: FIXTURES })
  const coverage = computeCoverage({
    matcher: createMatcher(api.operations),
    spec: api.file,
    requests: [{ method: 'GET', path: '/v2/pets/7', count: 3, recorded: true }]
  })

  it('carries the run’s coverage as plain data that summarize reads back', () => {
    const json = buildJsonReport(makeReport({ coverage }), opts())
    expect(json.schemaVersion).toBe(4)
    const written = JSON.parse(JSON.stringify(json)) as Record<string, unknown>
    expect(written.coverage).toEqual(JSON.parse(JSON.stringify(coverage)))
    expect(parseCoverage(written.coverage, 'leg.json')).toEqual(coverage)
    // A copy: the report never shares the run's objects.
    expect(json.coverage).not.toBe(coverage)
  })

  it('null where the coverage is not known (no openapi, or a mode that cannot see the traffic)', () => {
    expect(buildJsonReport(makeReport(), opts()).coverage).toBeNull()
  })
})
