import { describe, expect, it } from 'vitest'
import type { Finding, RunReport } from '../../src/report/model.js'
import {
  buildSarif,
  FINGERPRINT_KEY,
  SARIF_SCHEMA,
  sarifLevel,
  workflowPathFromRef,
  type SarifLog
} from '../../src/report/sarif.js'
import { GENERIC_REMEDY, VULN_TYPES, type Remedy } from '../../src/report/findings.js'
import { runReport, testRun } from '../support/fixtures.js'
import { sarifValidator } from '../support/sarif-schema.js'

const validate = sarifValidator()

const makeRun = testRun

const FINDINGS: Finding[] = [
  {
    id: '7001',
    type: 'sqli',
    threat: 95,
    code: 'S0001',
    method: 'POST',
    domain: 'app.local',
    path: '/login',
    parameter: 'password',
    title: 'SQL injection in login'
  },
  {
    id: '7002',
    type: 'sqli',
    threat: 60,
    method: 'GET',
    domain: 'app.local',
    path: '/search',
    parameter: 'q'
  },
  {
    id: '7003',
    type: 'xss',
    threat: 45,
    method: 'GET',
    domain: 'app.local',
    path: '/echo',
    parameter: 'msg'
  },
  { id: '7004', type: 'strange type!', threat: 20, code: 'X1' },
  { id: '7005', type: 'info', threat: 5, code: 'I1' }
]

function makeReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    run: makeRun(),
    findings: FINDINGS,
    context: {
      repository: 'octo/app',
      workflow: 'CI',
      workflowRef: 'octo/app/.github/workflows/ci.yml@refs/heads/main',
      job: 'dast'
    },
    ...over
  })
}

/**
 * SARIF's types make nearly everything optional; buildSarif always writes what these tests read (the
 * schema check and the assertions would fail otherwise), so they read it as present.
 */
type Written<T> = T extends (infer U)[]
  ? Written<U>[]
  : T extends object
    ? { [K in keyof T]-?: Written<NonNullable<T[K]>> }
    : T

function onlyRun(log: SarifLog): Written<SarifLog['runs'][0]> {
  expect(log.runs).toHaveLength(1)
  return log.runs[0] as Written<SarifLog['runs'][0]>
}

describe('buildSarif', () => {
  it('is valid SARIF 2.1.0 by the official schema', () => {
    const log = buildSarif(makeReport(), { toolVersion: '1.2.3', workflowPath: '.github/workflows/ci.yml' })
    expect(validate(JSON.parse(JSON.stringify(log)))).toEqual([])
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json')
    expect(log.version).toBe('2.1.0')
    const driver = onlyRun(log).tool.driver
    expect(driver).toMatchObject({ name: 'Wallarm FAST', version: '1.2.3', semanticVersion: '1.2.3' })
    expect(driver.informationUri).toMatch(/^https:\/\//)
  })

  it('stays valid with no findings, no run, no context, and a summary-only source', () => {
    const cases: RunReport[] = [
      makeReport({ findings: [], conclusion: 'passed', failed: false }),
      makeReport({ run: undefined, context: {}, runUrl: undefined }),
      makeReport({ findingsSource: 'summary', findings: [{ id: '1', type: 'xss', threat: 50, code: 'S1' }] })
    ]
    for (const report of cases) {
      const log = buildSarif(report, { toolVersion: 'dev' })
      expect(validate(JSON.parse(JSON.stringify(log)))).toEqual([])
    }
    const noVersion = onlyRun(buildSarif(makeReport(), { toolVersion: 'dev' })).tool.driver
    expect(noVersion.semanticVersion).toBeUndefined()
  })

  it('rejects what the schema rejects (the validator is live)', () => {
    const log = buildSarif(makeReport(), { toolVersion: '1.0.0' }) as unknown as {
      runs: Array<{ results: Array<{ level: string }> }>
    }
    const result = log.runs[0]?.results[0]
    if (result) result.level = 'fatal'
    expect(validate(log).length).toBeGreaterThan(0)
  })

  it('gives every result a location code scanning accepts', () => {
    for (const opts of [{ workflowPath: '.github/workflows/ci.yml' }, {}]) {
      for (const context of [makeReport().context, {}]) {
        const run = onlyRun(buildSarif(makeReport({ context }), { toolVersion: '1.0.0', ...opts }))
        expect(run.results.length).toBeGreaterThan(0)
        for (const r of run.results) {
          expect(r.locations).toHaveLength(1)
          const loc = r.locations[0]?.physicalLocation
          expect(loc?.artifactLocation.uri).toMatch(/^[^/].+/)
          expect(loc?.region.startLine).toBe(1)
        }
      }
    }
    const fromRef = onlyRun(buildSarif(makeReport(), { toolVersion: '1' })).results[0]
    expect(fromRef?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('.github/workflows/ci.yml')
    const fallback = onlyRun(buildSarif(makeReport({ context: {} }), { toolVersion: '1' })).results[0]
    expect(fallback?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('README.md')
  })

  it('has one rule per type, with CWE tags, help and the highest security-severity of the type', () => {
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    const ids = run.tool.driver.rules.map((r) => r.id)
    expect(ids).toEqual([
      'wallarm-fast/sqli',
      'wallarm-fast/xss',
      'wallarm-fast/strange-type',
      'wallarm-fast/info'
    ])
    const sqli = run.tool.driver.rules[0]
    expect(sqli?.properties.tags).toEqual(['security', 'dast', 'external/cwe/cwe-89'])
    expect(sqli?.properties['security-severity']).toBe('9.5')
    expect(sqli?.defaultConfiguration.level).toBe('error')
    expect(sqli?.shortDescription.text).toBe('SQL injection')
    expect(sqli?.helpUri).toMatch(/^https:\/\//)
    expect(run.tool.driver.rules[1]?.properties.tags).toContain('external/cwe/cwe-79')
    expect(run.tool.driver.rules[2]?.properties.tags).toEqual(['security', 'dast'])
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId)
  })

  it('has security-severity strings that parse as numbers 0..10', () => {
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    const values = [
      ...run.tool.driver.rules.map((r): unknown => r.properties['security-severity']),
      ...run.results.map((r): unknown => r.properties['security-severity'])
    ]
    expect(values.length).toBeGreaterThan(0)
    for (const v of values) {
      expect(typeof v).toBe('string')
      const n = Number(v)
      expect(Number.isFinite(n)).toBe(true)
      expect(n).toBeGreaterThanOrEqual(0)
      expect(n).toBeLessThanOrEqual(10)
    }
  })

  it('maps threat to level', () => {
    expect([95, 70, 69, 40, 39, 1].map(sarifLevel)).toEqual([
      'error',
      'error',
      'warning',
      'warning',
      'note',
      'note'
    ])
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    expect(run.results.map((r) => r.level)).toEqual(['error', 'warning', 'warning', 'note', 'note'])
  })

  it('says what, how bad and where in the message', () => {
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    const text = run.results[0]?.message.text ?? ''
    expect(text).toContain('SQL injection')
    expect(text).toContain('threat 95/100')
    expect(text).toContain('POST /login')
    expect(text).toContain('parameter password')
    expect(text).toContain('app.local')
    expect(run.results[0]?.properties).toMatchObject({
      threat: 95,
      vulnerabilityId: '7001',
      testRunId: '5080',
      code: 'S0001'
    })
    expect(run.results[0]?.webRequest).toEqual({ method: 'POST', target: 'app.local/login' })
  })

  it('names the endpoint as GET /path and the parameter in every located result', () => {
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    const byId = new Map(run.results.map((r) => [r.properties.vulnerabilityId as string, r.message.text]))
    expect(byId.get('7002')).toMatch(/^SQL injection \(sqli\) in GET \/search, parameter q, on app\.local: /)
    expect(byId.get('7003')).toContain('GET /echo, parameter msg')
    // Known only from the run's summary: the type, threat and code, and no empty "in".
    expect(byId.get('7004')).toBe('strange type! (threat 20/100, low; Wallarm vulnerability 7004, X1).')
  })

  it('carries how to fix each type in the rule: help text and Markdown, helpUri at the remedy', () => {
    const run = onlyRun(buildSarif(makeReport(), { toolVersion: '1.0.0' }))
    const rule = (id: string) => run.tool.driver.rules.find((r) => r.id === id)!
    const cases: Array<[string, Remedy]> = [
      ['wallarm-fast/sqli', VULN_TYPES.sqli!.remedy],
      ['wallarm-fast/xss', VULN_TYPES.xss!.remedy],
      ['wallarm-fast/info', VULN_TYPES.info!.remedy],
      ['wallarm-fast/strange-type', GENERIC_REMEDY]
    ]
    for (const [id, remedy] of cases) {
      const r = rule(id)
      expect(r.helpUri, id).toBe(remedy.url)
      expect(r.help.text, id).toContain(`How to fix: ${remedy.text}`)
      expect(r.help.text, id).toContain(remedy.url)
      expect(r.help.markdown, id).toContain(`**How to fix:** ${remedy.text}`)
      expect(r.help.markdown, id).toContain(`[${remedy.source}](${remedy.url})`)
    }
    expect(rule('wallarm-fast/sqli').help.markdown).toContain('CWE-89')
    expect(
      validate(JSON.parse(JSON.stringify({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] })))
    ).toEqual([])
  })

  it('includes only the findings at or above min-threat', () => {
    const run = onlyRun(buildSarif(makeReport({ minThreat: 45 }), { toolVersion: '1.0.0' }))
    expect(run.results.map((r): unknown => r.properties.vulnerabilityId)).toEqual(['7001', '7002', '7003'])
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['wallarm-fast/sqli', 'wallarm-fast/xss'])
  })

  it('fingerprints an issue the same in two runs, and different issues differently', () => {
    const first = makeReport()
    const second = makeReport({
      testRunId: '6001',
      run: makeRun({ id: '6001', name: 'another run' }),
      findings: FINDINGS.map((f) => ({ ...f, id: f.id + 1000, title: 'changed', threat: f.threat }))
    })
    const a = onlyRun(buildSarif(first, { toolVersion: '1.0.0' })).results
    const b = onlyRun(buildSarif(second, { toolVersion: '1.0.0' })).results
    expect(a.map((r) => r.partialFingerprints[FINGERPRINT_KEY])).toEqual(
      b.map((r) => r.partialFingerprints[FINGERPRINT_KEY])
    )
    const prints = a.map((r) => r.partialFingerprints[FINGERPRINT_KEY])
    expect(new Set(prints).size).toBe(prints.length)
    for (const p of prints) expect(p).toMatch(/^[0-9a-f]{64}$/)

    const base = FINDINGS[0] as Finding
    const otherPath = onlyRun(
      buildSarif(makeReport({ findings: [{ ...base, path: '/login2' }] }), { toolVersion: '1' })
    ).results[0]
    expect(otherPath?.partialFingerprints[FINGERPRINT_KEY]).not.toBe(
      a[0]?.partialFingerprints[FINGERPRINT_KEY]
    )
    const otherParam = onlyRun(
      buildSarif(makeReport({ findings: [{ ...base, parameter: 'user' }] }), { toolVersion: '1' })
    ).results[0]
    expect(otherParam?.partialFingerprints[FINGERPRINT_KEY]).not.toBe(
      a[0]?.partialFingerprints[FINGERPRINT_KEY]
    )
  })

  it('gives code scanning one alert per endpoint: primaryLocationLineHash from the identity, not from line 1', () => {
    const base = FINDINGS[0] as Finding
    // One rule, three endpoints, all placed on line 1 of the same workflow file.
    const findings = [base, { ...base, id: '1', path: '/admin' }, { ...base, id: '2', parameter: 'user' }]
    const results = onlyRun(buildSarif(makeReport({ findings }), { toolVersion: '1' })).results
    // Code scanning's alert identity: file, rule, primaryLocationLineHash (shared/reference/code-scanning.md).
    const identity = (r: (typeof results)[number]): string =>
      [
        r.locations?.[0]?.physicalLocation?.artifactLocation?.uri,
        r.ruleId,
        r.partialFingerprints.primaryLocationLineHash
      ].join(' ')
    for (const r of results) expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/)
    expect(new Set(results.map((r) => r.ruleId)).size).toBe(1)
    expect(new Set(results.map(identity)).size).toBe(3)
    // The same finding in another run, from another workflow file and vulnerability id, keeps its hash.
    const later = onlyRun(
      buildSarif(makeReport({ testRunId: '6001', findings: [{ ...base, id: '999', title: 'other' }] }), {
        toolVersion: '2',
        workflowPath: '.github/workflows/renamed.yml'
      })
    ).results[0]
    expect(later?.partialFingerprints.primaryLocationLineHash).toBe(
      results[0]?.partialFingerprints.primaryLocationLineHash
    )
    expect(later?.partialFingerprints[FINGERPRINT_KEY]).toBe(results[0]?.partialFingerprints[FINGERPRINT_KEY])
  })

  it('sets a category per workflow and job that does not change from run to run', () => {
    const a = onlyRun(buildSarif(makeReport(), { toolVersion: '1' })).automationDetails.id
    const b = onlyRun(
      buildSarif(makeReport({ run: makeRun({ id: '9', name: 'octo/app CI #43 dast' }) }), {
        toolVersion: '1'
      })
    ).automationDetails.id
    expect(a).toBe('wallarm-fast/ci/dast/')
    expect(b).toBe(a)
    const other = onlyRun(
      buildSarif(makeReport({ context: { ...makeReport().context, job: 'dast-eu' } }), { toolVersion: '1' })
    ).automationDetails.id
    expect(other).not.toBe(a)
    expect(
      onlyRun(buildSarif(makeReport(), { toolVersion: '1', category: 'fast/linux' })).automationDetails.id
    ).toBe('fast/linux/')
    expect(onlyRun(buildSarif(makeReport({ context: {} }), { toolVersion: '1' })).automationDetails.id).toBe(
      'wallarm-fast/'
    )
  })

  it('says in the invocation whether the run reached a verdict', () => {
    expect(onlyRun(buildSarif(makeReport(), { toolVersion: '1' })).invocations[0]).toMatchObject({
      executionSuccessful: true,
      startTimeUtc: '2019-04-18T07:20:38.000Z'
    })
    expect(
      onlyRun(buildSarif(makeReport({ conclusion: 'timeout' }), { toolVersion: '1' })).invocations[0]
    ).toMatchObject({ executionSuccessful: false })
  })
})

describe('workflowPathFromRef', () => {
  it('takes the path out of GITHUB_WORKFLOW_REF', () => {
    expect(workflowPathFromRef('octo/app/.github/workflows/ci.yml@refs/heads/main')).toBe(
      '.github/workflows/ci.yml'
    )
    expect(workflowPathFromRef('octo/app/.github/workflows/a@b.yml@refs/pull/1/merge')).toBe(
      '.github/workflows/a@b.yml'
    )
    expect(workflowPathFromRef('octo/app/.github/workflows/ci.yml@refs/heads/x@y')).toBe(
      '.github/workflows/ci.yml'
    )
    expect(workflowPathFromRef(undefined)).toBeUndefined()
    expect(workflowPathFromRef('nonsense')).toBeUndefined()
  })
})
