/**
 * An exploit example is recorded traffic: no report publishes the credentials it carries, and every
 * report that shows it keeps the finding's own parameter readable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeReports } from '../../src/action/files.js'
import { buildAnnotations } from '../../src/report/annotations.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import { buildJunit } from '../../src/report/junit.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import { redactExploit } from '../../src/report/redact.js'
import { buildSarif } from '../../src/report/sarif.js'
import { runReport } from '../support/fixtures.js'
import { RECORDED, RECORDED_SECRETS } from '../support/recorded.js'

const CURL =
  "curl 'https://app.local/api/profile?access_token=curl-query-SECRET&name=%3Cscript%3E' " +
  "-H 'Authorization: Bearer curl-bearer-SECRET' -H 'Cookie: session=curl-cookie-SECRET'"
const CURL_SECRETS = ['curl-query-SECRET', 'curl-bearer-SECRET', 'curl-cookie-SECRET']
const ALL_SECRETS = [...RECORDED_SECRETS, ...CURL_SECRETS]

const FINDINGS: Finding[] = [
  {
    id: '7001',
    type: 'sqli',
    threat: 90,
    method: 'POST',
    domain: 'app.local',
    path: '/api/search',
    parameter: 'q',
    exploitExample: RECORDED
  },
  {
    id: '7002',
    type: 'xss',
    threat: 60,
    method: 'GET',
    domain: 'app.local',
    path: '/api/profile',
    parameter: 'name',
    exploitExample: CURL
  },
  // Set aside by a rule: JUnit still shows it, as a skipped case.
  {
    id: '7003',
    type: 'sqli',
    threat: 80,
    method: 'POST',
    domain: 'app.local',
    path: '/api/other',
    parameter: 'token',
    exploitExample: RECORDED,
    decision: { status: 'ignored', counted: false, inBaseline: false, reason: 'accepted' }
  }
]

const report = (over: Partial<RunReport> = {}): RunReport => runReport({ findings: FINDINGS, ...over })

function expectNoSecret(text: string, secrets: readonly string[] = ALL_SECRETS): void {
  for (const s of secrets) expect(text, s).not.toContain(s)
}

describe('exploit examples, redacted in every report that publishes them', () => {
  it('JUnit: no Authorization, Cookie or ?token= value; the finding’s parameter stays', () => {
    const xml = buildJunit(report())
    expectNoSecret(xml)
    expect(xml).toContain('Authorization: Bearer ***')
    expect(xml).toContain('q=%27%20OR%201%3D1--')
    expect(xml).toContain("q=' OR 1=1 --")
    expect(xml).toContain('name=%3Cscript%3E')
  })

  it('JSON report: the redacted form, the parameter kept, per finding', () => {
    const json = buildJsonReport(report(), { generatedAt: 'now', toolVersion: '1', legName: '' })
    expectNoSecret(JSON.stringify({ ...json, findings: json.findings.slice(0, 2) }))
    expectNoSecret(
      JSON.stringify(json.findings[2]),
      ALL_SECRETS.filter((s) => s !== 'tok-QUERY-4711')
    )
    expect(json.findings.map((f) => f.exploitExample)).toEqual([
      redactExploit(RECORDED, { parameter: 'q' }),
      redactExploit(CURL, { parameter: 'name' }),
      redactExploit(RECORDED, { parameter: 'token' })
    ])
    // The ignored finding is about `token`: its value is the attack, and stays.
    expect(json.findings[2]?.exploitExample).toContain('token=tok-QUERY-4711')
  })

  it('SARIF and annotations never carry them', () => {
    expectNoSecret(JSON.stringify(buildSarif(report(), { toolVersion: '1' })))
    expectNoSecret(JSON.stringify(buildAnnotations(report())))
  })
})

describe('writeReports', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('masks the action’s token in every file it writes, wherever the API put it', () => {
    const token = 'fast-node-token-0123456789'
    const dir = mkdtempSync(join(tmpdir(), 'wallarm-reports-'))
    dirs.push(dir)
    const findings: Finding[] = [
      {
        id: '1',
        type: 'sqli',
        threat: 90,
        method: 'GET',
        path: '/a',
        parameter: 'q',
        title: `echoed ${token}`,
        exploitExample: `GET /a?q=${token} HTTP/1.1`
      }
    ]
    const written = writeReports(report({ findings, mode: 'stop', conclusion: 'failed' }), {
      env: { RUNNER_TEMP: dir },
      sarif: true,
      toolVersion: '1',
      legName: '',
      now: new Date(0),
      secrets: [token]
    })
    const files = [written.reportPath, written.sarifPath, written.junitPath]
    expect(files.every((f) => f !== undefined)).toBe(true)
    for (const file of files) {
      const text = readFileSync(file!, 'utf8')
      expect(text, file).not.toContain(token)
      expect(text, file).toContain('***')
    }
    expect(() => {
      JSON.parse(readFileSync(written.reportPath, 'utf8'))
      JSON.parse(readFileSync(written.sarifPath!, 'utf8'))
    }).not.toThrow()
  })
})
