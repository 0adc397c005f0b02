/**
 * summarize mode's parts: the reports glob, reading a leg's report (and refusing what is not one, by
 * name), the merge (one finding per identity naming its legs; one conclusion; expected legs).
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Conclusion } from '../../src/common/constants.js'
import { readSettings } from '../../src/inputs/settings.js'
import { runSummarize } from '../../src/modes/summarize.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import type { Finding, ScanOutcome, WorkflowContext } from '../../src/report/model.js'
import { findFiles, rootedPatterns } from '../../src/summarize/glob.js'
import { renderLegs } from '../../src/report/legs.js'
import { mergeLegs, type ExpectedLegs } from '../../src/summarize/merge.js'
import { RefusedReport, readLegReport, type LegReport } from '../../src/summarize/read.js'
import { runReport, testRun } from '../support/fixtures.js'

const SQLI: Finding = {
  id: '1',
  type: 'sqli',
  threat: 80,
  method: 'GET',
  domain: 'shop.test',
  path: '/search',
  parameter: 'q'
}
const XSS: Finding = {
  id: '2',
  type: 'xss',
  threat: 40,
  method: 'GET',
  domain: 'shop.test',
  path: '/greet',
  parameter: 'name'
}
const INFO: Finding = {
  id: '3',
  type: 'info',
  threat: 5,
  method: 'GET',
  domain: 'shop.test',
  path: '/',
  parameter: 'x'
}

function reportJson(
  leg: string,
  conclusion: Conclusion,
  findings: Finding[],
  runId: string,
  context: WorkflowContext = {}
): string {
  const report = runReport({
    context,
    conclusion,
    failed: conclusion !== 'passed' && conclusion !== 'skipped',
    testRunId: runId,
    run: testRun({ id: runId, name: `run ${leg}`, policy_name: `policy ${leg}`, baseline_count: 3 }),
    findings
  })
  return JSON.stringify(buildJsonReport(report, { generatedAt: 'now', toolVersion: 'test', legName: leg }))
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fast-summarize-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

const legsOf = (dir: string, paths: string[]): LegReport[] =>
  paths.map((p) => readLegReport(join(dir, p), dir))

const merge = (legs: LegReport[], expected?: ExpectedLegs, minThreat = 1, techFailTolerance = 0) =>
  mergeLegs(legs, { minThreat, techFailTolerance, expected, applyRules: (f) => f })

describe('the reports patterns (@actions/glob, as upload-artifact takes its path)', () => {
  const layout = () =>
    workspace({
      'wallarm-fast-reports/leg-1/wallarm-fast-1.json': '{}',
      'wallarm-fast-reports/leg-1/x/wallarm-fast-9.json': '{}',
      'wallarm-fast-reports/leg-10/wallarm-fast-10.json': '{}',
      'wallarm-fast-reports/leg-2/wallarm-fast-2.sarif': '{}',
      'wallarm-fast-reports/a.b.json': '{}',
      'other/a.json': '{}'
    })
  const found = async (patterns: string, dir: string) =>
    (await findFiles(patterns, dir)).files.map((f) => relative(dir, f))

  it.each([
    [
      'wallarm-fast-reports/**/*.json',
      ['a.b.json', 'leg-1/wallarm-fast-1.json', 'leg-1/x/wallarm-fast-9.json', 'leg-10/wallarm-fast-10.json']
    ],
    ['wallarm-fast-reports/*/*.json', ['leg-1/wallarm-fast-1.json', 'leg-10/wallarm-fast-10.json']],
    ['wallarm-fast-reports/leg-?/*.json', ['leg-1/wallarm-fast-1.json']],
    ['wallarm-fast-reports/leg-[12]*/*.json', ['leg-1/wallarm-fast-1.json', 'leg-10/wallarm-fast-10.json']],
    ['wallarm-fast-reports/a.b.json', ['a.b.json']],
    // A folder stands for every file under it, as in upload-artifact.
    ['wallarm-fast-reports/leg-1', ['leg-1/wallarm-fast-1.json', 'leg-1/x/wallarm-fast-9.json']],
    [
      'wallarm-fast-reports/**/*.json\n!wallarm-fast-reports/leg-1/**',
      ['a.b.json', 'leg-10/wallarm-fast-10.json']
    ],
    ['# the legs\n./wallarm-fast-reports/leg-10/*.json\r\n\n', ['leg-10/wallarm-fast-10.json']]
  ])('%j finds %j', async (patterns, files) => {
    const dir = layout()
    expect(await found(patterns, dir)).toEqual(files.map((f) => `wallarm-fast-reports/${f}`))
  })

  it('finds absolute patterns, nothing for a missing folder, stops at the limit, and follows no directory link', async () => {
    const dir = layout()
    symlinkSync(join(dir, 'wallarm-fast-reports'), join(dir, 'wallarm-fast-reports', 'loop'))
    expect(await found('wallarm-fast-reports/**/*.json', dir)).toHaveLength(4)
    expect(await found(`${dir}/other/*.json`, '/')).toEqual([join(dir, 'other/a.json').slice(1)])
    expect(await found('missing/**/*.json', dir)).toEqual([])
    const limited = await findFiles('wallarm-fast-reports/**/*.json', dir, 1)
    expect(limited.truncated).toBe(true)
    expect(limited.files).toHaveLength(1)
  })

  it('roots relative patterns at a workspace whose name holds glob characters, taken literally', async () => {
    const dir = join(workspace({}), 'ws [1]*?')
    mkdirSync(join(dir, 'r'), { recursive: true })
    writeFileSync(join(dir, 'r', 'a.json'), '{}')
    expect(await found('r/*.json', dir)).toEqual(['r/a.json'])
    expect(rootedPatterns('a/*.json\n!a/b.json\n/abs/*.json', '/w')).toBe(
      '/w/a/*.json\n!/w/a/b.json\n/abs/*.json'
    )
  })
})

describe('reading a leg’s report', () => {
  it('keeps the leg, its conclusion, ids, policy, baselines and findings with identity and Wallarm status', () => {
    const dir = workspace({
      'r/a.json': reportJson('chrome', 'failed', [{ ...SQLI, status: 'active' }], '11')
    })
    const leg = readLegReport(join(dir, 'r/a.json'), dir)
    expect(leg).toMatchObject({
      file: 'r/a.json',
      leg: 'chrome',
      conclusion: 'failed',
      testRunId: '11',
      testRecordId: '9058',
      policy: { name: 'policy chrome' },
      baselines: 3,
      toolVersion: 'test'
    })
    expect(leg.findings).toEqual([
      expect.objectContaining({ type: 'sqli', path: '/search', status: 'active', legStatus: 'new' })
    ])
    expect(leg.findings[0]!.identity).toMatch(/^[0-9a-f]{64}$/)
  })

  it.each([
    ['not JSON', 'hello', /^r\/x\.json: is not JSON/],
    [
      'another JSON document',
      '{"name":"package","version":"1.0.0"}',
      /^r\/x\.json: is not a Wallarm FAST report/
    ],
    [
      'an older schema',
      JSON.stringify({ schemaVersion: 1, testRun: {}, findings: [], conclusion: 'passed' }),
      /^r\/x\.json: has schema version 1, and this version of the action reads versions 3 and 4 only/
    ],
    [
      // Version 2 carried neither what the leg learned from Wallarm nor identities summarize could trust.
      'schema version 2, naming its writer',
      JSON.stringify({ schemaVersion: 2, tool: { version: '0.1.0' }, testRun: {}, findings: [] }),
      /^r\/x\.json: has schema version 2 \(written by version 0\.1\.0\), and this version of the action reads versions 3 and 4 only: use the same version/
    ],
    [
      'a newer schema, naming its writer',
      JSON.stringify({ schemaVersion: 5, tool: { version: '9.0.0' }, testRun: {}, findings: [] }),
      /has schema version 5 \(written by version 9\.0\.0\)/
    ],
    [
      "a finding carrying another finding's identity",
      JSON.stringify({
        ...JSON.parse(reportJson('a', 'failed', [SQLI], '1')),
        findings: [
          {
            ...JSON.parse(reportJson('a', 'failed', [SQLI], '1')).findings[0],
            identity: JSON.parse(reportJson('a', 'failed', [XSS], '1')).findings[0].identity
          }
        ]
      }),
      /^r\/x\.json: finding 1 \(sqli GET shop\.test\/search \(q\)\) has the identity [0-9a-f]{12}…, but its fields make [0-9a-f]{12}…/
    ],
    [
      'a learned vulnerability id that is not one',
      JSON.stringify({
        ...JSON.parse(reportJson('a', 'failed', [SQLI], '1')),
        findings: [
          {
            ...JSON.parse(reportJson('a', 'failed', [SQLI], '1')).findings[0],
            wallarm: { regressionOf: '::error::x' }
          }
        ]
      }),
      /finding 1 has a wallarm\.regressionOf that is not a vulnerability id/
    ],
    [
      'a finding with no identity',
      JSON.stringify({
        ...JSON.parse(reportJson('a', 'failed', [SQLI], '1')),
        findings: [{ type: 'sqli', threat: 1 }]
      }),
      /finding 1 has no identity/
    ],
    [
      'a bad conclusion',
      JSON.stringify({ ...JSON.parse(reportJson('a', 'failed', [], '1')), conclusion: 'great' }),
      /has the conclusion "great"/
    ]
  ])('refuses %s, naming the file', (_what, text, message) => {
    const dir = workspace({ 'r/x.json': text })
    let error: unknown
    try {
      readLegReport(join(dir, 'r/x.json'), dir)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(RefusedReport)
    expect((error as RefusedReport).file).toBe('r/x.json')
    expect((error as Error).message).toMatch(message)
  })
})

describe('the merge', () => {
  const dir = workspace({
    'r/chrome.json': reportJson('chrome', 'failed', [SQLI, XSS], '11'),
    'r/firefox.json': reportJson('firefox', 'failed', [{ ...SQLI, id: '9', threat: 90 }, INFO], '12'),
    'r/safari.json': reportJson('safari', 'passed', [], '13'),
    'r/slow.json': reportJson('slow', 'timeout', [], '14'),
    'r/again.json': reportJson('chrome', 'failed', [SQLI, XSS], '11')
  })

  it('one finding per identity, the highest threat, naming every leg that found it; failed', () => {
    const m = merge(legsOf(dir, ['r/chrome.json', 'r/firefox.json', 'r/safari.json']))
    expect(m.findings.map((f) => [f.type, f.threat, f.legs])).toEqual([
      ['sqli', 90, ['chrome', 'firefox']],
      ['xss', 40, ['chrome']],
      ['info', 5, ['firefox']]
    ])
    expect(m.conclusion).toBe('failed')
    expect(m.reason).toBe('The legs found 3 vulnerabilities at or above threat 1 (chrome, firefox).')
  })

  it('never merges two findings with no location (known only from the summary), in one leg or across legs', () => {
    const blind = (id: string): Finding => ({ id, type: 'sqli', threat: 80, code: 'S1' })
    const ws = workspace({
      'r/a.json': reportJson('a', 'failed', [blind('1'), blind('2')], '21'),
      'r/b.json': reportJson('b', 'failed', [blind('3'), SQLI], '22')
    })
    const m = merge(legsOf(ws, ['r/a.json', 'r/b.json']))
    expect(m.findings.map((f) => [f.id, f.path, f.legs])).toEqual([
      ['1', '/search', ['b']],
      ['1', undefined, ['a']],
      ['2', undefined, ['a']],
      ['3', undefined, ['b']]
    ])
    expect(m.reason).toBe('The legs found 4 vulnerabilities at or above threat 1 (a, b).')
  })

  it("hands the rules what each leg learned from Wallarm, by the finding's identity; nothing for an unlocated one", () => {
    const ws = workspace({
      'r/a.json': reportJson(
        'a',
        'failed',
        [
          { ...SQLI, status: 'active', learned: { regressionOf: '5' } },
          { ...XSS, learned: { falsePositiveOf: '2' } },
          {
            id: '4',
            type: 'sqli',
            threat: 80,
            code: 'S1',
            status: 'falsepositive',
            learned: { falsePositiveOf: '4' }
          }
        ],
        '21'
      )
    })
    let given: readonly Finding[] = []
    const m = mergeLegs(legsOf(ws, ['r/a.json']), {
      minThreat: 1,
      techFailTolerance: 0,
      expected: undefined,
      applyRules: (f, wallarm) => {
        given = wallarm
        return f
      }
    })
    expect(given).toEqual([
      {
        type: 'sqli',
        method: 'GET',
        domain: 'shop.test',
        path: '/search',
        parameter: 'q',
        id: '5',
        threat: 80,
        status: 'closed'
      },
      {
        type: 'xss',
        method: 'GET',
        domain: 'shop.test',
        path: '/greet',
        parameter: 'name',
        id: '2',
        threat: 40,
        status: 'falsepositive'
      }
    ])
    // Wallarm's own status of each finding travels with it.
    expect(m.findings.map((f) => f.status)).toEqual(['active', 'falsepositive', undefined])
  })

  it('legs that failed only on findings below this min-threat pass; the worst other conclusion wins', () => {
    const low = merge(legsOf(dir, ['r/firefox.json', 'r/safari.json']), undefined, 95)
    expect(low).toMatchObject({
      conclusion: 'passed',
      reason: 'All 2 legs passed: no vulnerability at or above threat 95.'
    })
    const slow = merge(legsOf(dir, ['r/safari.json', 'r/slow.json']))
    expect(slow).toMatchObject({ conclusion: 'timeout', reason: 'Not a pass: slow ended timeout.' })
  })

  it('expected legs by count: the shortfall makes a pass inconclusive', () => {
    const m = merge(legsOf(dir, ['r/safari.json']), { count: 3 })
    expect(m.conclusion).toBe('inconclusive')
    expect(m.missingCount).toBe(2)
    expect(m.reason).toBe('Not a pass: 2 expected legs of 3 did not report (reported: safari).')
  })

  it('expected legs by name: the missing one is named, and a failure stays a failure', () => {
    const passed = merge(legsOf(dir, ['r/safari.json']), { names: ['safari', 'edge'] })
    expect(passed).toMatchObject({ conclusion: 'inconclusive', missing: ['edge'] })
    expect(passed.reason).toContain('1 expected leg of 2 did not report: edge (reported: safari)')
    const failed = merge(legsOf(dir, ['r/chrome.json']), { names: ['chrome', 'edge'] })
    expect(failed.conclusion).toBe('failed')
    expect(failed.reason).toContain('did not report: edge')
  })

  it('two reports of one run that disagree are both counted: the worse one is not dropped', () => {
    const d = workspace({
      'a/leg.json': reportJson('leg', 'passed', [], '31'),
      'b/leg.json': reportJson('leg', 'failed', [SQLI], '31')
    })
    const m = merge(legsOf(d, ['a/leg.json', 'b/leg.json']))
    expect(m.legs).toHaveLength(2)
    expect(m.conclusion).toBe('failed')
    expect(m.warnings[0]).toBe(
      'b/leg.json reports the same test run (31) as a/leg.json, but not the same verdict or findings: both are counted.'
    )
  })

  it('the same report twice is one leg; two legs with one name are warned about', () => {
    const m = merge(legsOf(dir, ['r/chrome.json', 'r/again.json']), { count: 2 })
    expect(m.legs).toHaveLength(1)
    expect(m.missingCount).toBe(1)
    expect(m.warnings).toEqual([
      'r/again.json reports the same test run (11) as r/chrome.json: counted once.'
    ])
  })

  /** A leg's report with the step's own verdict and the run's counters as given. */
  function legJson(
    leg: string,
    conclusion: Conclusion,
    findings: Finding[],
    opts: {
      failed: boolean
      reason?: string
      counters?: Partial<Parameters<typeof testRun>[0]>
      scan?: ScanOutcome
    }
  ): string {
    const report = runReport({
      conclusion,
      failed: opts.failed,
      scan: opts.scan,
      reason: opts.reason ?? 'as the leg said',
      testRunId: `run-${leg}`,
      run: testRun({ id: `run-${leg}`, ...opts.counters }),
      findings
    })
    return JSON.stringify(buildJsonReport(report, { generatedAt: 'now', toolVersion: 'test', legName: leg }))
  }

  it('a leg whose scan passed but whose tests failed (tests-must-pass) fails the matrix, with its reason', () => {
    const d = workspace({
      'r/ok.json': reportJson('ok', 'passed', [], '21'),
      'r/tests.json': legJson('tests', 'passed', [], {
        failed: true,
        reason: 'The tests failed (exit code 1); the scan: Testing finished and found no vulnerabilities.'
      })
    })
    const m = merge(legsOf(d, ['r/ok.json', 'r/tests.json']))
    expect(m.conclusion).toBe('error')
    expect(m.reason).toBe(
      'Not a pass: tests ended passed (its step failed: The tests failed (exit code 1); the scan: ' +
        'Testing finished and found no vulnerabilities.).'
    )
  })

  it('a leg whose tests failed (tests-must-pass) fails the matrix, even when its findings do not count here', () => {
    const scan: ScanOutcome = { testsExitCode: 2, testsCancelled: false, testsMustPass: true }
    const d = workspace({
      'r/both.json': legJson('both', 'failed', [INFO], { failed: true, scan }),
      'r/lax.json': legJson('lax', 'passed', [], {
        failed: false,
        scan: { ...scan, testsMustPass: false }
      })
    })
    const m = merge(legsOf(d, ['r/both.json', 'r/lax.json']), undefined, 50)
    expect(m.conclusion).toBe('error')
    expect(m.reason).toBe(
      'Not a pass: both ended failed (its tests failed (exit code 2), and tests-must-pass is true).'
    )
    expect(JSON.parse(readFileSync(join(d, 'r/both.json'), 'utf8')).tests).toEqual({
      exitCode: 2,
      cancelled: false,
      mustPass: true
    })
    expect(JSON.parse(readFileSync(join(d, 'r/lax.json'), 'utf8')).tests).toMatchObject({ mustPass: false })
  })

  it('a leg that failed with no finding to judge again is not a pass', () => {
    const d = workspace({ 'r/bare.json': legJson('bare', 'failed', [], { failed: true }) })
    const m = merge(legsOf(d, ['r/bare.json']))
    expect(m.conclusion).toBe('inconclusive')
    expect(m.reason).toContain('bare ended failed (its report lists no finding to judge here')
  })

  it('a leg that failed on findings this step does not count passes only if it tested enough', () => {
    const techFailed = { baseline_count: 10, baseline_check_all_terminated_count: 10 }
    const d = workspace({
      'r/down.json': legJson('down', 'failed', [INFO], {
        failed: true,
        counters: {
          ...techFailed,
          baseline_check_fail_count: 1,
          baseline_check_passed_count: 0,
          baseline_check_tech_fail_count: 9
        }
      })
    })
    const legs = legsOf(d, ['r/down.json'])
    const strict = merge(legs, undefined, 50, 0)
    expect(strict.conclusion).toBe('inconclusive')
    expect(strict.reason).toContain('down ended failed (9 baselines of 10 tested could not be tested')
    const lax = merge(legs, undefined, 50, 90)
    expect(lax.conclusion).toBe('passed')
  })

  it('a leg that says passed without its run’s counters is not a pass', () => {
    const report = JSON.parse(reportJson('bare', 'passed', [], '41')) as { testRun: { baselines: unknown } }
    report.testRun.baselines = null
    const d = workspace({ 'r/bare.json': JSON.stringify(report) })
    const m = merge(legsOf(d, ['r/bare.json']))
    expect(m.conclusion).toBe('inconclusive')
    expect(m.reason).toBe(
      'Not a pass: bare ended passed (its report has no baseline counters, so what it tested is unknown).'
    )
  })

  it('a leg that says passed while its counters say nothing was checked is not a pass', () => {
    const d = workspace({
      'r/empty.json': legJson('empty', 'passed', [], {
        failed: false,
        counters: {
          baseline_count: 4,
          baseline_check_all_terminated_count: 0,
          baseline_check_fail_count: 0,
          baseline_check_passed_count: 0
        }
      })
    })
    const m = merge(legsOf(d, ['r/empty.json']))
    expect(m.conclusion).toBe('inconclusive')
    expect(m.reason).toContain('empty ended passed (None of the 4 baselines was checked')
  })

  it('no leg at all is an error, not a pass', () => {
    expect(merge([])).toMatchObject({
      conclusion: 'error',
      reason: 'No leg reported: no file matched the reports input.'
    })
  })
})

describe('runSummarize', () => {
  const settings = (inputs: Record<string, string>) =>
    readSettings((name) => ({ mode: 'summarize', ...inputs })[name] ?? '', {})
  const log = { info: () => undefined, warning: () => undefined }

  it('reads the default glob, merges, and tells the legs apart in the table', async () => {
    const dir = workspace({
      'wallarm-fast-reports/wallarm-fast-chrome/wallarm-fast-11.json': reportJson(
        'chrome',
        'failed',
        [SQLI],
        '11'
      ),
      'wallarm-fast-reports/wallarm-fast-safari/wallarm-fast-13.json': reportJson(
        'safari',
        'passed',
        [],
        '13'
      )
    })
    const r = await runSummarize(settings({}), dir, log, (f) => f)
    expect(r.conclusion).toBe('failed')
    expect(r.testRecordId).toBe('9058')
    expect(r.matrix.legs.map((l) => [l.name, l.conclusion, l.findings, l.counted, l.policy])).toEqual([
      ['chrome', 'failed', 1, 1, 'policy chrome'],
      ['safari', 'passed', 0, 0, 'policy safari']
    ])
  })

  it('a foreign JSON file among the reports: an error naming it, the legs still summarised', async () => {
    const dir = workspace({
      'wallarm-fast-reports/leg/wallarm-fast-13.json': reportJson('safari', 'passed', [], '13'),
      'wallarm-fast-reports/other/package.json': '{"name":"x"}'
    })
    const r = await runSummarize(settings({}), dir, log, (f) => f)
    expect(r.conclusion).toBe('error')
    expect(r.reason).toMatch(
      /^reports \(wallarm-fast-reports\/\*\*\/\*\.json\) matched 1 file\(s\) that are not leg reports this version reads: wallarm-fast-reports\/other\/package\.json: is not a Wallarm FAST report/
    )
    expect(r.matrix.legs.map((l) => l.name)).toEqual(['safari'])
  })
})

describe('runSummarize, the edges', () => {
  const settings = (inputs: Record<string, string>) =>
    readSettings((name) => ({ mode: 'summarize', ...inputs })[name] ?? '', {})
  const log = { info: () => undefined, warning: () => undefined }

  it('names the first ten refused files and counts the rest', async () => {
    const files: Record<string, string> = {}
    for (let i = 10; i < 22; i++) files[`wallarm-fast-reports/x/${i}.json`] = '[]'
    const r = await runSummarize(settings({}), workspace(files), log, (f) => f)
    expect(r.conclusion).toBe('error')
    expect(r.reason).toContain('matched 12 file(s) that are not leg reports this version reads (and 2 more)')
    expect(r.reason).toContain('wallarm-fast-reports/x/19.json')
    expect(r.reason).not.toContain('wallarm-fast-reports/x/20.json')
  })

  it('a glob that matches more files than legs could write is an error, not a partial summary', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 1025; i++) files[`r/${String(i).padStart(4, '0')}.json`] = '{}'
    const r = await runSummarize(settings({ reports: 'r/*.json' }), workspace(files), log, (f) => f)
    expect(r).toMatchObject({ conclusion: 'error' })
    expect(r.reason).toBe(
      "reports (r/*.json) matches more than 1024 files: it should match only the legs' report files."
    )
  })

  it('legs of different records name none; a policy known by its id alone shows the id', async () => {
    const noName = JSON.parse(reportJson('b', 'passed', [], '22')) as { testRun: Record<string, unknown> }
    noName.testRun.policy = { id: 129, name: null }
    noName.testRun.recordId = '7777'
    const dir = workspace({
      'wallarm-fast-reports/a.json': reportJson('a', 'passed', [], '21'),
      'wallarm-fast-reports/b.json': JSON.stringify(noName)
    })
    const r = await runSummarize(settings({}), dir, log, (f) => f)
    expect(r.testRecordId).toBeUndefined()
    expect(r.matrix.legs.map((l) => l.policy)).toEqual(['policy a', '129'])
  })

  it('legs from different workflow runs: one warning naming the runs, legs and files; still summarised', async () => {
    const dir = workspace({
      'r/a.json': reportJson('chrome', 'passed', [], '11', { runId: '700', job: 'scan' }),
      'r/b.json': reportJson('safari', 'passed', [], '13', { runId: '701', job: 'scan' }),
      'r/c.json': reportJson('firefox', 'passed', [], '15', { runId: '700', job: 'scan' }),
      'r/d.json': reportJson('edge', 'passed', [], '17', { runId: '7\n::error::forged' })
    })
    const r = await runSummarize(settings({ reports: 'r/*.json' }), dir, log, (f) => f)
    expect(r.conclusion).toBe('passed')
    expect(r.matrix.legs).toHaveLength(4)
    const runs = r.warnings.filter((w) => /workflow runs/.test(w))
    expect(runs).toEqual([
      'The reports come from 2 different workflow runs (1 leg(s) name no run); they are summarised together: ' +
        'run 700: "chrome" (r/a.json), "firefox" (r/c.json); run 701: "safari" (r/b.json).'
    ])
  })

  it('legs of one workflow run (or naming none) raise no warning about runs', async () => {
    const dir = workspace({
      'r/a.json': reportJson('chrome', 'passed', [], '11', { runId: '700' }),
      'r/b.json': reportJson('safari', 'passed', [], '13', { runId: '700' }),
      'r/c.json': reportJson('edge', 'passed', [], '15')
    })
    const r = await runSummarize(settings({ reports: 'r/*.json' }), dir, log, (f) => f)
    expect(r.warnings.filter((w) => /workflow run/.test(w))).toEqual([])
  })

  it('needs its settings', async () => {
    const s = readSettings((name) => ({ mode: 'wait', 'test-run-id': '1' })[name] ?? '', {})
    await expect(runSummarize(s, '/', log, (f) => f)).rejects.toThrow('summarize mode needs its settings')
  })
})

describe('summarize inputs', () => {
  const read = (inputs: Record<string, string>) =>
    readSettings((name) => ({ mode: 'summarize', ...inputs })[name] ?? '', {})
  it('defaults, a count, names; no token needed', () => {
    expect(read({}).summarize).toEqual({ reports: 'wallarm-fast-reports/**/*.json', expectedLegs: undefined })
    expect(read({ 'expected-legs': '3' }).summarize?.expectedLegs).toEqual({ count: 3 })
    expect(read({ 'expected-legs': 'chrome, firefox\nsafari' }).summarize?.expectedLegs).toEqual({
      names: ['chrome', 'firefox', 'safari']
    })
    expect(read({}).token).toBeUndefined()
  })
  it('takes reports as patterns, one a line, and refuses a value with nothing to find, naming reports', () => {
    expect(read({ reports: 'a/**/*.json\n!a/old/**' }).summarize?.reports).toBe('a/**/*.json\n!a/old/**')
    expect(() => read({ reports: '!a/**' })).toThrow(
      /^Input "reports" has the value "!a\/\*\*".*one that is not an exclusion/
    )
    expect(() => read({ reports: '# only a comment' })).toThrow(/^Input "reports"/)
    expect(() => read({ reports: 'a\0b' })).toThrow(/^Input "reports"/)
  })

  it('refuses a count out of range, naming expected-legs', () => {
    expect(() => read({ 'expected-legs': '0' })).toThrow(/^Input "expected-legs" has the value "0"/)
    expect(() => read({ 'expected-legs': '257' })).toThrow(/^Input "expected-legs" has the value "257"/)
  })
  it('other modes ignore reports and expected-legs with a warning', () => {
    const s = readSettings((name) => ({ mode: 'wait', 'expected-legs': '2' })[name] ?? '', {})
    expect(s.warnings).toContain(
      'Input "expected-legs" is used by summarize mode only: ignored in wait mode.'
    )
  })
})

describe('the legs table', () => {
  it('escapes what a leg’s report says (outside text), and names the missing legs last', () => {
    const table = renderLegs({
      legs: [
        {
          name: 'a | b <img src=x> [x](http://evil)',
          file: 'r/a.json',
          conclusion: 'failed',
          policy: 'p|q',
          baselines: 3,
          findings: 2,
          counted: 1
        }
      ],
      missing: ['safari'],
      missingCount: 2
    })
    const rows = table
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| Leg') && !l.startsWith('| ---'))
    expect(rows).toHaveLength(3)
    expect(rows[0]).not.toContain('<img')
    expect(rows[0]).not.toMatch(/(?<!\\)\[x/)
    expect(rows[0]!.split(/(?<!\\)\|/).length).toBe(7)
    expect(rows[0]).toContain('| failed | 3 | 1 (of 2 found) |')
    expect(rows[1]).toBe('| safari | – | did not report | – | – |')
    expect(rows[2]).toBe('| 1 more | – | did not report | – | – |')
    expect(table).toMatch(/^### Legs \(1 reported, 2 missing\)/)
  })
})
