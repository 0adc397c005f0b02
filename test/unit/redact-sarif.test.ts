/**
 * Recorded credentials never reach code scanning or the annotations: not from a finding's exploit
 * example, and not from its own fields (a path with `?token=`, a title or description that quotes a
 * header), with or without `openapi` placing the finding in the spec.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeReports } from '../../src/action/files.js'
import { createMatcher, loadApiDescription, locateFinding } from '../../src/openapi/index.js'
import { buildAnnotations } from '../../src/report/annotations.js'
import type { Finding } from '../../src/report/model.js'
import { redactField } from '../../src/report/redact.js'
import { buildSarif, fingerprint, type LocateFinding } from '../../src/report/sarif.js'
import { FIXTURES } from '../openapi/helpers.js'
import { runReport } from '../support/fixtures.js'
import { RECORDED, RECORDED_SECRETS } from '../support/recorded.js'
import { sarifValidator } from '../support/sarif-schema.js'

const FIELD_SECRETS = [
  'path-token-SECRET',
  'title-bearer-SECRET',
  'title-cookie-SECRET',
  'desc-apikey-SECRET'
]
const SECRETS = [...RECORDED_SECRETS, ...FIELD_SECRETS]

const FINDINGS: Finding[] = [
  {
    id: '7001',
    type: 'sqli',
    threat: 90,
    method: 'GET',
    domain: 'api.example.com',
    path: '/v1/users/7?token=path-token-SECRET&q=1',
    parameter: 'q',
    title: 'SQL injection with Authorization: Bearer title-bearer-SECRET and Cookie: sid=title-cookie-SECRET',
    description: 'Sent with X-Api-Key: desc-apikey-SECRET',
    exploitExample: RECORDED
  },
  {
    id: '7002',
    type: 'xss',
    threat: 60,
    method: 'GET',
    domain: 'api.example.com',
    path: '/nowhere?access_token=path-token-SECRET',
    parameter: 'name',
    exploitExample: RECORDED
  }
]

const locate: LocateFinding = (() => {
  const matcher = createMatcher(
    loadApiDescription({ file: 'split/openapi.yaml', workspace: FIXTURES }).operations
  )
  return (f) => (f.method && f.path ? locateFinding(matcher, f.method, f.path) : undefined)
})()

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text, s).not.toContain(s)
}

describe('SARIF and annotations: no recorded credential, from the exploit example or the finding’s fields', () => {
  it('the SARIF file written with openapi: none, and still valid, located and fingerprinted as before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redact-sarif-'))
    const written = writeReports(runReport({ findings: FINDINGS, mode: 'stop', conclusion: 'failed' }), {
      env: { RUNNER_TEMP: dir },
      sarif: true,
      toolVersion: '1',
      legName: '',
      now: new Date(0),
      locate
    })
    const text = readFileSync(written.sarifPath!, 'utf8')
    expectNoSecret(text)
    const log = JSON.parse(text) as ReturnType<typeof buildSarif>
    expect(sarifValidator()(log)).toEqual([])
    const [user, nowhere] = log.runs[0].results ?? []
    expect(user?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe('split/paths/users.yaml')
    expect(user?.message.text).toContain('in GET /v1/users/7?token=***&q=1, parameter q')
    expect(user?.message.text).toContain('Authorization: Bearer ***')
    expect(user?.properties?.path).toBe('/v1/users/7?token=***&q=1')
    expect(nowhere?.webRequest?.target).toBe('api.example.com/nowhere?access_token=***')
    // The identity is the finding's own, not its redacted form: alerts and baselines keep matching.
    expect(user?.partialFingerprints?.['wallarmFast/v1']).toBe(fingerprint(FINDINGS[0]!))
  })

  it('buildSarif without openapi: none', () => {
    expectNoSecret(JSON.stringify(buildSarif(runReport({ findings: FINDINGS }), { toolVersion: '1' })))
  })

  it('annotations: none; the path shown redacted', () => {
    const { annotations } = buildAnnotations(runReport({ findings: FINDINGS, failed: true }))
    expectNoSecret(JSON.stringify(annotations))
    expect(annotations.map((a) => a.message).join('\n')).toContain('api.example.com/v1/users/7?token=***&q=1')
  })
})

describe('redactField', () => {
  it('masks a credential header quoted in a line of prose, and leaves prose that only looks like one', () => {
    expect(redactField('Leak of Authorization: Bearer abc.def')).toBe('Leak of Authorization: Bearer ***')
    expect(redactField('sent (Cookie: sid=abc; theme=dark)')).toBe('sent (Cookie: sid=***; theme=***')
    expect(redactField('with X-Auth-Token: abc')).toBe('with X-Auth-Token: ***')
    expect(redactField('Missing key: id, see Note: x')).toBe('Missing key: id, see Note: x')
  })

  it('keeps the finding’s parameter, and never cuts', () => {
    expect(redactField('/login?token=attack&password=p', { parameter: 'token' })).toBe(
      '/login?token=attack&password=***'
    )
    const long = `/a?q=${'x'.repeat(10_000)}`
    expect(redactField(long)).toBe(long)
  })
})
