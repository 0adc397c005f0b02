import { mkdtempSync, writeFileSync } from 'node:fs'
import { docsIgnoreFileBlocks, docsText } from '../support/readme-workflows.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/report/model.js'
import { fingerprint } from '../../src/report/sarif.js'
import {
  EMPTY_BASELINE,
  formatBaseline,
  mergeBaseline,
  parseBaseline,
  readBaseline,
  type Baseline
} from '../../src/triage/baseline.js'
import { expiryOn, isDate } from '../../src/triage/dates.js'
import { decideStatuses, type TriageRules } from '../../src/triage/decide.js'
import { triageFileError, triageRules } from '../support/fixtures.js'
import { excludedBy, parseExclude } from '../../src/triage/exclude.js'
import { identityKey } from '../../src/triage/identity.js'
import { ignoreMatches, parseIgnoreFile, readIgnoreFile } from '../../src/triage/ignore.js'
import { InputError } from '../../src/inputs/parse.js'
import { createHash } from 'node:crypto'

const GET_SHOP = { method: 'GET', domain: 'shop.test' } as const
const NOW = Date.parse('2026-03-10T12:00:00Z')
const at = (path: string, extra: Partial<Finding> = {}): Finding => ({
  id: String(7000 + path.length),
  type: 'sqli',
  threat: 80,
  ...GET_SHOP,
  path,
  parameter: 'q',
  ...extra
})

describe('identity', () => {
  it('is what the SARIF fingerprint hashes, without the id', () => {
    const f = at('/search', { type: 'SQLi', method: 'get', domain: 'Shop.Test' })
    expect(identityKey(f)).toBe('sqli|GET|shop.test|/search|q')
    expect(fingerprint(f)).toBe(createHash('sha256').update('sqli|GET|shop.test|/search|q').digest('hex'))
    const other: Finding = { ...f, id: '2' }
    expect(identityKey(other)).toBe(identityKey(f))
    expect(identityKey({ type: 'xss', code: 'X1' })).toBe('xss|X1')
  })
})

describe('exclude', () => {
  it('reads methods and a regex matched against the whole path', () => {
    const rules = parseExclude('POST ^/logout$\n# a comment\n\nDELETE,put .*\n/admin/.*')
    expect(rules.map((r) => r.methods)).toEqual([['POST'], ['DELETE', 'PUT'], undefined])
    expect(excludedBy(rules, 'POST', '/logout')?.text).toBe('POST ^/logout$')
    expect(excludedBy(rules, 'GET', '/logout')).toBeUndefined()
    expect(excludedBy(rules, 'post', '/logout?next=/')?.text).toBe('POST ^/logout$')
    expect(excludedBy(rules, 'DELETE', '/cart/1')?.text).toBe('DELETE,put .*')
    expect(excludedBy(rules, 'GET', '/admin/users')?.text).toBe('/admin/.*')
    // The whole path: /admin/.* does not match /x/admin/y.
    expect(excludedBy(rules, 'GET', '/x/admin/y')).toBeUndefined()
  })

  it('names the input, the line and what is allowed', () => {
    expect(() => parseExclude('FETCH /x')).toThrow(InputError)
    expect(() => parseExclude('FETCH /x')).toThrow(
      /Input "exclude" has the value "FETCH \/x": "FETCH" is not an HTTP method/
    )
    expect(() => parseExclude('GET /a(')).toThrow(/not a valid regular expression.*POST \^\/logout\$/)
  })

  it.each(['.*', '/.*', '.+', '^/.*$', 'GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS,TRACE,CONNECT .*'])(
    'refuses %j, which takes every endpoint out of scope',
    (rule) => {
      expect(() => parseExclude(`POST ^/logout$\n${rule}`)).toThrow(
        `Input "exclude" has the value "${rule}": it matches every path with every method, so nothing would be tested`
      )
    }
  )

  it('keeps a rule that matches every path for some methods, or some paths for every method', () => {
    expect(parseExclude('DELETE .*\n/admin/.*\nGET,POST /.*').map((r) => r.text)).toEqual([
      'DELETE .*',
      '/admin/.*',
      'GET,POST /.*'
    ])
  })
})

describe('expiry (injected clock)', () => {
  it('covers through the day it expires, warns 14 days ahead', () => {
    expect(expiryOn(undefined, '2026-03-10')).toBe('none')
    expect(expiryOn('2026-03-10', '2026-03-10')).toBe('soon')
    expect(expiryOn('2026-03-09', '2026-03-10')).toBe('expired')
    expect(expiryOn('2026-03-24', '2026-03-10')).toBe('soon')
    expect(expiryOn('2026-03-25', '2026-03-10')).toBe('active')
    expect(isDate('2026-02-30')).toBe(false)
    expect(isDate('2026-2-3')).toBe(false)
  })
})

describe('ignore file', () => {
  const text = [
    'ignore:',
    '  - type: xss',
    '    path: /api/**',
    '    reason: escaped by the templates',
    '    ticket: SEC-12',
    '    expires: 2026-04-30',
    '  - id: 7001',
    '    reason: false alarm on the demo'
  ].join('\n')

  it('reads entries with their lines; every named field must match', () => {
    const entries = parseIgnoreFile(text, 'ig.yml')
    expect(entries).toEqual([
      {
        type: 'xss',
        path: '/api/**',
        reason: 'escaped by the templates',
        ticket: 'SEC-12',
        expires: '2026-04-30',
        line: 2
      },
      { id: '7001', reason: 'false alarm on the demo', line: 7 }
    ])
    const [xss, byId] = entries as [NonNullable<(typeof entries)[0]>, NonNullable<(typeof entries)[0]>]
    expect(ignoreMatches(xss, at('/api/v1/x', { type: 'XSS' }))).toBe(true)
    expect(ignoreMatches(xss, at('/api/v1/x'))).toBe(false) // type differs
    expect(ignoreMatches(xss, at('/shop/x', { type: 'xss' }))).toBe(false) // path differs
    expect(ignoreMatches(byId, { id: '7001', type: 'sqli', threat: 80 })).toBe(true)
    expect(ignoreMatches(byId, { id: '7002', type: 'sqli', threat: 80 })).toBe(false)
  })

  it.each([
    [
      'ignore:\n  - type: xss\n    reson: typo\n    reason: x',
      3,
      /unknown key "reson": allowed are type, method, domain, path, parameter, id, reason, ticket, expires/
    ],
    ['ignore:\n  - type: xss\n    ticket: SEC-1', 2, /entry 1 has no "reason"/],
    [
      'ignore:\n  - type: xss\n    reason: r\n  - type: rce\n    reason: r\n    expires: 2026-13-01',
      4,
      /entry 2: "expires" is "2026-13-01": expected a date written YYYY-MM-DD/
    ],
    ['ignore:\n  - reason: everything', 2, /matches everything/],
    [
      'ignore:\n  - type: xss\n    reason: r\n  - path: "**"\n    reason: all of it',
      4,
      /entry 2 matches everything: "path" is "\*\*", which matches every path; name a narrower path, or one of type, method/
    ],
    ['ignore:\n  - path: /**\n    reason: all of it', 2, /entry 1 matches everything: "path" is "\/\*\*"/],
    ['ignores:\n  - type: xss', 1, /unknown key "ignores": the only key allowed is ignore/],
    ['ignore:\n  - type: [xss\n', 3, /not valid YAML/],
    ['ignore:\n  - type: xss\n    reason: r\n    id: abc', 2, /"id" is "abc"/]
  ])('rejects %j at line %i', (body, line, message) => {
    const err = triageFileError(() => parseIgnoreFile(body, '.github/wallarm-fast-ignore.yml'))
    expect(err.line).toBe(line)
    expect(err.message).toMatch(/^\.github\/wallarm-fast-ignore\.yml:\d+: /)
    expect(err.message).toMatch(message)
  })

  it('a missing or empty file has no entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ignore-'))
    expect(readIgnoreFile(join(dir, 'none.yml'))).toEqual({ entries: [], missing: true })
    writeFileSync(join(dir, 'empty.yml'), '# nothing yet\n')
    expect(readIgnoreFile(join(dir, 'empty.yml'))).toEqual({ entries: [], missing: false })
  })
})

describe("the docs' examples", () => {
  const root = join(import.meta.dirname, '..', '..')
  const docs = docsText(root)

  it('the ignore file is one the action reads', () => {
    const blocks = docsIgnoreFileBlocks(root)
    expect(blocks.length).toBe(1)
    for (const b of blocks) expect(parseIgnoreFile(b.text, `${b.file}:${b.line}`).length).toBeGreaterThan(0)
  })

  it('the baseline file is one the action reads', () => {
    const json = [...docs.matchAll(/```json\n(\{\n {2}"version": 1,[\s\S]*?)```/g)].map((m) => m[1]!)
    expect(json.length).toBeGreaterThanOrEqual(1)
    for (const text of json) expect(parseBaseline(text, 'docs/recipes.md').entries.length).toBeGreaterThan(0)
  })
})

describe('baseline file', () => {
  const good: Baseline = {
    version: 1,
    entries: [
      {
        type: 'sqli',
        ...GET_SHOP,
        path: '/search',
        parameter: 'q',
        first_seen: '2026-01-01',
        last_seen: '2026-02-01'
      }
    ]
  }

  it('a missing file is an empty baseline, and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baseline-'))
    expect(readBaseline(join(dir, 'none.json'))).toEqual({ baseline: EMPTY_BASELINE, missing: true })
  })

  it('round-trips and rejects bad entries with their line', () => {
    expect(parseBaseline(formatBaseline(good), 'b.json')).toEqual(good)
    const bad = formatBaseline({
      version: 1,
      entries: [...good.entries, { ...good.entries[0]!, path: '/x', expires: '31.03.2026' }]
    })
    const err = triageFileError(() => parseBaseline(bad, 'b.json'))
    expect(err.message).toMatch(
      /^b\.json:13: entry 2: "expires" is "31\.03\.2026": expected a date written YYYY-MM-DD/
    )
    expect(bad.split('\n')[12]).toContain('{')
    expect(triageFileError(() => parseBaseline('{"version":2,"entries":[]}', 'b.json')).message).toMatch(
      /"version" is 2: expected 1/
    )
    expect(
      triageFileError(() =>
        parseBaseline(
          '{"version":1,"entries":[{"type":"x","first_seen":"2026-01-01","last_seen":"2026-01-01","note":"n"}]}',
          'b.json'
        )
      ).message
    ).toMatch(/unknown key "note"/)
    expect(triageFileError(() => parseBaseline('nope', 'b.json')).message).toMatch(/not valid JSON/)
  })

  it("merges: known get last_seen, new are added, nothing is removed, people's fields stay", () => {
    const withReason: Baseline = {
      version: 1,
      entries: [
        { ...good.entries[0]!, reason: 'legacy', ticket: 'SEC-1' },
        { type: 'xss', code: 'X1', first_seen: '2026-01-01', last_seen: '2026-01-01' }
      ]
    }
    const merged = mergeBaseline(
      withReason,
      [at('/search', { id: '1' }), at('/cart', { id: '2', type: 'rce' })],
      '2026-03-10'
    )
    expect(merged.entries).toEqual([
      {
        type: 'rce',
        ...GET_SHOP,
        path: '/cart',
        parameter: 'q',
        first_seen: '2026-03-10',
        last_seen: '2026-03-10'
      },
      {
        type: 'sqli',
        ...GET_SHOP,
        path: '/search',
        parameter: 'q',
        first_seen: '2026-01-01',
        last_seen: '2026-03-10',
        reason: 'legacy',
        ticket: 'SEC-1'
      },
      { type: 'xss', code: 'X1', first_seen: '2026-01-01', last_seen: '2026-01-01' }
    ])
  })
})

describe('decideStatuses', () => {
  const rules = (over: Partial<TriageRules> = {}): TriageRules => triageRules(NOW, over)
  const entry = (path: string, extra = {}) => ({
    type: 'sqli',
    ...GET_SHOP,
    path,
    parameter: 'q',
    first_seen: '2026-01-01',
    last_seen: '2026-01-01',
    ...extra
  })
  const ignore = parseIgnoreFile(
    [
      'ignore:',
      '  - path: /ignored',
      '    reason: accepted risk',
      '    ticket: SEC-12',
      '    expires: 2026-06-01',
      '  - path: /old',
      '    reason: was accepted',
      '    expires: 2026-03-09',
      '  - path: /never',
      '    reason: nothing matches me',
      '  - path: /soon',
      '    reason: soon',
      '    expires: 2026-03-20'
    ].join('\n'),
    'i.yml'
  )

  it('gives each finding one status, and says what the rules did', () => {
    const findings = [
      at('/known'),
      at('/ignored'),
      at('/old'),
      at('/fp', { id: '9001' }),
      at('/logout', { method: 'POST' }),
      at('/fresh'),
      at('/stale'),
      at('/again', { id: '9100' })
    ]
    const out = decideStatuses(
      findings,
      rules({
        baseline: {
          version: 1,
          entries: [
            entry('/known'),
            entry('/stale', { expires: '2026-03-01', reason: 'old' }),
            entry('/gone'),
            entry('/fp')
          ]
        },
        ignore,
        exclude: parseExclude('POST ^/logout$'),
        wallarm: [
          {
            id: '5000',
            type: 'sqli',
            threat: 80,
            ...GET_SHOP,
            path: '/fp',
            parameter: 'q',
            status: 'falsepositive'
          },
          {
            id: '5001',
            type: 'sqli',
            threat: 80,
            ...GET_SHOP,
            path: '/again',
            parameter: 'q',
            status: 'closed'
          }
        ]
      })
    )
    const by = Object.fromEntries(out.findings.map((f) => [f.path, f.decision]))
    expect(by['/known']).toMatchObject({ status: 'known', counted: false, inBaseline: true })
    expect(by['/ignored']).toMatchObject({
      status: 'ignored',
      counted: false,
      reason: 'accepted risk',
      ticket: 'SEC-12'
    })
    expect(by['/old']).toMatchObject({
      status: 'expired',
      counted: true,
      expiredFrom: 'ignore',
      reason: 'was accepted',
      expires: '2026-03-09'
    })
    expect(by['/fp']).toMatchObject({
      status: 'triaged',
      counted: false,
      triagedVulnerabilityId: '5000',
      inBaseline: true
    })
    expect(by['/logout']).toMatchObject({
      status: 'out-of-scope',
      counted: false,
      reason: 'exclude: POST ^/logout$'
    })
    expect(by['/fresh']).toMatchObject({ status: 'new', counted: true, inBaseline: false })
    expect(by['/stale']).toMatchObject({
      status: 'expired',
      counted: true,
      expiredFrom: 'baseline',
      reason: 'old'
    })
    expect(by['/again']).toMatchObject({ status: 'new', counted: true, regressionOf: '5001' })
    expect(out.counts).toEqual({ new: 2, expired: 2, known: 1, ignored: 1, triaged: 1, 'out-of-scope': 1 })
    expect(out.unobserved.map((e) => e.path)).toEqual(['/gone'])
    expect(out.notices).toEqual([
      expect.stringContaining('i.yml:9 matched no finding'),
      expect.stringContaining('i.yml:11 matched no finding')
    ])
    expect(out.warnings).toEqual([expect.stringMatching(/i\.yml:11 expires on 2026-03-20/)])
  })

  it('known findings count with fail-on vulnerabilities', () => {
    const out = decideStatuses(
      [at('/known')],
      rules({ failOn: 'vulnerabilities', baseline: { version: 1, entries: [entry('/known')] } })
    )
    expect(out.findings[0]?.decision).toMatchObject({ status: 'known', counted: true })
  })

  it("a finding's own Wallarm status counts, by id", () => {
    const out = decideStatuses(
      [at('/a', { status: 'falsepositive' }), { id: '77', type: 'xss', threat: 50 }],
      rules({ wallarm: [{ id: '77', type: 'xss', threat: 50, status: 'falsepositive' }] })
    )
    expect(out.findings.map((f) => f.decision?.status)).toEqual(['triaged', 'triaged'])
  })

  it('an expiry is decided on the clock: the same rules a day later', () => {
    const b: Baseline = { version: 1, entries: [entry('/k', { expires: '2026-03-10' })] }
    expect(decideStatuses([at('/k')], rules({ baseline: b })).findings[0]?.decision?.status).toBe('known')
    expect(
      decideStatuses([at('/k')], rules({ baseline: b, nowMs: NOW + 86_400_000 })).findings[0]?.decision
        ?.status
    ).toBe('expired')
  })
})
