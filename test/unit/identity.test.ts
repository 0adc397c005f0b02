/**
 * Issue 21, roads 2, 3, 6, 7 and 10 at the unit level: one identity per weakness across runs, a finding
 * that cannot be told apart always counts, the merged baseline holds only what the gate counts or would
 * count, duplicate baseline entries are refused, and a byte-order mark is accepted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Finding, FindingStatus } from '../../src/report/model.js'
import { fingerprint } from '../../src/report/sarif.js'
import { renderSummary } from '../../src/report/summary.js'
import {
  EMPTY_BASELINE,
  formatBaseline,
  mergeBaseline,
  parseBaseline,
  readBaseline,
  type Baseline,
  type BaselineEntry
} from '../../src/triage/baseline.js'
import { decideStatuses, type TriageRules } from '../../src/triage/decide.js'
import { runReport, triageFileError, triageRules } from '../support/fixtures.js'
import { identityKey, identityOf } from '../../src/triage/identity.js'
import { ignoreMatches, parseIgnoreFile, readIgnoreFile } from '../../src/triage/ignore.js'

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
/** A finding known only from the run's summary: the details could not be read. */
const unlocated = (id: string, extra: Partial<Finding> = {}): Finding => ({
  id,
  type: 'sqli',
  threat: 80,
  code: 'S0001',
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
const rules = (over: Partial<TriageRules> = {}): TriageRules => triageRules(NOW, over)
const statuses = (findings: Finding[], over: Partial<TriageRules>): (FindingStatus | undefined)[] =>
  decideStatuses(findings, rules(over)).findings.map((f) => f.decision?.status)

describe('road 3: an id in the path is not part of the identity', () => {
  it('/users/123 and /users/456 are one identity, one SARIF fingerprint, shown as /users/{id}', () => {
    const a = at('/users/123/orders')
    const b = at('/users/456/orders')
    expect(identityKey(a)).toBe('sqli|GET|shop.test|/users/{id}/orders|q')
    expect(identityKey(b)).toBe(identityKey(a))
    expect(fingerprint(b)).toBe(fingerprint(a))
    expect(identityOf(a).path).toBe('/users/{id}/orders')
    // Words stay: /users/search is not /users/{id}.
    expect(identityKey(at('/users/search'))).not.toBe(identityKey(a))
  })

  it('an OpenAPI template resolver wins over the rule (its parameter names aside in the key)', () => {
    const resolve = (): string => '/users/{userId}/orders'
    expect(identityKey(at('/users/me/orders'), resolve)).toBe('sqli|GET|shop.test|/users/{id}/orders|q')
    expect(identityOf(at('/users/me/orders'), resolve).path).toBe('/users/{userId}/orders')
  })

  it('a baseline entry written with a concrete path covers the same finding at another id', () => {
    const known = baseline(entry({ path: '/users/123/orders' }))
    expect(statuses([at('/users/456/orders')], { baseline: known })).toEqual(['known'])
    expect(decideStatuses([at('/users/456/orders')], rules({ baseline: known })).unobserved).toEqual([])
  })

  it('an ignore entry written with a concrete path, or a glob, matches the finding at another id', () => {
    const [concrete, glob, prefix] = parseIgnoreFile(
      [
        'ignore:',
        '  - path: /users/123/orders',
        '    reason: r',
        '  - path: /users/*/orders',
        '    reason: r',
        '  - path: /users/1*/orders',
        '    reason: r'
      ].join('\n'),
      'i.yml'
    )
    expect(ignoreMatches(concrete!, at('/users/456/orders'))).toBe(true)
    expect(ignoreMatches(concrete!, at('/users/search/orders'))).toBe(false)
    expect(ignoreMatches(glob!, at('/users/456/orders'))).toBe(true)
    // A glob on the concrete path keeps its meaning.
    expect(ignoreMatches(prefix!, at('/users/123/orders'))).toBe(true)
    expect(ignoreMatches(prefix!, at('/users/456/orders'))).toBe(false)
  })

  it('the merge records a new finding under its template, and a concrete entry is found again, not added twice', () => {
    const merged = mergeBaseline(
      baseline(entry({ path: '/users/123/orders' })),
      [at('/users/456/orders'), at('/carts/987654')],
      DAY
    )
    expect(merged.entries).toEqual([
      entry({ path: '/carts/{id}', first_seen: DAY, last_seen: DAY }),
      entry({ path: '/users/123/orders', last_seen: DAY })
    ])
  })
})

describe('road 7: one identity, one baseline entry; nothing dropped by the merge', () => {
  it('two entries of one identity are refused, naming the file, the lines and the identity', () => {
    const text = formatBaseline(
      baseline(
        entry({ path: '/search' }),
        entry({ path: '/users/1', reason: 'old' }),
        entry({ path: '/users/2', reason: 'renewed', expires: '2026-12-31' })
      )
    )
    const err = triageFileError(() => parseBaseline(text, '.github/wallarm-fast-baseline.json'))
    expect(err.file).toBe('.github/wallarm-fast-baseline.json')
    expect(err.message).toMatch(/^\.github\/wallarm-fast-baseline\.json:\d+: entries 2 and 3 /)
    expect(err.message).toContain('sqli GET shop.test/users/{id} (q)')
    expect(err.message).toMatch(/keep one/)
    // Exactly the same entry twice, too.
    const twice = formatBaseline(baseline(entry({ path: '/a' }), entry({ path: '/a' })))
    expect(triageFileError(() => parseBaseline(twice, 'b.json')).message).toMatch(/entries 1 and 2/)
  })

  it('the merge keeps every entry it is given, the renewed one of a duplicate too', () => {
    // A file checked by parseBaseline has no duplicates; the merge drops nothing whatever it is given.
    const entries = [
      entry({ path: '/a', reason: 'first', expires: '2026-02-01' }),
      entry({ path: '/a', reason: 'renewed', expires: '2026-12-31' }),
      entry({ path: '/b', type: 'xss', ticket: 'SEC-1' }),
      { type: 'rce', code: 'R1', first_seen: '2026-01-01', last_seen: '2026-01-01' }
    ]
    const merged = mergeBaseline(baseline(...entries), [at('/a', { decision: decided('known') })], DAY)
    expect(merged.entries).toHaveLength(4)
    expect(merged.entries).toContainEqual({ ...entries[0], last_seen: DAY })
    expect(merged.entries).toContainEqual({ ...entries[1], last_seen: DAY })
    expect(merged.entries).toContainEqual(entries[2])
    expect(merged.entries).toContainEqual(entries[3])
  })
})

const decided = (status: FindingStatus): Finding['decision'] => ({
  status,
  counted: status === 'new' || status === 'expired',
  inBaseline: false
})

describe('road 6: the merged baseline holds what the gate counted or would count', () => {
  it('new, expired and known findings only; ignored, triaged and out-of-scope ones stay out', () => {
    const findings = (['new', 'expired', 'known', 'ignored', 'triaged', 'out-of-scope'] as const).map((s) =>
      at(`/${s}`, { decision: decided(s) })
    )
    const merged = mergeBaseline(baseline(entry({ path: '/known' })), findings, DAY)
    expect(merged.entries.map((e) => e.path)).toEqual(['/expired', '/known', '/new'])
  })

  it('an ignore entry’s expiry takes effect once the merged baseline is committed', () => {
    const ignoreUntil = (expires: string) =>
      parseIgnoreFile(`ignore:\n  - path: /legacy\n    reason: accepted\n    expires: ${expires}\n`, 'i.yml')
    // Run 1: ignored until the end of the month; the merged baseline is committed.
    const run1 = decideStatuses([at('/legacy')], rules({ ignore: ignoreUntil('2026-03-31') }))
    expect(run1.findings[0]!.decision?.status).toBe('ignored')
    const committed = parseBaseline(
      formatBaseline(mergeBaseline(EMPTY_BASELINE, run1.findings, DAY)),
      'b.json'
    )
    // Run 2, after the expiry: the finding counts again.
    const run2 = decideStatuses(
      [at('/legacy')],
      rules({
        baseline: committed,
        ignore: ignoreUntil('2026-03-31'),
        nowMs: Date.parse('2026-04-02T00:00:00Z')
      })
    )
    expect(run2.findings[0]!.decision).toMatchObject({ status: 'expired', counted: true })
    // Run 2's merged baseline committed in turn: the expired ignore entry does not become a known finding.
    const committed2 = parseBaseline(
      formatBaseline(mergeBaseline(committed, run2.findings, '2026-04-02')),
      'b.json'
    )
    expect(committed2.entries).toEqual([])
    const run3 = decideStatuses(
      [at('/legacy')],
      rules({
        baseline: committed2,
        ignore: ignoreUntil('2026-03-31'),
        nowMs: Date.parse('2026-04-03T00:00:00Z'),
        failOn: 'new-vulnerabilities'
      })
    )
    expect(run3.findings[0]!.decision).toMatchObject({ status: 'expired', counted: true })
  })
})

describe('road 2: a finding that cannot be told apart is never set aside', () => {
  it('a baseline entry of its type and code does not make it known; two of them stay two new findings', () => {
    const old = baseline({ type: 'sqli', code: 'S0001', first_seen: '2026-01-01', last_seen: '2026-01-01' })
    const outcome = decideStatuses([unlocated('1'), unlocated('2')], rules({ baseline: old }))
    expect(outcome.findings.map((f) => f.decision)).toEqual([
      { status: 'new', counted: true, inBaseline: false },
      { status: 'new', counted: true, inBaseline: false }
    ])
    expect(outcome.counts.new).toBe(2)
  })

  it('an ignore entry that does not name it by its id does not set it aside; one naming its id does', () => {
    const ignore = parseIgnoreFile(
      'ignore:\n  - type: sqli\n    reason: all sqli\n  - id: 2\n    reason: this one, this run\n',
      'i.yml'
    )
    expect(statuses([unlocated('1'), unlocated('2')], { ignore })).toEqual(['new', 'ignored'])
  })

  it('Wallarm’s triage of another vulnerability does not set it aside; its own status does', () => {
    const wallarm = [unlocated('90', { status: 'falsepositive' }), unlocated('91', { status: 'closed' })]
    const outcome = decideStatuses(
      [unlocated('1'), unlocated('2', { status: 'falsepositive' })],
      rules({ wallarm })
    )
    expect(outcome.findings.map((f) => f.decision?.status)).toEqual(['new', 'triaged'])
    expect(outcome.findings[0]!.decision?.regressionOf).toBeUndefined()
  })

  it('the merged baseline gets no entry for it (none could tell it apart)', () => {
    const merged = mergeBaseline(EMPTY_BASELINE, [unlocated('1', { decision: decided('new') })], DAY)
    expect(merged.entries).toEqual([])
  })

  it('the summary says how many, why, and what to do', () => {
    const findings = decideStatuses([unlocated('1'), unlocated('2'), at('/search')], rules()).findings
    const report = runReport({
      findings,
      findingsSource: 'summary',
      triage: {
        failOn: 'new-vulnerabilities',
        counts: decideStatuses(findings, rules()).counts,
        unobserved: [],
        baselineFile: 'b.json',
        baselineMissing: false,
        ignoreFile: 'i.yml'
      }
    })
    const summary = renderSummary(report, { now: NOW })
    expect(summary).toMatch(/2 vulnerabilities have no location/)
    expect(summary).toContain('could not be read')
    expect(summary).toContain('`api-token`')
    expect(summary).toMatch(/always count/)
  })
})

describe('road 10: a UTF-8 byte-order mark is accepted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bom-'))
  it('in the baseline file', () => {
    const file = join(dir, 'baseline.json')
    const known = baseline(entry({ path: '/search' }))
    writeFileSync(file, `\uFEFF${formatBaseline(known)}`)
    expect(readBaseline(file).baseline).toEqual(known)
  })

  it('in the ignore file', () => {
    const file = join(dir, 'ignore.yml')
    writeFileSync(file, '\uFEFFignore:\n  - path: /search\n    reason: r\n')
    expect(readIgnoreFile(file).entries).toEqual([{ path: '/search', reason: 'r', line: 2 }])
  })
})
