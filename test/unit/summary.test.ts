import { describe, expect, it } from 'vitest'
import { Conclusions } from '../../src/common/constants.js'
import { code, escapeMarkdown, escapeProse, link, truncate } from '../../src/report/markdown.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import {
  renderSummary,
  WARNING_INTERRUPTED,
  WARNING_NO_BASELINES,
  WARNING_TIMEOUT
} from '../../src/report/summary.js'
import type { TestRun } from '../../src/wallarm/types.js'
import { runReport, testRun } from '../support/fixtures.js'

function makeRun(over: Partial<TestRun> = {}): TestRun {
  return testRun({
    policy_id: 104,
    policy_name: 'Default Policy',
    baseline_count: 12,
    baseline_check_all_terminated_count: 12,
    baseline_check_fail_count: 1,
    baseline_check_tech_fail_count: 2,
    baseline_check_passed_count: 9,
    sended_requests_count: 700,
    planing_requests_count: 700,
    ...over
  })
}

function makeReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    mode: 'stop',
    reason: 'Found 1 vulnerability at or above threat 1.',
    run: makeRun(),
    findings: [
      {
        id: '7001',
        type: 'sqli',
        threat: 80,
        code: 'S0001',
        method: 'POST',
        domain: 'app.local',
        path: '/login',
        parameter: 'password'
      }
    ],
    ...over
  })
}

/** The pipes of a Markdown table row that are cell separators (not escaped with a backslash). */
function cellPipes(row: string): number {
  return (row.match(/(?<!\\)\|/g) ?? []).length
}

/** `md` with its code spans (a backtick run, anything, the same run) taken out. */
function withoutCodeSpans(md: string): string {
  return md.replace(/(`+)(?:(?!\1)[\s\S])+?\1/g, '')
}

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

describe('renderSummary: verdict', () => {
  const emoji: Record<string, string> = {
    passed: '✅',
    failed: '❌',
    inconclusive: '❔',
    interrupted: '⚠️',
    timeout: '⏱️',
    recording: '⏺️',
    running: '🔄',
    error: '💥',
    skipped: '⏭️'
  }
  it.each(Conclusions)('has a verdict line for %s', (conclusion) => {
    const md = renderSummary(makeReport({ conclusion, reason: `because ${conclusion}` }))
    const first = md.split('\n')[0] ?? ''
    expect(first.startsWith('## ')).toBe(true)
    expect(first).toContain(emoji[conclusion])
    expect(first).toContain('Wallarm FAST')
    expect(md).toContain(`because ${conclusion}`)
  })

  it('takes a heading, escaped', () => {
    const md = renderSummary(makeReport({ conclusion: 'passed', findings: [] }), { heading: 'FAST [linux]' })
    expect(md.split('\n')[0]).toBe('## ✅ FAST \\[linux\\]: passed')
  })

  it('says how many baselines were skipped (counted as recorded, never checked)', () => {
    const run = makeRun({
      baseline_count: 5,
      baseline_check_all_terminated_count: 2,
      baseline_check_passed_count: 2,
      baseline_check_fail_count: 0,
      baseline_check_tech_fail_count: 0
    })
    expect(renderSummary(makeReport({ run }))).toContain(
      '- **Baselines:** 5 recorded, 2 checked, 0 failed, 0 with technical failures, 3 skipped (excluded by ' +
        'file-extensions-to-exclude, or duplicates)'
    )
  })

  it('says how many baselines were interrupted (counted as terminated, never tested)', () => {
    const run = makeRun({
      baseline_count: 4,
      baseline_check_all_terminated_count: 4,
      baseline_check_passed_count: 0,
      baseline_check_fail_count: 1,
      baseline_check_tech_fail_count: 0,
      baseline_check_interrupted_count: 3
    })
    expect(renderSummary(makeReport({ run }))).toContain(
      '- **Baselines:** 4 recorded, 1 checked, 1 failed, 0 with technical failures, 3 interrupted (not tested)'
    )
  })

  it('renders the test-run facts as a collapsed list', () => {
    const md = renderSummary(makeReport())
    expect(md).toContain('<details>\n<summary>Test run facts</summary>\n\n- **Test run:** ')
    expect(md).toContain(
      '- **Test run:** [ci-build-123 (5080)](https://us1.my.wallarm.com/testing/testruns/5080)'
    )
    expect(md).toContain('- **Test record:** 9058')
    expect(md).toContain('- **Policy:** Default Policy (104)')
    expect(md).toContain('- **State:** `failed`')
    expect(md).toContain('- **Baselines:** 12 recorded, 12 checked, 1 failed, 2 with technical failures')
    expect(md).toContain('- **Requests sent:** 700')
    expect(md).toContain('- **Duration:** 4m 31s')
  })

  it('links the run only to an http(s) URL', () => {
    expect(renderSummary(makeReport({ runUrl: 'javascript:alert(1)' }))).not.toContain('javascript:')
    expect(renderSummary(makeReport({ runUrl: undefined }))).toContain(
      '- **Test run:** ci-build-123 (5080)\n'
    )
  })

  it('gives the duration of a running run from `now`', () => {
    const run = makeRun({ state: 'running', end_time: null })
    const now = new Date((1555572038 + 125) * 1000)
    expect(renderSummary(makeReport({ conclusion: 'running', run }), { now })).toContain(
      '- **Duration:** 2m 5s so far'
    )
    expect(renderSummary(makeReport({ conclusion: 'running', run }), { now: now.getTime() })).toContain(
      '2m 5s so far'
    )
    expect(renderSummary(makeReport({ conclusion: 'running', run }))).not.toContain('**Duration:**')
  })

  it('has no overview when there is no run at all', () => {
    const md = renderSummary(
      makeReport({
        conclusion: 'skipped',
        run: undefined,
        testRunId: undefined,
        testRecordId: undefined,
        findings: []
      })
    )
    expect(md).not.toContain('Test run facts')
    expect(md).not.toContain('Findings that count')
    expect(md).not.toContain('No vulnerabilities found')
  })
})

describe('renderSummary: vulnerabilities', () => {
  it('counts those at or above min-threat, and sets the rest aside with their reason', () => {
    const findings: Finding[] = [
      { id: '1', type: 'sqli', threat: 95, method: 'GET', domain: 'a', path: '/x' },
      { id: '2', type: 'info', threat: 10, method: 'GET', domain: 'a', path: '/y' }
    ]
    const md = renderSummary(makeReport({ findings, minThreat: 30 }))
    expect(md).toContain(
      '| 🟣 critical (95) | SQL injection ([CWE-89](https://cwe.mitre.org/data/definitions/89.html)) | `GET /x` |'
    )
    expect(md).toContain('<summary>1 finding set aside: 1 below min-threat 30</summary>')
    expect(md).toContain('- 🟡 low · Information exposure `GET /y`: below min-threat 30')
    expect(md).toContain('- **Vulnerabilities:** 1 (threat ≥ 30), 1 below the threshold (not counted)')
  })

  it('omits the parameter column when no finding has one, and says which have no location', () => {
    const md = renderSummary(
      makeReport({ findings: [{ id: '1', type: 'xss', threat: 50, code: 'S1' }], findingsSource: 'summary' })
    )
    expect(md).toContain('| Severity | Type | Endpoint | Fix |\n')
    expect(md).toContain('| unknown |')
    expect(md).not.toContain('| Parameter |')
    expect(md).toContain(
      '1 vulnerability has no location: the vulnerability details (method, domain, path, parameter) could not be read'
    )
  })

  it('says none were found on a clean finished run, and when none of those found counts', () => {
    expect(renderSummary(makeReport({ conclusion: 'passed', findings: [] }))).toContain(
      'No vulnerabilities found.'
    )
    const below = renderSummary(
      makeReport({ conclusion: 'passed', minThreat: 90, findings: [{ id: '1', type: 'xss', threat: 50 }] })
    )
    expect(below).toContain('No finding counts towards the gate: the one found is set aside below.')
    expect(below).not.toContain('### Findings that count')
  })

  it('shows the top N in the table and the rest in <details>', () => {
    const findings: Finding[] = Array.from({ length: 25 }, (_, i) => ({
      id: String(i),
      type: 'xss',
      threat: 90 - i
    }))
    const md = renderSummary(makeReport({ findings }), { top: 20 })
    const [open, details] = md.split('<details>')
    expect((open?.match(/^\| .*Cross-site/gm) ?? []).length).toBe(20)
    expect(details).toContain('<summary>5 more findings that count</summary>')
    expect((details?.match(/^\| .*Cross-site/gm) ?? []).length).toBe(5)
    expect(details).toContain('</details>')
  })

  it('escapes Markdown, HTML, links and mentions in API text', () => {
    const evil =
      '| x | <img src=x> [link](http://evil) @mention #12 **b** `c` ![i](http://evil/i.png) www.evil.com\nnext'
    const run = makeRun({ name: evil, policy_name: evil, state: 'failed' })
    const findings: Finding[] = [
      {
        id: '1',
        type: 'x<b>ss|',
        threat: 80,
        method: 'GET',
        domain: evil,
        path: evil,
        parameter: evil,
        code: evil,
        exploitExample: `GET /?q=${evil} HTTP/1.1\nHost: a\n`
      },
      { id: '2', type: 'xss', threat: 70, method: 'GET', domain: 'other', path: '/', parameter: evil }
    ]
    const md = renderSummary(makeReport({ run, findings, reason: `Run ${evil} failed`, warnings: [evil] }))
    // Code spans and fenced blocks are inert (no HTML, link or mention renders in one): check what is outside them.
    const outsideBlocks = md.replace(/^(`{3,})[a-z]*\n[\s\S]*?\n\1$/gm, '')
    const prose = withoutCodeSpans(outsideBlocks)
    expect(prose).not.toContain('<img')
    expect(prose).not.toContain('<b>')
    expect(prose).not.toMatch(/(?<!\\)\[link(?<!\\)\]\(/)
    expect(prose).not.toMatch(/(?<!\\)\]\(http:\/\/evil/)
    expect(prose).not.toContain('http://evil')
    expect(prose).not.toContain('www.evil')
    expect(prose).not.toMatch(/@mention/)
    expect(prose).not.toMatch(/#12/)
    expect(prose).not.toMatch(/(?<!\\)\*\*b/)
    expect(outsideBlocks).not.toContain('\nnext')
    // The path and parameter show as they are, in code spans whose fence outlasts the backticks inside.
    expect(md).toContain('``\\| x \\| <img src=x> [link](http://evil) @mention')
    // Every row of the findings table keeps its cells: 6 columns (two hosts).
    const table = md.split('\n').filter((l) => l.startsWith('| ') && !l.includes('| Method |'))
    expect(table.length).toBeGreaterThanOrEqual(4)
    for (const line of table) expect(cellPipes(line) - 1).toBe(6)
  })

  it('stays under maxBytes with 3000 findings with long paths, and says how many were left out', () => {
    const findings: Finding[] = Array.from({ length: 3000 }, (_, i) => ({
      id: String(i + 1),
      type: 'ptrav',
      threat: 100 - (i % 100),
      code: `S${i}`,
      method: 'GET',
      domain: `host-${i}.${'sub.'.repeat(60)}example.com`,
      path: `/${'very-long-segment/'.repeat(40)}${i}`,
      parameter: `p${i}<&>${'x'.repeat(300)}`
    }))
    for (const maxBytes of [1_000_000, 200_000, 20_000]) {
      const md = renderSummary(makeReport({ findings }), { maxBytes })
      expect(bytes(md)).toBeLessThanOrEqual(maxBytes)
      const m = /> (\d[\d,]*) of 3,000 findings that count were left out/.exec(md)
      expect(m).not.toBeNull()
      const left = Number((m?.[1] ?? '').replace(/,/g, ''))
      const rows = md.split('\n').filter((l) => l.includes('| Path traversal'))
      expect(rows.length + left).toBe(3000)
      // No row is cut: every one ends with its closing pipe and has all its cells.
      for (const r of rows) {
        expect(r.endsWith(' |')).toBe(true)
        expect(cellPipes(r)).toBe(7)
      }
      expect(md.split('<details>').length).toBe(md.split('</details>').length)
    }
  })

  it('keeps everything when it fits', () => {
    const findings: Finding[] = Array.from({ length: 100 }, (_, i) => ({
      id: String(i),
      type: 'xss',
      threat: 50
    }))
    const md = renderSummary(makeReport({ findings }))
    expect(md).not.toContain('left out')
    expect((md.match(/^\| .*Cross-site/gm) ?? []).length).toBe(100)
  })

  it('falls back to the verdict line when maxBytes cannot hold the head', () => {
    const md = renderSummary(makeReport({ warnings: ['w'.repeat(1500)] }), { maxBytes: 300 })
    expect(bytes(md)).toBeLessThanOrEqual(300)
    expect(md.startsWith('## ❌ Wallarm FAST: failed')).toBe(true)
  })
})

describe('renderSummary: a run still going', () => {
  it('says the vulnerabilities are those found so far', () => {
    const md = renderSummary(
      makeReport({
        mode: 'record',
        conclusion: 'recording',
        failed: false,
        findings: [],
        run: makeRun({ state: 'running', recording: true, end_time: null })
      }),
      { now: Date.UTC(2019, 3, 18, 7, 25) }
    )
    expect(md).toContain('- **Vulnerabilities:** none so far')
    expect(renderSummary(makeReport())).not.toContain('so far')
  })
})

describe('renderSummary: warnings', () => {
  it('warns when a finished record/stop run recorded no baseline', () => {
    const run = makeRun({ baseline_count: 0, state: 'passed' })
    const md = renderSummary(makeReport({ conclusion: 'passed', run, findings: [] }))
    expect(md).toContain('> [!WARNING]\n> No baselines were recorded')
    expect(md).toContain('`HTTP_PROXY`')
    expect(md).toContain('`ALLOWED_HOSTS`')
  })

  it('does not warn about baselines while recording, or in reuse mode', () => {
    const recording = makeRun({ baseline_count: 0, recording: true, state: 'running' })
    expect(
      renderSummary(makeReport({ mode: 'record', conclusion: 'recording', run: recording }))
    ).not.toContain('No baselines')
    const reuse = makeRun({ baseline_count: 0 })
    expect(renderSummary(makeReport({ mode: 'reuse', run: reuse }))).not.toContain('No baselines')
  })

  it('explains interrupted and timeout', () => {
    const interrupted = renderSummary(makeReport({ conclusion: 'interrupted' }))
    expect(interrupted).toContain('> [!WARNING]\n> The test run was interrupted')
    expect(interrupted).toContain('own FAST node token')
    expect(interrupted).toContain('`concurrency` group')
    const timeout = renderSummary(makeReport({ conclusion: 'timeout' }))
    expect(timeout).toContain('only goes on while its')
    expect(timeout).toContain('not a pass')
  })

  it('renders the report warnings as alerts, without duplicates', () => {
    const md = renderSummary(
      makeReport({ conclusion: 'interrupted', warnings: ['Details not readable.', WARNING_INTERRUPTED] })
    )
    expect(md).toContain('> [!WARNING]\n> Details not readable.')
    expect(md.split('The test run was interrupted').length).toBe(2)
  })

  it('exports its texts', () => {
    for (const w of [WARNING_INTERRUPTED, WARNING_NO_BASELINES, WARNING_TIMEOUT])
      expect(w.length).toBeGreaterThan(20)
  })
})

describe('markdown helpers', () => {
  it('escapes table breakers, links, HTML, mentions and issue refs', () => {
    expect(escapeMarkdown('a|b')).toBe('a\\|b')
    expect(escapeMarkdown('[x](http://e)')).toBe('\\[x\\](http:&#8203;//e)')
    expect(escapeMarkdown('![i](a.png)')).toBe('!\\[i\\](a.png)')
    expect(escapeMarkdown('see www.example.com or a@b.co')).toBe(
      'see www&#8203;.example.com or a@&#8203;b.co'
    )
    expect(escapeMarkdown('<script>&amp;')).toBe('&lt;script&gt;&amp;amp;')
    expect(escapeMarkdown('hi @octocat #12 #x')).toBe('hi @&#8203;octocat #&#8203;12 #x')
    expect(escapeMarkdown('*a* _b_ `c` ~d~ $e$')).toBe('\\*a\\* \\_b\\_ \\`c\\` \\~d\\~ \\$e\\$')
    expect(escapeMarkdown('  line1\r\n\tline2\u0000  ')).toBe('line1 line2')
    expect(escapeMarkdown('- item')).toBe('\\- item')
    expect(escapeMarkdown('1. item')).toBe('1\\. item')
    expect(escapeMarkdown('back\\slash')).toBe('back\\\\slash')
  })

  it('keeps code spans in prose and escapes the rest', () => {
    expect(escapeProse('Set `HTTP_PROXY` for <b>')).toBe('Set `HTTP_PROXY` for &lt;b&gt;')
    expect(escapeProse('unbalanced ` tick')).toBe('unbalanced \\` tick')
    expect(escapeProse('`a` and `b`')).toBe('`a` and `b`')
  })

  it('makes code spans that survive backticks', () => {
    expect(code('plain')).toBe('`plain`')
    expect(code('a`b')).toBe('``a`b``')
    expect(code('`start')).toBe('`` `start ``')
    expect(code('a|b', { table: true })).toBe('`a\\|b`')
    expect(code('')).toBe('')
  })

  it('truncates by code points', () => {
    expect(truncate('abcdef', 4)).toBe('abc…')
    expect(truncate('abc', 4)).toBe('abc')
    expect(truncate('😀😀😀😀😀', 3)).toBe('😀😀…')
    expect(truncate('abc', 0)).toBe('')
  })

  it('links only http(s) URLs and encodes what could end the destination', () => {
    expect(link('x', 'https://a.example/p(1)')).toBe('[x](https://a.example/p%281%29)')
    expect(link('x', 'javascript:alert(1)')).toBe('x')
    expect(link('x', undefined)).toBe('x')
  })
})
