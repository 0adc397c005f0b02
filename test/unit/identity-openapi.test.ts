/**
 * Issue 23, "the spec's template in the finding's identity": with `openapi`, the path part of a finding's
 * identity is the template of the operation it matches (server prefix included); a tie or no match keeps
 * the id rule; entries written before (concrete paths, `{id}` templates) still match; and a template's
 * parameter names never decide (`/users/{id}` is `/users/{userId}`).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PathTemplateResolver } from '../../src/common/path-template.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import type { Finding } from '../../src/report/model.js'
import { buildSarif, fingerprint } from '../../src/report/sarif.js'
import { mergeBaseline, type Baseline, type BaselineEntry } from '../../src/triage/baseline.js'
import { decideStatuses, type TriageRules } from '../../src/triage/decide.js'
import { identityKey, identityOf } from '../../src/triage/identity.js'
import { ignoreMatches, parseIgnoreFile } from '../../src/triage/ignore.js'
import { loadTriageRules } from '../../src/triage/load.js'
import { createMatcher, loadApiDescription, pathTemplateResolver } from '../../src/openapi/index.js'
import { readSettings } from '../../src/inputs/settings.js'
import { workspaceWith } from '../openapi/helpers.js'
import { runReport, triageRules } from '../support/fixtures.js'

const ok = "{ responses: { '200': { description: ok } } }"
const SPEC = [
  'openapi: 3.0.3',
  'info: { title: shop, version: "1" }',
  'servers: [{ url: "https://api.example.com/v1" }]',
  'paths:',
  '  /users/{userId}:',
  `    get: ${ok}`,
  '  /users/me:',
  `    get: ${ok}`,
  '  /users/{userId}/orders/{orderId}:',
  `    get: ${ok}`,
  '  /files/{name}:',
  `    get: ${ok}`,
  '  /files/{fileId}:',
  `    get: ${ok}`
].join('\n')

const workspace = workspaceWith({ 'api/openapi.yaml': SPEC })
const resolve: PathTemplateResolver = pathTemplateResolver(
  createMatcher(loadApiDescription({ file: 'api/openapi.yaml', workspace }).operations)
)

const NOW = Date.parse('2026-03-10T12:00:00Z')
const DAY = '2026-03-10'
const at = (path: string, extra: Partial<Finding> = {}): Finding => ({
  id: String(7000 + path.length),
  type: 'sqli',
  threat: 80,
  method: 'GET',
  domain: 'shop.test',
  path,
  parameter: 'q',
  ...extra
})
const entry = (over: Partial<BaselineEntry>): BaselineEntry => ({
  type: 'sqli',
  method: 'GET',
  domain: 'shop.test',
  parameter: 'q',
  first_seen: '2026-01-01',
  last_seen: '2026-01-01',
  ...over
})
const baseline = (...entries: BaselineEntry[]): Baseline => ({ version: 1, entries })
const rules = (over: Partial<TriageRules> = {}): TriageRules => triageRules(NOW, { resolve, ...over })
const statusOf = (f: Finding, over: Partial<TriageRules>): string | undefined =>
  decideStatuses([f], rules(over)).findings[0]?.decision?.status

describe('the spec’s template is the path of the identity', () => {
  it('a finding’s path becomes its operation’s template, with the server prefix', () => {
    expect(identityOf(at('/v1/users/alice'), resolve).path).toBe('/v1/users/{userId}')
    expect(identityOf(at('/v1/users/7/orders/9'), resolve).path).toBe('/v1/users/{userId}/orders/{orderId}')
    // Two users that the id rule cannot tell are ids are one identity by the spec.
    expect(identityKey(at('/v1/users/alice'), resolve)).toBe(identityKey(at('/v1/users/bob'), resolve))
    expect(identityKey(at('/v1/users/alice'))).not.toBe(identityKey(at('/v1/users/bob')))
  })

  it('a literal segment wins: /users/me is its own operation, not /users/{userId}', () => {
    expect(identityOf(at('/v1/users/me'), resolve).path).toBe('/v1/users/me')
    expect(identityKey(at('/v1/users/me'), resolve)).not.toBe(identityKey(at('/v1/users/alice'), resolve))
  })

  it('a tie or no match falls back to the id rule', () => {
    // /files/{name} and /files/{fileId} tie for /v1/files/x: reported as a tie, never guessed.
    expect(identityOf(at('/v1/files/report-2026'), resolve).path).toBe('/v1/files/report-2026')
    expect(identityOf(at('/v1/files/123'), resolve).path).toBe('/v1/files/{id}')
    // Outside the server prefix, and another method: no operation.
    expect(identityOf(at('/users/alice'), resolve).path).toBe('/users/alice')
    expect(identityOf(at('/v1/users/7', { method: 'DELETE' }), resolve).path).toBe('/v1/users/{id}')
  })

  it('parameter names never decide: /users/{id}, /users/{uid} and /users/{userId} are one identity', () => {
    const spec = identityKey(at('/v1/users/7'), resolve)
    expect(identityKey(at('/v1/users/{id}'))).toBe(spec)
    expect(identityKey(at('/v1/users/{uid}'))).toBe(spec)
    expect(identityKey(at('/v1/users/{userId}'))).toBe(spec)
    // Without the spec, the id rule's identity of the same finding is the same key: a SARIF alert
    // survives turning openapi on.
    expect(identityKey(at('/v1/users/7'))).toBe(spec)
    expect(fingerprint(at('/v1/users/7'))).toBe(fingerprint(at('/v1/users/8'), resolve))
    // Literals still decide.
    expect(identityKey(at('/v1/users/{id}/orders'))).not.toBe(identityKey(at('/v1/users/{id}/carts')))
  })
})

describe('baseline and ignore entries written before still match', () => {
  it.each([
    ['a concrete path', '/v1/users/7'],
    ['another concrete user', '/v1/users/alice'],
    ['the id rule’s template', '/v1/users/{id}'],
    ['the spec’s template', '/v1/users/{userId}'],
    ['another parameter name', '/v1/users/{uid}']
  ])('a baseline entry with %s (%s) covers the finding at /v1/users/bob', (_what, path) => {
    const known = baseline(entry({ path }))
    expect(statusOf(at('/v1/users/bob'), { baseline: known })).toBe('known')
    expect(decideStatuses([at('/v1/users/bob')], rules({ baseline: known })).unobserved).toEqual([])
  })

  it('without the spec, an entry written with the spec’s template covers an id path (one rule for names)', () => {
    const known = baseline(entry({ path: '/v1/users/{userId}' }))
    expect(statusOf(at('/v1/users/42'), { baseline: known, resolve: undefined })).toBe('known')
    // A user name is no id: without the spec nothing says it is /users/{userId}.
    expect(statusOf(at('/v1/users/bob'), { baseline: known, resolve: undefined })).toBe('new')
  })

  it('an entry for /users/me does not cover /users/{userId}, nor the other way round', () => {
    expect(statusOf(at('/v1/users/bob'), { baseline: baseline(entry({ path: '/v1/users/me' })) })).toBe('new')
    expect(statusOf(at('/v1/users/me'), { baseline: baseline(entry({ path: '/v1/users/{id}' })) })).toBe(
      'new'
    )
  })

  it('ignore paths: concrete, {id}, the spec’s template or a glob match a finding of the operation', () => {
    const entries = parseIgnoreFile(
      [
        'ignore:',
        '  - path: /v1/users/7',
        '    reason: r',
        '  - path: /v1/users/{id}',
        '    reason: r',
        '  - path: /v1/users/{userId}',
        '    reason: r',
        '  - path: /v1/users/*',
        '    reason: r',
        '  - path: /v1/users/me',
        '    reason: r',
        '  - path: /v1/users/a*',
        '    reason: r'
      ].join('\n'),
      'i.yml'
    )
    const [concrete, idRule, spec, glob, me, prefix] = entries
    for (const e of [concrete!, idRule!, spec!, glob!])
      expect(ignoreMatches(e, at('/v1/users/bob'), resolve)).toBe(true)
    expect(ignoreMatches(me!, at('/v1/users/bob'), resolve)).toBe(false)
    // A glob keeps its meaning: the spec never widens `a*` to every user.
    expect(ignoreMatches(prefix!, at('/v1/users/alice'), resolve)).toBe(true)
    expect(ignoreMatches(prefix!, at('/v1/users/bob'), resolve)).toBe(false)
    // Without the spec: the id rule, names aside.
    expect(ignoreMatches(spec!, at('/v1/users/42'))).toBe(true)
    expect(ignoreMatches(concrete!, at('/v1/users/bob'))).toBe(false)
    // Through the decision too.
    expect(statusOf(at('/v1/users/bob'), { ignore: [concrete!] })).toBe('ignored')
  })

  it('Wallarm’s triage of another vulnerability of the operation applies', () => {
    const fp = at('/v1/users/alice', { id: '900', status: 'falsepositive' })
    expect(statusOf(at('/v1/users/bob'), { wallarm: [fp] })).toBe('triaged')
    expect(statusOf(at('/v1/users/bob'), { wallarm: [fp], resolve: undefined })).toBe('new')
  })

  it('the merged baseline records the spec’s template, and an old entry is found again, not added twice', () => {
    const merged = mergeBaseline(
      baseline(entry({ path: '/v1/users/7' })),
      [at('/v1/users/bob'), at('/v1/users/3/orders/4')],
      DAY,
      resolve
    )
    expect(merged.entries).toEqual([
      entry({ path: '/v1/users/{userId}/orders/{orderId}', first_seen: DAY, last_seen: DAY }),
      entry({ path: '/v1/users/7', last_seen: DAY })
    ])
  })
})

describe('the reports carry the spec’s identity', () => {
  const report = runReport({ findings: [at('/v1/users/alice'), at('/v1/users/bob', { id: '2' })] })

  it('SARIF: one fingerprint for the operation’s findings', () => {
    const results = buildSarif(report, { toolVersion: '1.0.0', resolve }).runs[0].results ?? []
    const prints = results.map((r) => r.partialFingerprints?.['wallarmFast/v1'])
    expect(prints[0]).toBe(fingerprint(at('/v1/users/x'), resolve))
    expect(prints[1]).toBe(prints[0])
    const without = buildSarif(report, { toolVersion: '1.0.0' }).runs[0].results ?? []
    expect(without[0]?.partialFingerprints?.['wallarmFast/v1']).not.toBe(prints[0])
  })

  it('JSON report: the identity, and the template it used', () => {
    const json = buildJsonReport(report, { generatedAt: 'now', toolVersion: '1.0.0', legName: '', resolve })
    expect(json.findings[0]?.identity).toBe(json.findings[1]?.identity)
    expect(json.findings[0]?.pathTemplate).toBe('/v1/users/{userId}')
    const plain = buildJsonReport(report, { generatedAt: 'now', toolVersion: '1.0.0', legName: '' })
    expect(plain.findings[0]?.pathTemplate).toBeUndefined()
    expect(plain.findings[0]?.identity).not.toBe(json.findings[0]?.identity)
  })

  it('the rules loaded with openapi carry the resolver; without it, none', () => {
    const settings = (inputs: Record<string, string>) =>
      readSettings((n) => ({ mode: 'wait', token: 't', 'test-run-id': '5', ...inputs })[n] ?? '', {
        RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'id-openapi-'))
      })
    const loaded = loadTriageRules(settings({ openapi: 'api/openapi.yaml' }), workspace)
    expect(loaded.resolve?.({ method: 'GET', path: '/v1/users/alice' })).toBe('/v1/users/{userId}')
    expect(loadTriageRules(settings({}), workspace).resolve).toBeUndefined()
  })
})
