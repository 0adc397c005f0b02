import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { buildJunit, xmlAttr, xmlText } from '../../src/report/junit.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import { runReport, testRun } from '../support/fixtures.js'

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
    exploitExample: "' OR 1=1 --"
  },
  {
    id: '7002',
    type: 'xss',
    threat: 45,
    method: 'GET',
    domain: 'app.local',
    path: '/echo',
    parameter: 'msg'
  },
  { id: '7003', type: 'info', threat: 5, code: 'I1' }
]

function makeReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({ run: makeRun(), findings: FINDINGS, ...over })
}

interface Case {
  '@_classname': string
  '@_name': string
  failure?: { '@_message': string; '@_type': string; '#text'?: string }
  error?: { '@_message': string; '@_type': string; '#text'?: string }
  skipped?: unknown
}

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true)
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    htmlEntities: false,
    isArray: (name) => name === 'testcase' || name === 'property'
  })
  const doc = parser.parse(xml) as {
    testsuites: { '@_tests': string; testsuite: Record<string, string> & { testcase: Case[] } }
  }
  const suite = doc.testsuites.testsuite
  return { root: doc.testsuites, suite, cases: suite.testcase }
}

describe('buildJunit', () => {
  it('has one failing test case per counted finding, and counts that match', () => {
    const { root, suite, cases } = parse(buildJunit(makeReport({ minThreat: 10 })))
    expect(suite['@_name']).toBe('Wallarm FAST: ci-build-123')
    expect(cases).toHaveLength(2)
    expect(suite['@_tests']).toBe('2')
    expect(suite['@_failures']).toBe('2')
    expect(suite['@_errors']).toBe('0')
    expect(suite['@_time']).toBe('271')
    expect(root['@_tests']).toBe('2')
    expect(cases[0]?.['@_classname']).toBe('app.local')
    expect(cases[0]?.['@_name']).toBe('sqli POST /login [password]')
    expect(cases[0]?.failure?.['@_type']).toBe('sqli')
    expect(cases[0]?.failure?.['@_message']).toBe('SQL injection, threat 95 (critical)')
    expect(cases[0]?.failure?.['#text']).toContain("Exploit example: ' OR 1=1 --")
    expect(cases[0]?.failure?.['#text']).toContain(
      'Test run: https://us1.my.wallarm.com/testing/testruns/5080'
    )
  })

  it('has a single passing test case when clean', () => {
    const { suite, cases } = parse(
      buildJunit(makeReport({ conclusion: 'passed', failed: false, findings: [] }))
    )
    expect(cases).toHaveLength(1)
    expect(cases[0]?.failure).toBeUndefined()
    expect(suite['@_tests']).toBe('1')
    expect(suite['@_failures']).toBe('0')
    const below = parse(buildJunit(makeReport({ conclusion: 'passed', failed: false, minThreat: 99 })))
    expect(below.cases).toHaveLength(1)
    expect(below.cases[0]?.['@_name']).toBe('No vulnerabilities at or above threat 99')
  })

  it.each(['timeout', 'interrupted', 'error'] as const)('adds an error test case on %s', (conclusion) => {
    const { suite, cases } = parse(
      buildJunit(makeReport({ conclusion, reason: `The run ${conclusion}.`, findings: FINDINGS.slice(0, 1) }))
    )
    expect(cases).toHaveLength(2)
    expect(suite['@_errors']).toBe('1')
    expect(suite['@_failures']).toBe('1')
    const err = cases.find((c) => c.error !== undefined)
    expect(err?.error?.['@_type']).toBe(conclusion)
    expect(err?.error?.['@_message']).toBe(`The run ${conclusion}.`)
  })

  it('marks a run with no verdict yet as skipped', () => {
    const { suite, cases } = parse(buildJunit(makeReport({ conclusion: 'running', findings: [] })))
    expect(cases).toHaveLength(1)
    expect(suite['@_skipped']).toBe('1')
  })

  it('keeps names with XML specials and drops control characters', () => {
    const nasty = `a<b>&"c"'d'\u0000\u0001\u001b\u007f\ud800e]]>`
    const report = makeReport({
      run: makeRun({ name: nasty }),
      reason: nasty,
      findings: [
        {
          id: '1',
          type: 'sqli',
          threat: 90,
          method: 'GET',
          domain: nasty,
          path: `/p?${nasty}`,
          parameter: nasty
        }
      ]
    })
    const xml = buildJunit(report)
    for (const ch of ['\u0000', '\u0001', '\u001b', '\ud800']) expect(xml).not.toContain(ch)
    const { suite, cases } = parse(xml)
    const clean = `a<b>&"c"'d'\u007fe]]>`
    expect(suite['@_name']).toBe(`Wallarm FAST: ${clean}`)
    expect(cases[0]?.['@_classname']).toBe(clean)
    expect(cases[0]?.['@_name']).toBe(`sqli GET /p?${clean} [${clean}]`)
    expect(cases[0]?.failure?.['#text']).toContain(`Parameter: ${clean}`)
  })

  it('keeps summary-only findings apart', () => {
    const report = makeReport({
      findingsSource: 'summary',
      findings: [
        { id: '1', type: 'xss', threat: 50, code: 'S1' },
        { id: '2', type: 'xss', threat: 50, code: 'S2' }
      ]
    })
    const { cases } = parse(buildJunit(report))
    expect(cases.map((c) => c['@_name'])).toEqual(['xss (vulnerability 1)', 'xss (vulnerability 2)'])
    expect(cases[0]?.['@_classname']).toBe('xss')
  })
})

describe('XML escaping', () => {
  it('escapes text and attributes', () => {
    expect(xmlText('a<b>&c\u0000')).toBe('a&lt;b&gt;&amp;c')
    expect(xmlAttr(`"'\n\t`)).toBe('&quot;&apos;&#10;&#9;')
  })
})
