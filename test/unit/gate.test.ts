import { describe, expect, it } from 'vitest'
import { decide } from '../../src/gate.js'
import type { Finding } from '../../src/report/model.js'

const sqli: Finding = { id: '1', type: 'sqli', threat: 80 }
const info: Finding = { id: '2', type: 'info', threat: 10 }

describe('decide', () => {
  it('fails on counted vulnerabilities and says how many', () => {
    const d = decide({
      conclusion: 'failed',
      reason: 'x',
      failOn: 'vulnerabilities',
      minThreat: 1,
      findings: [sqli, info]
    })
    expect(d).toMatchObject({ conclusion: 'failed', failed: true, counted: 2 })
    expect(d.reason).toContain('2 vulnerabilities at or above threat 1')
  })

  it('passes a failed run whose findings are all below min-threat', () => {
    const d = decide({
      conclusion: 'failed',
      reason: 'x',
      failOn: 'vulnerabilities',
      minThreat: 50,
      findings: [info]
    })
    expect(d).toMatchObject({ conclusion: 'passed', failed: false, counted: 0 })
    expect(d.reason).toContain('below min-threat 50')
  })

  it('counts a finding of unknown threat (0): a gate must not pass what it cannot rate', () => {
    const unrated: Finding = { id: '3', type: 'sqli', threat: 0 }
    const d = decide({
      conclusion: 'failed',
      reason: 'x',
      failOn: 'vulnerabilities',
      minThreat: 50,
      findings: [unrated, info]
    })
    expect(d).toMatchObject({ conclusion: 'failed', failed: true, counted: 1 })
  })

  it('keeps a failed run with no findings listed as failed', () => {
    const d = decide({
      conclusion: 'failed',
      reason: 'why',
      failOn: 'vulnerabilities',
      minThreat: 50,
      findings: []
    })
    expect(d).toMatchObject({ conclusion: 'failed', failed: true, reason: 'why' })
  })

  it.each(['interrupted', 'timeout', 'error'] as const)(
    'fails on %s with fail-on vulnerabilities',
    (conclusion) => {
      expect(
        decide({ conclusion, reason: 'r', failOn: 'vulnerabilities', minThreat: 1, findings: [] }).failed
      ).toBe(true)
    }
  )

  it.each(['failed', 'interrupted', 'timeout'] as const)(
    'does not fail on %s with fail-on never',
    (conclusion) => {
      const d = decide({ conclusion, reason: 'r', failOn: 'never', minThreat: 1, findings: [sqli] })
      expect(d.failed).toBe(false)
      expect(d.conclusion).toBe(conclusion)
    }
  )

  it('fails on error even with fail-on never', () => {
    expect(
      decide({ conclusion: 'error', reason: 'r', failOn: 'never', minThreat: 1, findings: [] }).failed
    ).toBe(true)
  })

  it.each(['passed', 'recording', 'running', 'skipped'] as const)('never fails on %s', (conclusion) => {
    expect(
      decide({ conclusion, reason: 'r', failOn: 'vulnerabilities', minThreat: 1, findings: [] }).failed
    ).toBe(false)
  })
})

describe('decide: the findings decide, whatever the state says', () => {
  const found: Finding = { id: '1', type: 'sqli', threat: 80 }
  it('fails a run the API calls passed that lists a vulnerability that counts', () => {
    const d = decide({
      conclusion: 'passed',
      reason: 'ok',
      failOn: 'vulnerabilities',
      minThreat: 0,
      findings: [found]
    })
    expect(d).toMatchObject({ conclusion: 'failed', failed: true, counted: 1 })
    expect(d.reason).toMatch(/found 1 vulnerability .*state passed/)
  })
  it('keeps passed when the only finding is below min-threat', () => {
    const d = decide({
      conclusion: 'passed',
      reason: 'ok',
      failOn: 'vulnerabilities',
      minThreat: 90,
      findings: [found]
    })
    expect(d).toMatchObject({ conclusion: 'passed', failed: false })
  })
  it('says failed but does not fail the step with fail-on never', () => {
    const d = decide({ conclusion: 'passed', reason: 'ok', failOn: 'never', minThreat: 0, findings: [found] })
    expect(d).toMatchObject({ conclusion: 'failed', failed: false })
  })
})
