import { describe, expect, it } from 'vitest'
import { buildAnnotations } from '../../src/report/annotations.js'
import type { Finding, RunReport } from '../../src/report/model.js'
import { runReport } from '../support/fixtures.js'

function findings(n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(i + 1),
    type: 'sqli',
    threat: 90 - i,
    code: `S${i}`,
    method: 'POST',
    domain: 'app.local',
    path: `/p${i}`,
    parameter: 'id'
  }))
}

function makeReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    testRecordId: undefined,
    run: undefined,
    runUrl: undefined,
    findings: findings(3),
    ...over
  })
}

describe('buildAnnotations', () => {
  it('makes the verdict, then one error per counted finding, when the gate fails the step', () => {
    const { annotations, omitted } = buildAnnotations(makeReport())
    expect(omitted).toBe(0)
    expect(annotations).toHaveLength(4)
    expect(annotations.every((a) => a.level === 'error')).toBe(true)
    expect(annotations[0]).toEqual({
      level: 'error',
      title: 'Wallarm FAST: failed',
      message: 'Found vulnerabilities.'
    })
    expect(annotations[1]).toEqual({
      level: 'error',
      title: 'Wallarm FAST: SQL injection (sqli)',
      message: 'threat 90/100 (critical): POST app.local/p0, parameter id (Wallarm vulnerability 1, S0)'
    })
  })

  it('makes warnings when the step does not fail (fail-on never)', () => {
    const { annotations } = buildAnnotations(makeReport({ failed: false }))
    expect(annotations.map((a) => a.level)).toEqual(['warning', 'warning', 'warning'])
  })

  it('skips findings below min-threat', () => {
    const { annotations, omitted } = buildAnnotations(makeReport({ minThreat: 89 }))
    expect(annotations).toHaveLength(3)
    expect(omitted).toBe(0)
  })

  it('caps at max errors, the verdict first and kept, with a final notice', () => {
    const { annotations, omitted } = buildAnnotations(makeReport({ findings: findings(25) }))
    expect(annotations).toHaveLength(11)
    expect(omitted).toBe(16)
    expect(annotations[0]).toMatchObject({ level: 'error', title: 'Wallarm FAST: failed' })
    expect(annotations.slice(0, 10).every((a) => a.level === 'error')).toBe(true)
    expect(annotations[10]).toMatchObject({ level: 'notice' })
    expect(annotations[10]?.message).toBe('16 more vulnerabilities: see the job summary.')

    const small = buildAnnotations(
      makeReport({ findings: findings(4), runUrl: 'https://x/5080', failed: false }),
      { max: 3 }
    )
    expect(small.annotations).toHaveLength(4)
    expect(small.annotations[3]?.message).toBe('1 more vulnerability: see the job summary or https://x/5080.')
    expect(buildAnnotations(makeReport({ failed: false }), { max: 0 }).annotations).toEqual([
      {
        level: 'notice',
        title: 'Wallarm FAST: more vulnerabilities',
        message: '3 more vulnerabilities: see the job summary.'
      }
    ])
  })

  it('makes none on a clean run', () => {
    expect(buildAnnotations(makeReport({ findings: [], conclusion: 'passed', failed: false }))).toEqual({
      annotations: [],
      omitted: 0
    })
  })

  it('keeps messages on one line and names what is known of a summary-only finding', () => {
    const { annotations } = buildAnnotations(
      makeReport({ findings: [{ id: '9', type: 'weird\ntype', threat: 50, path: '/a\nb' }], failed: false })
    )
    expect(annotations[0]?.message).toBe('threat 50/100 (medium): /a b (Wallarm vulnerability 9)')
    expect(annotations[0]?.title).toBe('Wallarm FAST: weird type')
  })
})

describe('buildAnnotations against hostile findings', () => {
  it('no title or message can be read by the runner as a workflow command', () => {
    const { annotations } = buildAnnotations(
      makeReport({
        reason: 'x\n::stop-commands::abc ##[error]forged',
        findings: [{ id: '1', type: '::error::x', threat: 90, path: '/a ##[warning]b\r\n::add-mask::c' }]
      })
    )
    for (const a of annotations) {
      expect(a.message).not.toContain('##[')
      expect(a.title).not.toContain('##[')
      expect(a.message).not.toMatch(/^::|[\r\n]/)
      expect(a.title).not.toMatch(/^::|[\r\n]/)
    }
  })
})
