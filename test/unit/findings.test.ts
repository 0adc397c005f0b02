import { describe, expect, it } from 'vitest'
import {
  findingEndpoint,
  GENERIC_REMEDY,
  remedyOf,
  securitySeverity,
  severityOf,
  toFindings,
  typeTitle,
  vulnerabilitiesJson,
  vulnerabilitiesJsonOutput,
  OUTPUT_MAX_BYTES,
  vulnType,
  VULN_TYPES
} from '../../src/report/findings.js'
import { normalizeVulnerability } from '../../src/wallarm/normalize.js'
import type { TestRun, Vulnerability } from '../../src/wallarm/types.js'
import { testRun } from '../support/fixtures.js'

function run(vulns: TestRun['vulns']): TestRun {
  return testRun({
    name: 'ci',
    vulns,
    baseline_count: 1,
    baseline_check_all_terminated_count: 1,
    baseline_check_fail_count: 1,
    baseline_check_passed_count: 0,
    domains: []
  })
}

describe('toFindings', () => {
  it('uses the run summary when there are no details', () => {
    const f = toFindings(
      run([
        { id: '2', threat: 30, code: 'S2', type: 'xss' },
        { id: '1', threat: 80, code: 'S1', type: 'sqli' }
      ]),
      undefined
    )
    expect(f).toEqual([
      { id: '1', type: 'sqli', threat: 80, code: 'S1' },
      { id: '2', type: 'xss', threat: 30, code: 'S2' }
    ])
  })

  it('keeps every vulnerability that has no id (id 0) instead of merging them', () => {
    const summaries = run([
      { id: '7', threat: 80, code: 'S1', type: 'sqli' },
      { id: '', threat: 80, code: 'X1', type: 'xss' },
      { id: '', threat: 90, code: 'R1', type: 'rce' }
    ])
    expect(toFindings(summaries, undefined).map((f) => f.type)).toEqual(['rce', 'xss', 'sqli'])
    // With details, they are the full list: their id-less items replace the summary's.
    const details: Vulnerability[] = [
      { id: '7', type: 'sqli', threat: 80 },
      { id: '', type: 'xss', threat: 80, path: '/a' },
      { id: '', type: 'rce', threat: 90, path: '/b' }
    ]
    expect(toFindings(summaries, details).map((f) => `${f.type}${f.path ?? ''}`)).toEqual([
      'rce/b',
      'xss/a',
      'sqli'
    ])
  })

  it('maps the full details, details win, and keeps a summary vuln with no detail', () => {
    const details: Vulnerability[] = [
      {
        id: '1',
        type: 'sqli',
        threat: 85,
        method: 'post',
        domain: 'app.local',
        path: '/login',
        parameter: 'password',
        title: 'SQLi in login',
        description: 'd',
        exploit_example: "' OR 1=1 --",
        status: 'active',
        template: 'x',
        code: ''
      }
    ]
    const f = toFindings(
      run([
        { id: '1', threat: 80, code: 'S1', type: 'sqli' },
        { id: '3', threat: 85, code: 'S3', type: 'info' }
      ]),
      details
    )
    expect(f).toEqual([
      {
        id: '1',
        type: 'sqli',
        threat: 85,
        code: 'S1',
        method: 'POST',
        domain: 'app.local',
        path: '/login',
        parameter: 'password',
        title: 'SQLi in login',
        description: 'd',
        exploitExample: "' OR 1=1 --",
        status: 'active'
      },
      { id: '3', type: 'info', threat: 85, code: 'S3' }
    ])
  })

  it('takes details with no run at all, and sorts by threat then id', () => {
    const f = toFindings(undefined, [
      { id: '9', type: 'xss', threat: 50 },
      { id: '4', type: 'rce', threat: 50 },
      { id: '5', type: 'ssrf', threat: 99 }
    ])
    expect(f.map((x) => x.id)).toEqual(['5', '4', '9'])
    expect(toFindings(undefined, undefined)).toEqual([])
  })

  it('clamps a threat outside 0..100', () => {
    const f = toFindings(undefined, [
      { id: '1', type: 'x', threat: 250 },
      { id: '2', type: 'y', threat: Number.NaN }
    ])
    expect(f.map((x) => x.threat)).toEqual([100, 0])
  })
})

describe('severityOf and securitySeverity', () => {
  it.each([
    [100, 'critical'],
    [90, 'critical'],
    [89, 'high'],
    [70, 'high'],
    [69, 'medium'],
    [40, 'medium'],
    [39, 'low'],
    [1, 'low']
  ] as const)('threat %d is %s', (threat, severity) => {
    expect(severityOf(threat)).toBe(severity)
  })

  it('is threat / 10 with one decimal, within 0.0..10.0', () => {
    expect(securitySeverity(80)).toBe('8.0')
    expect(securitySeverity(1)).toBe('0.1')
    expect(securitySeverity(100)).toBe('10.0')
    expect(securitySeverity(150)).toBe('10.0')
    expect(securitySeverity(-3)).toBe('0.0')
  })
})

describe('vulnerabilitiesJson', () => {
  it('keeps the compact fields only, where known', () => {
    const json = vulnerabilitiesJson([
      {
        id: '1',
        type: 'sqli',
        threat: 80,
        code: 'S1',
        method: 'GET',
        path: '/a',
        description: 'long',
        title: 't'
      },
      { id: '2', type: 'xss', threat: 20 }
    ])
    expect(json).toEqual([
      { id: '1', type: 'sqli', threat: 80, code: 'S1', method: 'GET', path: '/a' },
      { id: '2', type: 'xss', threat: 20 }
    ])
    expect(JSON.parse(JSON.stringify(json))).toEqual(json)
  })
})

describe('type names', () => {
  it('knows the FAST types and not Object.prototype', () => {
    expect(typeTitle('sqli')).toBe('SQL injection')
    expect(typeTitle('SQLI')).toBe('SQL injection')
    expect(typeTitle('weird')).toBe('weird')
    expect(vulnType('constructor')).toBeUndefined()
    expect(typeTitle('constructor')).toBe('constructor')
  })
})

/** FAST's types, as the API spec lists them (§E3, from Wallarm's `vuln-list.md`). */
const SPEC_TYPES = [
  'anomaly',
  'xxe',
  'ssti',
  'csrf',
  'xss',
  'idor',
  'redir',
  'ssrf',
  'info',
  'rce',
  'auth',
  'ldapi',
  'nosqli',
  'ptrav',
  'sqli'
]

describe('findingEndpoint', () => {
  it('names the endpoint as a reader does: the method and the path from its slash', () => {
    expect(findingEndpoint({ method: 'GET', path: '/api/search' })).toBe('GET /api/search')
    expect(findingEndpoint({ method: 'POST', path: 'login' })).toBe('POST /login')
    expect(findingEndpoint({ path: '/a' })).toBe('/a')
    expect(findingEndpoint({ method: 'GET' })).toBe('GET')
    expect(findingEndpoint({})).toBeUndefined()
  })
})

describe('how to fix, per type', () => {
  it('has a row for every type FAST reports, and none it does not', () => {
    expect(Object.keys(VULN_TYPES).sort()).toEqual([...SPEC_TYPES].sort())
  })

  it('gives every type in the table one line of remedy and a link to an OWASP Cheat Sheet or CWE page', () => {
    for (const [type, info] of Object.entries(VULN_TYPES)) {
      const { text, url } = info.remedy
      expect(text, type).toMatch(/^[A-Z].{20,}[.]$/)
      expect(text, type).not.toMatch(/\n/)
      expect(text.length, type).toBeLessThanOrEqual(200)
      const link = new URL(url)
      expect(link.protocol, type).toBe('https:')
      expect(
        /^https:\/\/cheatsheetseries\.owasp\.org\/cheatsheets\/[A-Za-z_-]+_Cheat_Sheet\.html$/.test(url) ||
          /^https:\/\/cwe\.mitre\.org\/data\/definitions\/\d+\.html$/.test(url),
        `${type}: ${url}`
      ).toBe(true)
      // A CWE link is the type's own CWE.
      const cwe = /definitions\/(\d+)\.html$/.exec(url)?.[1]
      if (cwe !== undefined) expect(info.cwe, type).toContain(Number(cwe))
      expect(info.remedy.source, type).toMatch(/^(OWASP [A-Za-z -]+ Cheat Sheet|CWE-\d+)$/)
      expect(remedyOf(type)).toBe(info.remedy)
      expect(remedyOf(type.toUpperCase())).toBe(info.remedy)
    }
  })

  it('gives an unknown type a generic remedy with a link', () => {
    for (const type of ['weird', 'constructor', '', 'unknown']) expect(remedyOf(type)).toBe(GENERIC_REMEDY)
    expect(GENERIC_REMEDY.text).toMatch(/^[A-Z].+\.$/)
    expect(GENERIC_REMEDY.url).toMatch(/^https:\/\/cheatsheetseries\.owasp\.org\//)
  })
})

describe('toFindings: a missing value never beats a known one', () => {
  it('keeps the run summary threat when the detail object says threat: null', () => {
    const detail = normalizeVulnerability({ id: '7', type: 'sqli', threat: null, path: '/search' })!
    const [f] = toFindings(run([{ id: '7', threat: 80, code: 'S1', type: 'sqli' }]), [detail])
    expect(f).toMatchObject({ id: '7', threat: 80, path: '/search' })
    expect(severityOf(f!.threat)).toBe('high')
  })
})

describe('vulnerabilitiesJsonOutput', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: String(i + 1),
      type: 'sqli',
      threat: 100 - (i % 100),
      path: `/p/${'x'.repeat(80)}/${i}`
    }))

  it('keeps 20,000 findings under 1 MB as valid JSON, the first ones kept, and says how many', () => {
    const out = vulnerabilitiesJsonOutput(many(20_000))
    expect(Buffer.byteLength(out.json, 'utf8')).toBeLessThanOrEqual(OUTPUT_MAX_BYTES)
    const parsed = JSON.parse(out.json) as Array<{ id: number }>
    expect(parsed).toHaveLength(out.included)
    expect(out.included).toBeGreaterThan(1000)
    expect(out.included).toBeLessThan(20_000)
    expect(out.total).toBe(20_000)
    expect(parsed[0]?.id).toBe(1)
  })

  it('writes ids as JSON numbers of their exact digits, above 2^53 too, and an unknown id as 0', () => {
    const big = '18446744073709551615'
    const out = vulnerabilitiesJsonOutput([
      { id: big, type: 'sqli', threat: 90 },
      { id: '', type: 'xss', threat: 80 }
    ])
    expect(out.json).toBe(`[{"id":${big},"type":"sqli","threat":90},{"id":0,"type":"xss","threat":80}]`)
  })

  it('keeps everything that fits, multi-byte text counted in bytes', () => {
    const f = [{ id: '1', type: 'sqli', threat: 90, path: '/é'.repeat(10) }]
    const whole = JSON.stringify(vulnerabilitiesJson(f)).replace('"id":"1"', '"id":1')
    expect(vulnerabilitiesJsonOutput(f, Buffer.byteLength(whole))).toMatchObject({ json: whole, included: 1 })
    expect(vulnerabilitiesJsonOutput(f, Buffer.byteLength(whole) - 1)).toEqual({
      json: '[]',
      included: 0,
      total: 1
    })
  })
})
