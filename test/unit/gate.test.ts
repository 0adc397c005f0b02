import { describe, expect, it } from 'vitest'
import { decide as decideGate, type GateInput, type RunCounters } from '../../src/verdict/gate.js'
import type { Conclusion } from '../../src/common/constants.js'
import type { Finding } from '../../src/report/model.js'
import { mergeLegs } from '../../src/summarize/merge.js'
import type { LegReport } from '../../src/summarize/read.js'

/** The gate with what these tests do not vary: stop mode, no run counters, no technical failure allowed. */
const decide = (input: Omit<GateInput, 'mode' | 'techFailTolerance'> & Partial<GateInput>) =>
  decideGate({ mode: 'stop', techFailTolerance: 0, ...input })

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

  describe('a pass must have tested something', () => {
    const passed = {
      conclusion: 'passed',
      reason: 'Testing finished and found no vulnerabilities.',
      failOn: 'vulnerabilities',
      minThreat: 1,
      findings: [] as Finding[]
    } as const
    /** A finished run's counters: `baselines` recorded, `skipped` of them not tested, the rest checked. */
    const run = (
      baselines: number,
      techFailed: number,
      { skipped = 0, fail = 0 }: { skipped?: number; fail?: number } = {}
    ): RunCounters => ({
      baseline_count: baselines,
      baseline_check_all_terminated_count: baselines - skipped,
      baseline_check_passed_count: baselines - skipped - techFailed - fail,
      baseline_check_fail_count: fail,
      baseline_check_tech_fail_count: techFailed,
      baseline_check_interrupted_count: 0,
      baseline_check_running_count: 0,
      baseline_check_waiting_count: 0
    })

    it('is inconclusive with no baselines, and fails with fail-on vulnerabilities', () => {
      const d = decide({ ...passed, run: run(0, 0) })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(d.reason).toMatch(/^Inconclusive: No baselines were recorded.*ALLOWED_HOSTS/)
    })

    it('names the test record when a copied run has no baselines', () => {
      expect(decide({ ...passed, mode: 'reuse', run: run(0, 0) }).reason).toMatch(
        /test record holds baselines/
      )
    })

    it('a scan that replayed a record with no baselines names the record, not the proxy', () => {
      const d = decide({ ...passed, mode: 'scan', replayedRecordId: '9058', run: run(0, 0) })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(d.reason).toMatch(/test record holds baselines/)
      expect(d.reason).not.toMatch(/proxy|ALLOWED_HOSTS/)
    })

    it('is inconclusive when more baselines failed technically than tech-fail-tolerance allows', () => {
      const d = decide({ ...passed, run: run(10, 1) })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(d.reason).toContain('1 baseline of 10 tested could not be tested for technical reasons')
      expect(d.reason).toContain('baseline_check_tech_fail_count')
      expect(d.reason).toContain('tech-fail-tolerance 0%')
      expect(decide({ ...passed, run: run(10, 5), techFailTolerance: 40 }).conclusion).toBe('inconclusive')
    })

    it('is inconclusive when every baseline was skipped (all excluded): 0 checked is no pass', () => {
      const d = decide({ ...passed, run: run(3, 0, { skipped: 3 }) })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(d.reason).toMatch(
        /^Inconclusive: None of the 3 baselines was checked \(baseline_check_passed_count and baseline_check_fail_count are 0\)/
      )
      expect(d.reason).toContain('3 were skipped, not tested')
      expect(d.reason).toContain('file-extensions-to-exclude')
    })

    it('is inconclusive when every check failed technically, whatever tech-fail-tolerance says', () => {
      const d = decide({ ...passed, run: run(10, 10), techFailTolerance: 100 })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(d.reason).toContain('10 checks failed for technical reasons (baseline_check_tech_fail_count 10')
      expect(d.reason).toContain('tech-fail-tolerance does not apply when nothing was checked')
      expect(d.reason).toContain('reachable from the FAST node')
    })

    it('names every counter that kept the checks from ending: skipped and technical failures together', () => {
      const d = decide({ ...passed, run: run(5, 2, { skipped: 3 }), techFailTolerance: 100 })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toContain('3 were skipped')
      expect(d.reason).toContain('2 checks failed for technical reasons')
    })

    it('says so when the checks were interrupted or had not finished', () => {
      const counters = { ...run(4, 0, { skipped: 4 }), baseline_check_interrupted_count: 1 }
      counters.baseline_check_running_count = 1
      counters.baseline_check_waiting_count = 2
      counters.baseline_check_all_terminated_count = 1
      const d = decide({ ...passed, run: counters })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toContain('1 check was interrupted (baseline_check_interrupted_count 1)')
      expect(d.reason).toContain('3 checks had not finished')
      expect(d.reason).not.toContain('skipped')
    })

    it('measures technical failures against the baselines tested, not the skipped ones', () => {
      // 10 recorded, 8 excluded: 1 of the 2 tested failed technically, 50% > 40%.
      const d = decide({ ...passed, run: run(10, 1, { skipped: 8 }), techFailTolerance: 40 })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toContain('1 baseline of 2 tested could not be tested')
    })

    it('passes with one baseline checked clean among skipped ones', () => {
      expect(decide({ ...passed, run: run(3, 0, { skipped: 2 }) })).toMatchObject({
        conclusion: 'passed',
        failed: false
      })
    })

    it('is inconclusive when the recording had ended before the stop and requests may have come after', () => {
      const unknown = decide({ ...passed, run: run(3, 0), recordingEnded: {} })
      expect(unknown).toMatchObject({ conclusion: 'inconclusive', failed: true })
      expect(unknown.reason).toContain(
        'The recording ended by itself (inactivity-timeout, or the Wallarm console)'
      )
      expect(unknown.reason).toContain('cannot see whether the tests sent any')
      expect(unknown.reason).toContain('Raise inactivity-timeout')
      const counted = decide({ ...passed, run: run(3, 0), recordingEnded: { requestsAfter: 1 } })
      expect(counted.reason).toContain('1 request to recorded hosts was sent after that')
    })

    it('passes when the recording ended but no request came after it; findings still fail', () => {
      expect(decide({ ...passed, run: run(3, 0), recordingEnded: { requestsAfter: 0 } }).conclusion).toBe(
        'passed'
      )
      expect(
        decide({ ...passed, conclusion: 'failed', findings: [sqli], run: run(3, 0), recordingEnded: {} })
          .conclusion
      ).toBe('failed')
    })

    it('passes within tech-fail-tolerance, and without technical failures', () => {
      expect(decide({ ...passed, run: run(10, 5), techFailTolerance: 50 })).toMatchObject({
        conclusion: 'passed',
        failed: false
      })
      expect(decide({ ...passed, run: run(3, 0) })).toMatchObject({ conclusion: 'passed', failed: false })
    })

    it('lets findings win over technical failures', () => {
      const d = decide({ ...passed, conclusion: 'failed', findings: [sqli], run: run(10, 9) })
      expect(d).toMatchObject({ conclusion: 'failed', failed: true })
    })

    it('judges a pass made of findings below min-threat too', () => {
      const d = decide({ ...passed, conclusion: 'failed', minThreat: 50, findings: [info], run: run(4, 4) })
      expect(d.conclusion).toBe('inconclusive')
    })

    it('does not fail the step with fail-on never', () => {
      expect(decide({ ...passed, failOn: 'never', run: run(0, 0) })).toMatchObject({
        conclusion: 'inconclusive',
        failed: false
      })
    })
  })

  describe('no pass over baselines the node left unchecked (issue 21, road 1)', () => {
    const known: Finding = {
      ...sqli,
      decision: { status: 'known', counted: false, inBaseline: true }
    }
    const fresh: Finding = { ...sqli, id: '9', decision: { status: 'new', counted: true, inBaseline: false } }
    /** The node stopped at its first finding: 4 baselines, the first failed, the other 3 interrupted. */
    const stopped: RunCounters = {
      baseline_count: 4,
      baseline_check_all_terminated_count: 4,
      baseline_check_passed_count: 0,
      baseline_check_fail_count: 1,
      baseline_check_tech_fail_count: 0,
      baseline_check_interrupted_count: 3,
      baseline_check_running_count: 0,
      baseline_check_waiting_count: 0,
      stop_on_first_fail: true
    }
    const failedRun = {
      conclusion: 'failed',
      reason: 'Testing finished and found vulnerabilities.',
      failOn: 'new-vulnerabilities',
      minThreat: 1,
      mode: 'reuse'
    } as const

    it('stop-on-first-fail stopping at a known finding: inconclusive, says how many were left and why', () => {
      const d = decide({ ...failedRun, findings: [known], run: stopped })
      expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true, counted: 0 })
      expect(d.reason).toMatch(
        /^Inconclusive: 3 of the 4 baselines were left unchecked \(baseline_check_interrupted_count 3\): the node stopped at its first finding \(stop-on-first-fail\)/
      )
      expect(d.reason).toContain('Run without stop-on-first-fail for a gate that sets findings aside.')
      // What was found and set aside is still said.
      expect(d.reason).toContain('none that counts (1 known)')
      expect(decide({ ...failedRun, failOn: 'never', findings: [known], run: stopped })).toMatchObject({
        conclusion: 'inconclusive',
        failed: false
      })
    })

    it('a counted finding already fails it', () => {
      const d = decide({ ...failedRun, findings: [known, fresh], run: stopped })
      expect(d).toMatchObject({ conclusion: 'failed', failed: true, counted: 1 })
    })

    it("the step's input says stop-on-first-fail when the run's object does not", () => {
      const { stop_on_first_fail: _, ...silent } = stopped
      const d = decide({ ...failedRun, findings: [known], run: silent, stopOnFirstFail: true })
      expect(d.reason).toContain('(stop-on-first-fail)')
      // The run's own word wins over the input.
      const said = decide({
        ...failedRun,
        findings: [known],
        run: { ...stopped, stop_on_first_fail: false },
        stopOnFirstFail: true
      })
      expect(said.reason).not.toContain('(stop-on-first-fail)')
      expect(said.conclusion).toBe('inconclusive')
    })

    it('interrupted or unfinished checks in a finished run, without stop-on-first-fail: inconclusive too', () => {
      const counters: RunCounters = {
        ...stopped,
        stop_on_first_fail: false,
        baseline_check_passed_count: 2,
        baseline_check_fail_count: 0,
        baseline_check_interrupted_count: 1,
        baseline_check_all_terminated_count: 3,
        baseline_check_waiting_count: 1
      }
      const d = decide({ ...failedRun, conclusion: 'passed', findings: [], run: counters })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toBe(
        'Inconclusive: 2 of the 4 baselines were left unchecked (baseline_check_interrupted_count 1, 1 running ' +
          'or waiting): their checks were interrupted or had not finished when the run ended, so they were ' +
          'never tested. Run again.'
      )
    })

    it('after a finding with stop-on-first-fail, baselines in no check counter count as left: the API cannot tell skipped from never reached', () => {
      const uncounted: RunCounters = {
        ...stopped,
        baseline_check_passed_count: 1,
        baseline_check_interrupted_count: 0,
        baseline_check_all_terminated_count: 2
      }
      const d = decide({ ...failedRun, findings: [known], run: uncounted })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toContain(
        '2 of the 4 baselines were left unchecked (2 in baseline_count but in no check counter)'
      )
      // Without stop-on-first-fail they are skipped ones (duplicates, excluded extensions): a pass.
      expect(
        decide({ ...failedRun, findings: [known], run: { ...uncounted, stop_on_first_fail: false } })
          .conclusion
      ).toBe('passed')
    })

    it('the run ended at its first finding while it recorded: the requests after it were never tested', () => {
      const all: RunCounters = {
        ...stopped,
        baseline_check_passed_count: 3,
        baseline_check_interrupted_count: 0
      }
      const d = decide({ ...failedRun, mode: 'stop', findings: [known], run: all, recordingEnded: {} })
      expect(d.conclusion).toBe('inconclusive')
      expect(d.reason).toMatch(
        /^Inconclusive: The node ended the test run at its first finding \(stop-on-first-fail\), which does not count here, and its recording with it, before the stop: requests sent after that were not recorded/
      )
      const counted = decide({
        ...failedRun,
        mode: 'scan',
        findings: [known],
        run: { ...all, stop_on_first_fail: undefined },
        stopOnFirstFail: true,
        recordingEnded: { requestsAfter: 2 }
      })
      expect(counted.reason).toContain('(stop-on-first-fail)')
      expect(counted.reason).toContain('2 requests to recorded hosts were sent after that')
    })

    it('stop-on-first-fail with every baseline checked is a pass', () => {
      const all: RunCounters = {
        ...stopped,
        baseline_check_passed_count: 3,
        baseline_check_interrupted_count: 0
      }
      expect(decide({ ...failedRun, findings: [known], run: all }).conclusion).toBe('passed')
      expect(
        decide({
          ...failedRun,
          conclusion: 'passed',
          findings: [],
          run: { ...all, baseline_check_fail_count: 0, baseline_check_passed_count: 4 }
        }).conclusion
      ).toBe('passed')
    })

    it('the matrix: a leg that failed on a finding the summary sets aside is no pass when its node left baselines unchecked; an inconclusive leg stays one', () => {
      const leg = (conclusion: Conclusion, counters: RunCounters): LegReport => ({
        file: `${conclusion}.json`,
        leg: conclusion,
        conclusion,
        reason: 'r',
        testRunId: conclusion,
        testRecordId: '9001',
        runUrl: undefined,
        policy: undefined,
        baselines: counters.baseline_count,
        counters,
        mode: 'reuse',
        stepFailed: conclusion !== 'passed',
        testsFailed: undefined,
        counted: 1,
        minThreat: 1,
        findings: [{ ...sqli, identity: 'sqli|x', legStatus: 'new' }],
        toolVersion: 'test'
      })
      const { stop_on_first_fail: _, ...reported } = stopped
      const merge = (l: LegReport) =>
        mergeLegs([l], {
          minThreat: 1,
          techFailTolerance: 0,
          expected: undefined,
          applyRules: (fs) =>
            fs.map((f) => ({ ...f, decision: { status: 'known', counted: false, inBaseline: true } }))
        })
      const failed = merge(leg('failed', reported))
      expect(failed.conclusion).toBe('inconclusive')
      expect(failed.reason).toContain('3 of the 4 baselines were left unchecked')
      expect(merge(leg('inconclusive', reported)).conclusion).toBe('inconclusive')
      // Every baseline checked: the summary's own rules make it a pass.
      expect(
        merge(
          leg('failed', { ...reported, baseline_check_passed_count: 3, baseline_check_interrupted_count: 0 })
        ).conclusion
      ).toBe('passed')
    })
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
