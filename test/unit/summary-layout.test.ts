/**
 * The job summary and the pull-request comment read top down in one order (issue 24): the verdict and its
 * reason; what counts; how to reproduce it; what was set aside; API coverage; then the traffic and the
 * test-run facts, collapsed. Exploit examples are recorded traffic: what they carry of credentials is
 * never published.
 */
import { describe, expect, it } from 'vitest'
import type { Coverage } from '../../src/openapi/index.js'
import { jobSummaryUrl, renderComment } from '../../src/report/pr-comment.js'
import { coverageSection, coverageShort } from '../../src/report/coverage-summary.js'
import { curlCommand } from '../../src/report/curl.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import { renderSummary } from '../../src/report/summary.js'
import { runReport } from '../support/fixtures.js'
import { RECORDED, RECORDED_SECRETS } from '../support/recorded.js'

const TOKEN = 'node-token-SECRET-abc123'

const decision = (status: 'new' | 'known' | 'ignored' | 'expired', counted: boolean, reason?: string) => ({
  status,
  counted,
  inBaseline: status === 'known',
  ...(reason === undefined ? {} : { reason })
})

const FINDINGS: Finding[] = [
  {
    id: '1',
    type: 'sqli',
    threat: 90,
    method: 'POST',
    domain: 'app.local',
    path: '/api/search',
    parameter: 'q',
    exploitExample: RECORDED + `&tok=${TOKEN}`,
    decision: decision('new', true)
  },
  {
    id: '2',
    type: 'xss',
    threat: 60,
    method: 'GET',
    domain: 'app.local',
    path: '/api/profile',
    parameter: 'name',
    exploitExample: 'GET /api/profile?name=%3Cscript%3E&token=tok-QUERY-4711 HTTP/1.1\nHost: app.local\n\n',
    decision: decision('new', true)
  },
  {
    id: '3',
    type: 'ptrav',
    threat: 50,
    method: 'GET',
    domain: 'app.local',
    path: '/files',
    parameter: 'f',
    decision: decision('known', false, 'tracked in SEC-1')
  },
  {
    id: '4',
    type: 'info',
    threat: 20,
    method: 'GET',
    domain: 'app.local',
    path: '/debug',
    decision: decision('ignored', false, 'accepted risk')
  }
]

const COVERAGE: Coverage = {
  spec: 'api/openapi.yaml',
  operations: 3,
  tested: 1,
  rows: [
    row('DELETE', '/users/{id}', 'never-sent', 0, 0),
    row('PUT', '/users/{id}', 'not-recorded', 2, 0),
    { ...row('POST', '/api/search', 'tested', 4, 4), operationId: 'searchProducts' }
  ],
  apart: [{ ...row('GET', '/legacy', 'never-sent', 0, 0), deprecated: true }],
  notInSpec: [{ method: 'GET', path: '/internal/debug', requests: 3, baselines: 3, findings: 1 }],
  notInSpecOmitted: 0,
  ties: []
}

function row(
  method: string,
  template: string,
  status: 'never-sent' | 'not-recorded' | 'tested',
  requests: number,
  baselines: number
): Coverage['rows'][number] {
  return {
    method,
    template,
    file: 'api/openapi.yaml',
    line: 10,
    requests,
    baselines,
    findings: 0,
    status,
    deprecated: false,
    excluded: false
  }
}

export function report(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    mode: 'scan',
    reason: 'Found 2 new vulnerabilities at or above threat 1.',
    findings: FINDINGS,
    triage: {
      failOn: 'new-vulnerabilities',
      counts: { new: 2, expired: 0, known: 1, ignored: 1, triaged: 0, 'out-of-scope': 0 },
      unobserved: [],
      baselineFile: 'b.json',
      baselineMissing: false,
      ignoreFile: 'i.yml'
    },
    scan: {
      testsExitCode: 0,
      testsCancelled: false,
      testsMustPass: true,
      trafficMarkdown:
        '### What the tests sent through the FAST node\n\n| Method | Host | Path | Requests |\n|---|---|---|--:|\n| GET | app.local | `/api` | 3 |\n'
    },
    coverage: COVERAGE,
    context: { serverUrl: 'https://github.com', repository: 'acme/shop', runId: '77', runAttempt: '2' },
    ...over
  })
}

/** Index of `needle` in `md`, failing the test when it is not there. */
function at(md: string, needle: string | RegExp): number {
  const i = typeof needle === 'string' ? md.indexOf(needle) : md.search(needle)
  expect(i, String(needle)).toBeGreaterThanOrEqual(0)
  return i
}

function expectOrder(md: string, needles: Array<string | RegExp>): void {
  const positions = needles.map((n) => at(md, n))
  expect(positions).toEqual([...positions].sort((a, b) => a - b))
}

/** The rows (header included) of the table that follows `heading`. */
function tableAfter(md: string, heading: string): string[] {
  const rest = md.slice(at(md, heading)).split('\n')
  const start = rest.findIndex((l) => l.startsWith('|'))
  const out: string[] = []
  for (const l of rest.slice(start)) {
    if (!l.startsWith('|')) break
    out.push(l)
  }
  return out
}

function columns(line: string): number {
  return (line.match(/(?<!\\)\|/g) ?? []).length - 1
}

const SECRETS = [...RECORDED_SECRETS, TOKEN]

describe('job summary: one order, top down', () => {
  const md = renderSummary(report(), { secrets: [TOKEN], openapi: 'api/openapi.yaml' })

  it('verdict, what counts, how to reproduce, set aside, coverage, then traffic and facts collapsed', () => {
    expectOrder(md, [
      '## ❌ Wallarm FAST: failed',
      'Found 2 new vulnerabilities',
      'Tests passed (exit code 0); scan failed.',
      '### Findings that count (2)',
      '### How to reproduce',
      '### Set aside',
      '<summary>2 findings set aside',
      '### API coverage',
      '### Test run',
      '<summary>What the tests sent through the FAST node</summary>',
      '<summary>Test run facts</summary>'
    ])
  })

  it('counted table: severity, type with CWE, endpoint, parameter, fix; at most 6 columns, no host for one', () => {
    const table = tableAfter(md, '### Findings that count')
    expect(table[0]).toBe('| Severity | Type | Endpoint | Parameter | Fix |')
    expect(table).toHaveLength(4)
    for (const line of table) expect(columns(line)).toBeLessThanOrEqual(6)
    expect(table[2]).toContain('SQL injection ([CWE-89](https://cwe.mitre.org/data/definitions/89.html))')
    expect(table[2]).toContain('`POST /api/search`')
    expect(table[2]).toContain('| `q` |')
    expect(table[2]).toContain('bound parameter')
    expect(table[2]).toContain(
      '(https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html)'
    )
    // Set aside: not in the table.
    expect(table.join('\n')).not.toContain('/files')
  })

  it('shows the host only when the findings span more than one host', () => {
    const two = FINDINGS.map((f, i) => (i === 1 ? { ...f, domain: 'admin.local' } : f))
    const table = tableAfter(renderSummary(report({ findings: two })), '### Findings that count')
    expect(table[0]).toBe('| Severity | Type | Host | Endpoint | Parameter | Fix |')
    for (const line of table) expect(columns(line)).toBe(6)
    expect(table[3]).toContain('| admin.local |')
  })

  it('reproduction: each counted finding in a collapsed block, its request and a curl command', () => {
    const section = md.slice(
      at(md, '### How to reproduce'),
      at(md, '<details>\n<summary>2 findings set aside')
    )
    expect(section.match(/<details>/g)).toHaveLength(2)
    expect(section.match(/<\/details>/g)).toHaveLength(2)
    expect(section).toContain(
      '<summary>🟣 critical · SQL injection in <code>POST /api/search</code>, parameter <code>q</code></summary>'
    )
    expect(section).toContain('```http\nPOST /api/search?token=***&q=%27%20OR%201%3D1--&page=2 HTTP/1.1')
    expect(section).toContain('```shell\n')
    expect(section).toContain(
      "curl -X POST 'http://app.local/api/search?token=***&q=%27%20OR%201%3D1--&page=2'"
    )
    expect(section).toContain("-H 'Authorization: Bearer ***'")
  })

  it('set aside: collapsed, each with its reason', () => {
    const start = at(md, '<details>\n<summary>2 findings set aside: 1 known, 1 ignored</summary>')
    const block = md.slice(start, md.indexOf('</details>', start))
    expect(block).toContain('known: tracked in SEC-1')
    expect(block).toContain('ignored: accepted risk')
    expect(block).toContain('`GET /files`')
  })

  it('never publishes a recorded credential or the action’s token', () => {
    for (const s of SECRETS) expect(md, s).not.toContain(s)
    expect(md).toContain('Cookie: sid=***')
  })

  it('the traffic and the facts are collapsed, and the facts are a list, not a table', () => {
    const facts = md.slice(at(md, '<summary>Test run facts</summary>'))
    expect(facts).toContain(
      '- **Test run:** [ci-build-123 (5080)](https://us1.my.wallarm.com/testing/testruns/5080)'
    )
    expect(facts).toContain('- **Baselines:** 3 recorded')
    expect(md).not.toMatch(/^\| (Tests|Test run) \|/m)
    const traffic = md.slice(at(md, '<summary>What the tests sent'), at(md, '<summary>Test run facts'))
    expect(traffic).toContain('| GET | app.local | `/api` | 3 |')
    expect(traffic).not.toContain('### What the tests sent')
    expect(traffic).toContain('</details>')
  })
})

describe('job summary: API coverage', () => {
  it('the line, never attacked first, deprecated and excluded apart, requests not in the spec', () => {
    const md = renderSummary(report(), { openapi: 'api/openapi.yaml' })
    const section = md.slice(at(md, '### API coverage'), at(md, '<summary>What the tests sent'))
    expect(section).toContain('1 of 3 operations tested (33.3%)')
    expectOrder(section, [
      '`DELETE /users/{id}`',
      '`PUT /users/{id}`',
      '1 tested operation',
      '`POST /api/search`'
    ])
    expect(section).toContain('never sent')
    expect(section).toContain('sent, not recorded')
    expect(section).toMatch(/<summary>1 deprecated or excluded operation/)
    expect(section).toMatch(/<summary>1 request path not in the spec/)
    expect(section).toContain('`GET /internal/debug`')
  })

  it('each operation row names its operationId, requests, baselines and findings', () => {
    const md = renderSummary(report(), { openapi: 'api/openapi.yaml' })
    expect(md).toContain('| Operation | operationId | Requests | Baselines | Findings | Status |')
    expect(md).toContain('| `POST /api/search` | `searchProducts` | 4 | 4 | 0 | tested |')
    expect(md).toContain('| `DELETE /users/{id}` |  | 0 | 0 | 0 | never sent |')
  })

  it('one line when openapi was given but the traffic is unknown, nothing without openapi', () => {
    const unknown = renderSummary(report({ coverage: undefined }), { openapi: 'api/openapi.yaml' })
    expect(unknown.match(/API coverage/g)).toHaveLength(1)
    expect(unknown).toContain('cannot be known')
    expect(unknown).not.toContain('### API coverage')
    const none = renderSummary(report({ coverage: undefined }))
    expect(none).not.toMatch(/coverage/i)
  })
})

describe('coverage section: the rare rows', () => {
  const many: Coverage = {
    ...COVERAGE,
    operations: 8,
    tested: 0,
    rows: Array.from({ length: 8 }, (_, i) => row('GET', `/r/${i}`, 'never-sent', 0, 0)),
    apart: [{ ...row('POST', '/admin', 'never-sent', 0, 0), excluded: true }],
    notInSpecOmitted: 7,
    ties: [
      {
        method: 'GET',
        path: '/a/b',
        requests: 1,
        baselines: 0,
        findings: 0,
        operations: ['GET /a/{x}', 'GET /{y}/b']
      }
    ]
  }

  it('says which are excluded, how many paths were left off, and the ties', () => {
    const md = coverageSection(many)
    expect(md).toContain('| `POST /admin` |  | 0 | 0 | 0 | excluded |')
    expect(md).toContain('<summary>8 request paths not in the spec</summary>')
    expect(md).toContain('_7 more are in the JSON report._')
    expect(md).toContain('1 request path matched two operations equally')
    expect(md).not.toContain('<summary>0 tested')
  })

  it('keeps at most `keep` rows and says how many were left out', () => {
    const md = coverageSection(many, 3)
    expect(md.match(/^\| `GET \/r\//gm)).toHaveLength(3)
    expect(md).toContain('_7 of 10 coverage rows were left out')
  })

  it('the comment names five operations never attacked, then how many more', () => {
    expect(coverageShort(many)).toBe(
      '**API coverage:** 0 of 8 operations tested (0%) of `api/openapi.yaml`. Never attacked: ' +
        '`GET /r/0`, `GET /r/1`, `GET /r/2`, `GET /r/3`, `GET /r/4` and 3 more.'
    )
  })
})

describe('job summary: size bound', () => {
  it('drops whole rows and blocks, keeps the order, says what was left out', () => {
    const many: Finding[] = Array.from({ length: 60 }, (_, i) => ({
      id: String(i),
      type: 'sqli',
      threat: 90,
      method: 'GET',
      domain: 'app.local',
      path: `/p/${i}/${'x'.repeat(100)}`,
      parameter: 'q',
      exploitExample: `GET /p/${i}?q=${'y'.repeat(1500)} HTTP/1.1\nHost: app.local\n`,
      decision: decision('new', true)
    }))
    const whole = renderSummary(report({ findings: many }))
    expect(whole).not.toContain('left out')
    for (const maxBytes of [80_000, 30_000, 15_000]) {
      const md = renderSummary(report({ findings: many }), { maxBytes })
      expect(Buffer.byteLength(md)).toBeLessThanOrEqual(maxBytes)
      expect(md.split('<details').length).toBe(md.split('</details>').length)
      expect((md.match(/^```/gm) ?? []).length % 2).toBe(0)
      // Whole blocks only: every block shown has its request and its command.
      const blocks = (md.match(/<summary>🟣 critical · SQL injection/g) ?? []).length
      expect((md.match(/^```http$/gm) ?? []).length).toBe(blocks)
      expect((md.match(/^```shell$/gm) ?? []).length).toBe(blocks)
      expectOrder(md, ['## ❌', '### Findings that count', '<summary>Test run facts'])
      expect(md).toMatch(/were left out to keep this summary under GitHub’s size limit/)
    }
  })
})

describe('pull-request comment: the short form of the same order', () => {
  const body = renderComment(report(), { secrets: [TOKEN], openapi: 'api/openapi.yaml' })

  it('verdict, what counts, reproduction collapsed, set-aside count, coverage, link to the job summary', () => {
    expectOrder(body, [
      '## ❌ Wallarm FAST: failed',
      'Found 2 new vulnerabilities',
      '### Findings that count (2)',
      '<details>\n<summary>🟣 critical · SQL injection',
      '2 findings set aside (1 known, 1 ignored)',
      '**API coverage:** 1 of 3 operations tested (33.3%)',
      'The [job summary](https://github.com/acme/shop/actions/runs/77/attempts/2) has the rest'
    ])
    expect(body).toContain('Never attacked: `DELETE /users/{id}`, `PUT /users/{id}`')
  })

  it('the same counted table, no curl, no traffic or facts', () => {
    const table = tableAfter(body, '### Findings that count')
    expect(table[0]).toBe('| Severity | Type | Endpoint | Parameter | Fix |')
    expect(body).not.toMatch(/^curl /m)
    expect(body).not.toContain('```shell')
    expect(body).toContain('```http')
    expect(body).not.toContain('Test run facts')
    expect(body).not.toContain('What the tests sent')
  })

  it('never publishes a recorded credential or the action’s token', () => {
    for (const s of SECRETS) expect(body, s).not.toContain(s)
  })

  it('says once that coverage cannot be known, and nothing without openapi', () => {
    const unknown = renderComment(report({ coverage: undefined }), { openapi: 'api/openapi.yaml' })
    expect(unknown.match(/API coverage/g)).toHaveLength(1)
    expect(unknown).toContain('cannot be known')
    expect(renderComment(report({ coverage: undefined }))).not.toMatch(/coverage/i)
  })

  it('caps the table and the reproduction blocks, and stays small', () => {
    const many: Finding[] = Array.from({ length: 300 }, (_, i) => ({
      ...FINDINGS[0]!,
      id: String(i),
      path: `/p/${i}`
    }))
    const md = renderComment(report({ findings: many }))
    expect(tableAfter(md, '### Findings that count').length).toBeLessThanOrEqual(12)
    expect(md).toContain('290 more findings that count are in the')
    expect(md.match(/<details>/g)!.length).toBeLessThanOrEqual(5)
    expect(md.length).toBeLessThan(30_000)
  })
})

describe('pull-request comment: a clean run', () => {
  it('says none were found once the run finished, and sets nothing aside', () => {
    const clean = renderComment(
      report({ conclusion: 'passed', findings: [], coverage: undefined, scan: undefined })
    )
    expect(clean).toContain('No vulnerabilities found.')
    expect(clean).not.toContain('set aside')
    expect(clean).toContain('has the rest: the test-run facts.')
    const running = renderComment(report({ conclusion: 'running', findings: [] }))
    expect(running).not.toContain('No vulnerabilities found.')
  })
})

describe('a secret in the path of a finding', () => {
  // The path is recorded traffic too: a query string with a token in it is shown masked, in the table of
  // what counts, the reproduction headings and the set-aside list, in the summary and in the comment.
  const leaky: Finding[] = [
    { ...FINDINGS[0]!, path: '/api/search?token=tok-PATH-1234&q=1', exploitExample: undefined },
    {
      ...FINDINGS[2]!,
      path: '/files?session=sess-PATH-5678',
      decision: { ...decision('known', false), inBaseline: true }
    }
  ]
  it('never appears in the summary or the comment; the endpoint still does', () => {
    const md = renderSummary(report({ findings: leaky }), {})
    const comment = renderComment(report({ findings: leaky }), {})
    for (const text of [md, comment]) {
      expect(text).not.toContain('tok-PATH-1234')
      expect(text).toContain('POST /api/search?token=***&q=1')
    }
    expect(md).not.toContain('sess-PATH-5678')
    expect(md).toContain('GET /files?session=***')
  })
})

describe('jobSummaryUrl', () => {
  it('is the run’s page, for the attempt when known', () => {
    expect(
      jobSummaryUrl({ serverUrl: 'https://ghe.example', repository: 'a/b', runId: '5', runAttempt: '3' })
    ).toBe('https://ghe.example/a/b/actions/runs/5/attempts/3')
    expect(jobSummaryUrl({ serverUrl: 'https://github.com', repository: 'a/b', runId: '5' })).toBe(
      'https://github.com/a/b/actions/runs/5'
    )
    expect(jobSummaryUrl({ repository: 'a/b', runId: '5' })).toBeUndefined()
  })
})

describe('curlCommand', () => {
  it('builds a command from a raw request, quoted for a shell', () => {
    const cmd = curlCommand(
      "POST /a?x=1 HTTP/1.1\nHost: h.example\nContent-Length: 9\nX-N: it's\n\nq=' OR 1",
      {
        domain: 'h.example'
      }
    )
    expect(cmd).toBe(
      "curl -X POST 'https://h.example/a?x=1' \\\n  -H 'X-N: it'\\''s' \\\n  --data-binary 'q='\\'' OR 1'"
    )
  })

  it('keeps a curl command as it is, and gives none for what is not a request', () => {
    expect(curlCommand("curl 'http://a/b'", {})).toBe("curl 'http://a/b'")
    expect(curlCommand("' OR 1=1 --", { domain: 'a' })).toBeUndefined()
    expect(curlCommand('GET /x HTTP/1.1\n\n', {})).toBeUndefined()
  })

  it('uses http for a local host', () => {
    expect(curlCommand('GET /x HTTP/1.1\nHost: localhost:8080\n', {})).toBe("curl 'http://localhost:8080/x'")
  })
})
