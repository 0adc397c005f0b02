import type { RunReport } from '../../src/report/model.js'
import { EMPTY_BASELINE } from '../../src/triage/baseline.js'
import type { TriageRules } from '../../src/triage/decide.js'
import { TriageFileError } from '../../src/triage/errors.js'
import type { TestRun } from '../../src/wallarm/types.js'

/** A finished test run (failed, three baselines) as the client returns it; tests override what they need. */
export function testRun(over: Partial<TestRun> = {}): TestRun {
  return {
    id: '5080',
    name: 'ci-build-123',
    desc: '',
    state: 'failed',
    allowed_actions: [],
    test_record_id: '9058',
    recording: false,
    vulns: [],
    baseline_count: 3,
    baseline_check_all_terminated_count: 3,
    baseline_check_fail_count: 2,
    baseline_check_tech_fail_count: 0,
    baseline_check_passed_count: 1,
    baseline_check_running_count: 0,
    baseline_check_interrupted_count: 0,
    baseline_check_waiting_count: 0,
    sended_requests_count: 70,
    planing_requests_count: 70,
    current_rps: null,
    avg_rps: null,
    estimated_time_to_completion: null,
    start_time: 1555572038,
    end_time: 1555572309,
    domains: ['app.local'],
    ...over
  }
}

/** A report of a failed reuse run; tests override what they need (findings, mode, context…). */
export function runReport(over: Partial<RunReport> = {}): RunReport {
  return {
    mode: 'reuse',
    conclusion: 'failed',
    reason: 'Found vulnerabilities.',
    failed: true,
    testRunId: '5080',
    testRecordId: '9058',
    run: testRun(),
    findings: [],
    minThreat: 1,
    findingsSource: 'details',
    runUrl: 'https://us1.my.wallarm.com/testing/testruns/5080',
    warnings: [],
    context: {},
    ...over
  }
}

/** The TriageFileError `fn` throws (the test fails if it throws nothing or something else). */
export function triageFileError(fn: () => unknown): TriageFileError {
  try {
    fn()
  } catch (err) {
    if (err instanceof TriageFileError) return err
    throw err
  }
  throw new Error('no error thrown')
}

/** Triage rules that set nothing aside (no baseline, ignore entry or exclude), gating on new findings. */
export function triageRules(nowMs: number, over: Partial<TriageRules> = {}): TriageRules {
  return {
    baseline: EMPTY_BASELINE,
    baselineFile: 'b.json',
    ignore: [],
    ignoreFile: 'i.yml',
    exclude: [],
    failOn: 'new-vulnerabilities',
    nowMs,
    ...over
  }
}
