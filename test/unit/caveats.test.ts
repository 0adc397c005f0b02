import { describe, expect, it } from 'vitest'
import { stopOnFirstFailCaveat, type RulesPresent } from '../../src/inputs/caveats.js'

const none: RulesPresent = {
  baselineFile: '.github/wallarm-fast-baseline.json',
  baselineMissing: true,
  ignoreFile: '.github/wallarm-fast-ignore.yml',
  ignoreMissing: true
}
const settings = {
  mode: 'scan',
  stopOnFirstFail: true,
  failOn: 'vulnerabilities',
  exclude: [] as unknown[],
  minThreat: 1
} as const

describe('stop-on-first-fail with rules that set findings aside', () => {
  it('warns, naming each rule, and says the run is then inconclusive', () => {
    const w = stopOnFirstFailCaveat(
      { ...settings, failOn: 'new-vulnerabilities', exclude: ['x'], minThreat: 40 },
      { ...none, baselineMissing: false, ignoreMissing: false }
    )
    expect(w).toContain(
      'With fail-on: new-vulnerabilities with the baseline file .github/wallarm-fast-baseline.json, ' +
        'the ignore file .github/wallarm-fast-ignore.yml, exclude, min-threat 40, that first finding'
    )
    expect(w).toContain('inconclusive, never passed')
    expect(w).toContain('Leave stop-on-first-fail false')
  })

  it.each([
    ['fail-on: new-vulnerabilities without a baseline file', { failOn: 'new-vulnerabilities' }, none],
    ['an ignore file', {}, { ...none, ignoreMissing: false }],
    ['exclude', { exclude: ['x'] }, none],
    ['min-threat above 1', { minThreat: 2 }, none]
  ] as const)('warns with %s alone', (_, change, rules) => {
    expect(stopOnFirstFailCaveat({ ...settings, ...change }, rules)).toMatch(/^Input "stop-on-first-fail"/)
  })

  it('says nothing when every finding counts, without stop-on-first-fail, or where the step creates no run', () => {
    // With fail-on: vulnerabilities a known finding counts: the run fails on it, untested rest or not.
    expect(stopOnFirstFailCaveat(settings, { ...none, baselineMissing: false })).toBeUndefined()
    const rules = { ...none, ignoreMissing: false }
    expect(stopOnFirstFailCaveat({ ...settings, stopOnFirstFail: false }, rules)).toBeUndefined()
    for (const mode of ['stop', 'wait', 'summarize'] as const)
      expect(stopOnFirstFailCaveat({ ...settings, mode }, rules)).toBeUndefined()
    for (const mode of ['record', 'reuse', 'scan'] as const)
      expect(stopOnFirstFailCaveat({ ...settings, mode }, rules)).toBeDefined()
  })
})
