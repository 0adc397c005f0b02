import { XMLParser } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { buildAnnotations } from '../../src/report/annotations.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import { buildJunit } from '../../src/report/junit.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import { buildSarif } from '../../src/report/sarif.js'
import { renderSummary } from '../../src/report/summary.js'
import { EMPTY_BASELINE } from '../../src/triage/baseline.js'
import { decideStatuses } from '../../src/triage/decide.js'
import { parseExclude } from '../../src/triage/exclude.js'
import { parseIgnoreFile } from '../../src/triage/ignore.js'
import { decide } from '../../src/verdict/gate.js'

const NOW = Date.parse('2026-03-10T12:00:00Z')
const f = (id: string, path: string, extra: Partial<Finding> = {}): Finding => ({
  id,
  type: 'sqli',
  threat: 80,
  method: 'GET',
  domain: 'shop.test',
  path,
  parameter: 'q',
  ...extra
})
const entry = (path: string, extra = {}) => ({
  type: 'sqli',
  method: 'GET',
  domain: 'shop.test',
  path,
  parameter: 'q',
  first_seen: '2026-01-01',
  last_seen: '2026-01-01',
  ...extra
})

/** One finding of each status, as the action decides them. */
function decided(failOn: 'vulnerabilities' | 'new-vulnerabilities' = 'new-vulnerabilities') {
  return decideStatuses(
    [
      f('1', '/known'),
      f('2', '/ignored'),
      f('3', '/expired'),
      f('4', '/fp', { status: 'falsepositive' }),
      f('5', '/logout', { method: 'POST' }),
      f('6', '/new')
    ],
    {
      baseline: { version: 1, entries: [entry('/known'), entry('/gone')] },
      baselineFile: '.github/wallarm-fast-baseline.json',
      ignore: parseIgnoreFile(
        'ignore:\n  - path: /ignored\n    reason: accepted risk\n    ticket: SEC-12\n  - path: /expired\n    reason: was fine\n    expires: 2026-03-01\n',
        '.github/wallarm-fast-ignore.yml'
      ),
      ignoreFile: '.github/wallarm-fast-ignore.yml',
      exclude: parseExclude('POST ^/logout$'),
      failOn,
      vulnerabilitiesUrl: 'https://us1.my.wallarm.com/vulnerabilities/',
      nowMs: NOW
    }
  )
}

function report(failOn: 'vulnerabilities' | 'new-vulnerabilities' = 'new-vulnerabilities'): RunReport {
  const t = decided(failOn)
  const gate = decide({
    conclusion: 'failed',
    reason: 'x',
    failOn,
    minThreat: 1,
    findings: t.findings,
    mode: 'stop',
    techFailTolerance: 0
  })
  return {
    mode: 'stop',
    conclusion: gate.conclusion,
    reason: gate.reason,
    failed: gate.failed,
    testRunId: '5080',
    findings: t.findings,
    minThreat: 1,
    findingsSource: 'details',
    warnings: [],
    context: {},
    triage: {
      failOn,
      counts: t.counts,
      unobserved: t.unobserved,
      baselineFile: '.github/wallarm-fast-baseline.json',
      baselineMissing: false,
      ignoreFile: '.github/wallarm-fast-ignore.yml'
    }
  }
}

describe('the gate with fail-on new-vulnerabilities', () => {
  it('counts only new and expired findings', () => {
    const r = report()
    expect(r.failed).toBe(true)
    expect(r.reason).toBe('Testing found 2 new vulnerabilities at or above threat 1.')
    expect(report('vulnerabilities').reason).toBe('Testing found 3 vulnerabilities at or above threat 1.')
  })

  it('passes a run whose findings are all known, and says why; fail-on vulnerabilities still fails it', () => {
    const known = decideStatuses([f('1', '/known')], {
      baseline: { version: 1, entries: [entry('/known')] },
      baselineFile: 'b',
      ignore: [],
      ignoreFile: 'i',
      exclude: [],
      failOn: 'new-vulnerabilities',
      nowMs: NOW
    })
    const base = {
      conclusion: 'failed',
      reason: 'x',
      minThreat: 1,
      mode: 'stop',
      techFailTolerance: 0
    } as const
    const pass = decide({ ...base, failOn: 'new-vulnerabilities', findings: known.findings })
    expect(pass).toMatchObject({ conclusion: 'passed', failed: false })
    expect(pass.reason).toBe('Testing found 1 vulnerability, none that counts (1 known).')
    const strict = decideStatuses([f('1', '/known')], {
      baseline: { version: 1, entries: [entry('/known')] },
      baselineFile: 'b',
      ignore: [],
      ignoreFile: 'i',
      exclude: [],
      failOn: 'vulnerabilities',
      nowMs: NOW
    })
    expect(decide({ ...base, failOn: 'vulnerabilities', findings: strict.findings })).toMatchObject({
      failed: true
    })
  })

  it('an interrupted, timed-out or inconclusive run still fails', () => {
    for (const conclusion of ['interrupted', 'timeout', 'inconclusive', 'error'] as const) {
      const d = decide({
        conclusion,
        reason: 'x',
        failOn: 'new-vulnerabilities',
        minThreat: 1,
        findings: [],
        mode: 'stop',
        techFailTolerance: 0
      })
      expect(d.failed).toBe(true)
    }
  })
})

describe('every report shows each finding’s status', () => {
  it('SARIF: suppressions for what does not count, a baselineState for every result', () => {
    const results = buildSarif(report(), { toolVersion: '1.0.0' }).runs[0].results ?? []
    const by = Object.fromEntries(results.map((r) => [String(r.properties?.path), r]))
    expect(Object.keys(by).sort()).toEqual(['/expired', '/fp', '/ignored', '/known', '/logout', '/new'])
    expect(by['/new']).toMatchObject({ baselineState: 'new' })
    expect(by['/new']?.suppressions).toBeUndefined()
    expect(by['/expired']?.suppressions).toBeUndefined()
    expect(by['/known']).toMatchObject({
      baselineState: 'unchanged',
      suppressions: [{ kind: 'external', status: 'accepted', justification: 'known' }]
    })
    expect(by['/ignored']?.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'ignored: accepted risk: SEC-12' }
    ])
    expect(by['/fp']?.suppressions?.[0]?.justification).toBe('triaged: marked false positive in Wallarm')
    expect(by['/logout']?.suppressions?.[0]?.justification).toBe('out of scope: exclude: POST ^/logout$')
  })

  it('JUnit: failures for what counts, skipped cases with the reason for the rest', () => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      buildJunit(report())
    )
    const cases = xml.testsuites.testsuite.testcase as Array<{
      name: string
      failure?: unknown
      skipped?: { message: string }
    }>
    expect(cases.filter((c) => c.failure !== undefined).map((c) => c.name)).toEqual([
      'sqli GET /expired [q]',
      'sqli GET /new [q]'
    ])
    expect(cases.filter((c) => c.skipped !== undefined).map((c) => c.skipped?.message)).toEqual([
      'known',
      'ignored: accepted risk: SEC-12',
      'triaged: marked false positive in Wallarm',
      'out of scope: exclude: POST ^/logout$'
    ])
  })

  it('JSON report: the decision of every finding and the triage summary', () => {
    const json = buildJsonReport(report(), {
      generatedAt: '2026-03-10T12:00:00.000Z',
      toolVersion: 'test',
      legName: ''
    })
    expect(json.schemaVersion).toBe(4)
    // The contract's status is the decision's.
    expect(json.findings.map((x) => x.status)).toEqual(json.findings.map((x) => x.decision?.status))
    expect(json.statuses).toEqual(json.triage?.counts)
    expect(json.findings.map((x) => [x.path, x.decision?.status, x.counted])).toEqual([
      ['/known', 'known', false],
      ['/ignored', 'ignored', false],
      ['/expired', 'expired', true],
      ['/fp', 'triaged', false],
      ['/logout', 'out-of-scope', false],
      ['/new', 'new', true]
    ])
    expect(json.counted).toBe(2)
    expect(json.triage?.unobserved.map((e) => e.path)).toEqual(['/gone'])
    expect(json.triage?.counts).toEqual({
      new: 1,
      expired: 1,
      known: 1,
      ignored: 1,
      triaged: 1,
      'out-of-scope': 1
    })
  })

  it('annotations: only for the findings that count', () => {
    const { annotations } = buildAnnotations(report())
    expect(annotations.filter((a) => a.title.startsWith('Wallarm FAST: SQL')).map((a) => a.message)).toEqual([
      expect.stringContaining('shop.test/expired'),
      expect.stringContaining('shop.test/new')
    ])
  })

  it('summary: the counts under the verdict, a status per finding, expired and unobserved listed', () => {
    const md = renderSummary(report())
    const lines = md.split('\n')
    expect(lines[4]).toBe('**2 new** (1 expired) · 1 known · 1 ignored · 1 triaged · 1 out of scope')
    // What counts shows a status other than new; the set-aside list gives each one's reason.
    expect(md).toMatch(/^\| [^|]+ · expired \|/m)
    expect(md).toContain(
      '<summary>4 findings set aside: 1 known, 1 ignored, 1 triaged, 1 out of scope</summary>'
    )
    expect(md).toContain('ignored: accepted risk (SEC-12)')
    expect(md).toContain(
      'triaged (false positive: [vulnerability 4](https://us1.my.wallarm.com/vulnerabilities/))'
    )
    expect(md).toMatch(
      /\*\*Expired:\*\*\n\n- sqli `GET shop.test\/expired` parameter `q`: the entry in `.github\/wallarm-fast-ignore.yml` expired on 2026-03-01 \(was fine\)/
    )
    expect(md).toContain('1 baseline entry not observed in this run')
    expect(md).toContain('Not observed is not fixed')
    expect(
      renderSummary({
        ...report(),
        triage: undefined,
        findings: report().findings.map(({ decision: _, ...x }) => x)
      })
    ).not.toMatch(/ · (expired|known|ignored)/)
  })
})

describe('no rules applied', () => {
  it('reports as before', () => {
    const r: RunReport = { ...report(), triage: undefined, findings: [f('1', '/a')] }
    expect(buildSarif(r, { toolVersion: '1' }).runs[0].results?.[0]?.baselineState).toBeUndefined()
    expect(EMPTY_BASELINE.entries).toEqual([])
  })
})
