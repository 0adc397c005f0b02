import { describe, expect, it } from 'vitest'
import type { GateDecision } from '../../src/verdict/gate.js'
import type { ScanOutcome } from '../../src/report/model.js'
import { testsLine } from '../../src/report/summary.js'
import { verdictLabel, withTests } from '../../src/verdict/scan-outcome.js'

const passed: GateDecision = {
  conclusion: 'passed',
  reason: 'Testing finished and found no vulnerabilities.',
  failed: false,
  counted: 0
}
const failed: GateDecision = {
  conclusion: 'failed',
  reason: 'Testing found 1 vulnerability at or above threat 1.',
  failed: true,
  counted: 1
}
const outcome = (o: Partial<ScanOutcome>): ScanOutcome => ({
  testsCancelled: false,
  testsMustPass: true,
  ...o
})

describe('withTests: the tests’ result joined to the scan’s verdict', () => {
  it('passing tests, or tests that never ran, change nothing', () => {
    expect(withTests(failed, outcome({ testsExitCode: 0 }))).toBe(failed)
    expect(withTests(passed, outcome({}))).toBe(passed)
    expect(withTests(passed, undefined)).toBe(passed)
  })
  it('failing tests fail a passing scan, and the reason says which failed', () => {
    expect(withTests(passed, outcome({ testsExitCode: 3 }))).toEqual({
      ...passed,
      failed: true,
      reason: 'The tests failed (exit code 3); the scan: Testing finished and found no vulnerabilities.'
    })
  })
  it('both failed: both named', () => {
    expect(withTests(failed, outcome({ testsExitCode: 1 })).reason).toBe(
      'The tests failed (exit code 1); and the scan: Testing found 1 vulnerability at or above threat 1.'
    )
  })
  it('tests-must-pass: false leaves the decision to the scan, and says so', () => {
    const d = withTests(passed, outcome({ testsExitCode: 2, testsMustPass: false }))
    expect(d.failed).toBe(false)
    expect(d.reason).toContain('tests-must-pass is false, so only the scan decides.')
    expect(withTests(failed, outcome({ testsExitCode: 2, testsMustPass: false })).failed).toBe(true)
  })
  it('cancelled tests are called so', () => {
    expect(withTests(passed, outcome({ testsExitCode: 143, testsCancelled: true })).reason).toMatch(
      /^The tests were cancelled; /
    )
  })
})

describe('verdictLabel', () => {
  it('the conclusion, or both results when failing tests fail the step', () => {
    expect(verdictLabel('failed', undefined)).toBe('failed')
    expect(verdictLabel('passed', outcome({ testsExitCode: 0 }))).toBe('passed')
    expect(verdictLabel('passed', outcome({ testsExitCode: 3 }))).toBe('tests failed, scan passed')
    expect(verdictLabel('error', outcome({ testsExitCode: 143, testsCancelled: true }))).toBe(
      'tests cancelled, scan error'
    )
    expect(verdictLabel('failed', outcome({ testsExitCode: 3, testsMustPass: false }))).toBe('failed')
  })
})

describe('testsLine', () => {
  it('which failed, the tests or the scan, as a short line (not a table)', () => {
    expect(testsLine(outcome({ testsExitCode: 3, nodeLogPath: '/tmp/n.log' }), 'passed')).toBe(
      'Tests failed (exit code 3); scan passed.'
    )
  })
  it('tests not run, replayed, passed, cancelled, or failing without failing the step', () => {
    expect(testsLine(outcome({}), 'error')).toBe('Tests did not run; scan error.')
    expect(testsLine(outcome({ replayedRecordId: '9' }), 'passed')).toBe(
      'No tests ran: test record 9 was replayed; scan passed.'
    )
    expect(testsLine(outcome({ testsExitCode: 0 }), 'failed')).toBe(
      'Tests passed (exit code 0); scan failed.'
    )
    expect(testsLine(outcome({ testsExitCode: 130, testsCancelled: true }), 'error')).toBe(
      'Tests cancelled (exit code 130); scan error.'
    )
    expect(testsLine(outcome({ testsExitCode: 1, testsMustPass: false }), 'passed')).toContain(
      'failed (exit code 1), not failing the step (tests-must-pass: false)'
    )
  })
})
