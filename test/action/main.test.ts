/**
 * The main step in-process (src/main.ts through the runner port): every early exit, the skip, the modes
 * against the emulator, publishing, the gate, and the cancel-time stop. What is asserted is what a user
 * sees: outputs, exported variables, state for the post step, log lines, failures, files, requests.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Outputs } from '../../src/common/constants.js'
import { FakeRunner } from '../support/fake-runner.js'
import { FakeGitHub } from '../support/fake-github.js'
import { HostileApi, apiRun, envelope } from '../support/hostile-api.js'
import { hasWorkflowCommand } from '../../src/text/untrusted.js'
import { TOKEN, runMainStep, stepHarness, type StepHarness } from './harness.js'

let h: StepHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const main = runMainStep

const everyOutput = Object.values(Outputs)

describe('early exits', () => {
  it('fails on a bad input before any request, masking the token, with every output set', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN, 'wait-timeout': 'soon' }))
    expect(r.failure).toEqual(expect.stringContaining('Input "wait-timeout" has the value "soon"'))
    expect(r.secrets).toContain(TOKEN)
    expect(Object.keys(r.outputs).sort()).toEqual([...everyOutput].sort())
    expect(r.outputs.conclusion).toBe('error')
    expect(h.emu.requests).toEqual([])
    expect(h.clients).toEqual([])
  })

  it('refuses an API description that is missing or unparsable before any request, naming input, file and line', async () => {
    h = await stepHarness()
    const workspace = mkdtempSync(join(tmpdir(), 'wallarm-ws-'))
    const missing = await main(h, h.runner({ mode: 'record', token: TOKEN, openapi: 'api/openapi.yaml' }), {
      env: { GITHUB_WORKSPACE: workspace }
    })
    expect(missing.failure).toContain('Input "openapi": api/openapi.yaml')
    expect(missing.outputs.conclusion).toBe('error')
    writeFileSync(join(workspace, 'bad.yaml'), 'openapi: 3.0.3\npaths:\n  /a:\n    get: [\n')
    const bad = await main(h, h.runner({ mode: 'record', token: TOKEN, openapi: 'bad.yaml' }), {
      env: { GITHUB_WORKSPACE: workspace }
    })
    expect(bad.failure).toMatch(/Input "openapi": bad\.yaml:\d+/)
    expect(h.emu.requests).toEqual([])
    expect(h.clients).toEqual([])
  })

  it('masks the token as given and trimmed, and the GitHub token', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'nope', 'github-token': 'ghs_x' }), {
      env: { WALLARM_API_TOKEN: ` ${TOKEN}\n` }
    })
    expect(r.secrets).toEqual(expect.arrayContaining([` ${TOKEN}\n`, TOKEN, 'ghs_x']))
    expect(r.failure).toContain('Input "mode"')
  })

  it('fails without a token, saying where a token comes from and how forks skip', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'record' }))
    expect(r.failure).toEqual(expect.stringContaining('No Wallarm FAST node token'))
    expect(r.failure).toContain('if-no-token: skip')
    expect(r.outputs.conclusion).toBe('error')
    expect(h.emu.requests).toEqual([])
  })

  it('skips without a token when if-no-token is skip: a notice, conclusion skipped, no failure', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'stop', 'if-no-token': 'skip' }))
    expect(r.failed).toBe(false)
    expect(r.logs).toContainEqual(expect.objectContaining({ level: 'notice', title: 'Wallarm FAST skipped' }))
    expect(r.outputs.conclusion).toBe('skipped')
    expect(r.outputs['test-run-id']).toBe('')
    expect(h.emu.requests).toEqual([])
  })

  it('still checks every input when it would skip', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'stop', 'if-no-token': 'skip', 'min-threat': '0' }))
    expect(r.failure).toContain('Input "min-threat"')
    expect(r.outputs.conclusion).toBe('error')
  })

  it('logs the warnings of inputs the mode ignores', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    const r = await main(
      h,
      h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId), 'test-record-name': 'x' })
    )
    expect(r.lines('warning')).toContain(
      'Input "test-record-name" is used by record mode only: ignored in wait mode.'
    )
  })

  it('fails on an API error with the error in the outputs and no report of a run', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': '999999' }))
    expect(r.failure).toEqual(expect.stringContaining('no such test run 999999'))
    expect(r.outputs.conclusion).toBe('error')
    expect(r.outputs['test-run-id']).toBe('')
    expect(existsSync(r.outputs['report-path'] ?? '')).toBe(true)
  })

  it('fails on a refused token, naming the token and cloud to check', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'wait', token: 'not-a-node-token', 'test-run-id': '5' }))
    expect(r.failure).toContain('rejected the token')
    expect(r.failure).toContain('api-host')
  })

  it('logs each retry of the client, and fails once its attempts are spent', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    h.emu.injectFault({ method: 'GET', path: `/v1/test_run/${runId}`, status: 503, count: 5 })
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) }))
    expect(r.lines('info').filter((l) => l.includes('Trying again in'))).toHaveLength(4)
    expect(r.failure).toContain('gave up after 5 attempts')
  })
})

describe('record', () => {
  it('records: ids in the outputs, exported for later steps, the recording left for the post step', async () => {
    h = await stepHarness()
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN, name: 'rec' }))
    expect(r.failed).toBe(false)
    const id = r.outputs['test-run-id']
    expect(id).toMatch(/^\d+$/)
    expect(r.outputs.conclusion).toBe('recording')
    expect(r.outputs.state).toBe('running')
    expect(r.exported).toEqual({
      WALLARM_FAST_TEST_RUN_ID: id,
      WALLARM_FAST_TEST_RECORD_ID: r.outputs['test-record-id']
    })
    expect(r.state).toEqual({ 'api-base-url': h.emu.apiUrl, 'recording-test-run-id': id })
    // Nothing could be tested yet: no verdict outputs, no SARIF or JUnit.
    expect(r.outputs.vulnerabilities).toBe('')
    expect(r.outputs['sarif-path']).toBe('')
    expect(r.outputs['junit-path']).toBe('')
    expect(JSON.parse(readFileSync(r.outputs['report-path']!, 'utf8'))).toMatchObject({
      conclusion: 'recording'
    })
    expect(h.clients).toEqual([expect.objectContaining({ baseUrl: h.emu.apiUrl, token: TOKEN })])
  })

  it('says what to check when the node never picks the run up, keeping the ids', async () => {
    h = await stepHarness({ readyDelayMs: 3_600_000 })
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN, 'ready-timeout': '1m' }))
    expect(r.failure).toContain('did not pick test run')
    expect(r.outputs['test-run-id']).toMatch(/^\d+$/)
    expect(r.outputs.conclusion).toBe('error')
  })
})

describe('a pass means tested', () => {
  /** A record step, the given requests through the node, then a stop step: the stop step's runner. */
  async function recordThenStop(inputs: Record<string, string>, paths: string[]): Promise<FakeRunner> {
    const rec = await main(h!, h!.runner({ mode: 'record', token: TOKEN, ...inputs }))
    expect(rec.outputs.conclusion).toBe('recording')
    for (const path of paths) {
      const result = h!.emu.model.recordBaseline(TOKEN, {
        method: 'GET',
        url: `http://app${path}`,
        headers: {},
        body: ''
      })
      expect(result.recorded).toBe(true)
    }
    return main(h!, h!.runner({ mode: 'stop', token: TOKEN, 'test-run-id': rec.outputs['test-run-id']! }))
  }

  it('a run whose baselines were all excluded is inconclusive, naming the counter and what to do', async () => {
    h = await stepHarness()
    const r = await recordThenStop({ 'file-extensions-to-exclude': 'json|png' }, [
      '/data.json',
      '/logo.png',
      '/more.json'
    ])
    expect(r.outputs.state).toBe('passed')
    expect(r.outputs.baselines).toBe('3')
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.failure).toContain('None of the 3 baselines was checked')
    expect(r.failure).toContain('baseline_check_passed_count')
    expect(r.summaries[0]).toContain('3 were skipped, not tested')
    expect(r.summaries[0]).toContain('3 skipped (excluded by file-extensions-to-exclude, or duplicates)')
  })

  it('stop mode: a recording that had ended by itself (inactivity-timeout) is no pass, and the step says so', async () => {
    h = await stepHarness()
    const rec = await main(h, h.runner({ mode: 'record', token: TOKEN, 'inactivity-timeout': '300' }))
    const baseline = (path: string) =>
      h!.emu.model.recordBaseline(TOKEN, { method: 'GET', url: `http://app${path}`, headers: {}, body: '' })
    expect(baseline('/fine?q=1').recorded).toBe(true)
    h.advance(301_000) // a pause in the tests longer than inactivity-timeout
    expect(baseline('/later?q=1')).toMatchObject({ recorded: false, reason: 'not_recording' })
    const r = await main(
      h,
      h.runner({ mode: 'stop', token: TOKEN, 'test-run-id': rec.outputs['test-run-id']! })
    )
    expect(r.outputs.state).toBe('passed')
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(
        /^The recording of test run \d+ had already ended when the stop was asked: .*inactivity-timeout \(300 s\)/
      )
    )
    expect(r.failure).toContain('The recording ended by itself')
    expect(r.failure).toContain('this step cannot see whether the tests sent any')
    expect(r.summaries[0]).toContain('had already ended when the stop was asked')
  })

  it('stop mode: an interrupted run is interrupted, not a recording that ended by itself', async () => {
    h = await stepHarness()
    const first = await main(h, h.runner({ mode: 'record', token: TOKEN }))
    await main(h, h.runner({ mode: 'record', token: TOKEN }))
    const r = await main(
      h,
      h.runner({ mode: 'stop', token: TOKEN, 'test-run-id': first.outputs['test-run-id']! })
    )
    expect(r.outputs.conclusion).toBe('interrupted')
    expect(r.text).not.toContain('had already ended')
  })

  it('stop mode: a stop in time says nothing of the kind', async () => {
    h = await stepHarness()
    const r = await recordThenStop({}, ['/fine?q=1'])
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.text).not.toContain('had already ended')
  })

  it('duplicates skipped: one baseline checked is a pass', async () => {
    h = await stepHarness()
    const r = await recordThenStop({}, ['/fine?q=1', '/fine?q=1', '/fine?q=1'])
    expect(r.outputs.baselines).toBe('3')
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.summaries[0]).toContain(
      '- **Baselines:** 3 recorded, 1 checked, 0 failed, 0 with technical failures, 2 skipped'
    )
  })
})

describe('cancellation', () => {
  it('stops the recording it started, clears the state, and fails as cancelled', async () => {
    h = await stepHarness({ readyDelayMs: 3_600_000 })
    const controller = new AbortController()
    h.onSleep = () => controller.abort()
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN }), { signal: controller.signal })
    const id = Number(r.outputs['test-run-id'])
    expect(r.failure).toEqual('The job was cancelled.')
    expect(r.text).toContain(`Cancelled: stopped the recording of test run ${id}`)
    expect(h.emu.model.getTestRun(TOKEN, id).recording).toBe(false)
    expect(r.state['recording-test-run-id']).toBe('')
    expect(h.clients.at(-1)).toMatchObject({ attempts: 2, timeoutMs: 2_500 })
  })

  it('leaves the recording to the post step when the stop fails, and says so', async () => {
    h = await stepHarness({ readyDelayMs: 3_600_000 })
    const controller = new AbortController()
    h.onSleep = () => controller.abort()
    h.emu.injectFault({ method: 'POST', path: /\/action\/stop$/, status: 503, count: 2 })
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN }), { signal: controller.signal })
    const id = r.outputs['test-run-id']!
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Cancelled, but stopping the recording of test run ${id} failed: .*The post step tries again\\.$`
        )
      )
    )
    expect(r.state['recording-test-run-id']).toBe(id)
    expect(h.emu.model.getTestRun(TOKEN, Number(id)).recording).toBe(true)
  })

  it('a cancelled wait ends in error, without any stop request', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'long', inactivity_timeout: 86400 })
    const controller = new AbortController()
    h.onSleep = () => controller.abort()
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(run.id) }), {
      signal: controller.signal
    })
    expect(r.failure).toEqual('The job was cancelled while waiting.')
    expect(r.outputs.conclusion).toBe('error')
    expect(h.emu.requests.filter((q) => q.path.endsWith('/action/stop'))).toEqual([])
  })
})

describe('runner files that cannot be written (issue 22, roads 1 and 8)', () => {
  const full = (): Error => new Error('ENOSPC: no space left on device, write')

  it('GITHUB_OUTPUT: the recording is saved for the post step first, the failure names the run', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'record', token: TOKEN })
    runner.outputError = full()
    const r = await main(h, runner)
    const id = r.state['recording-test-run-id']!
    expect(id).toMatch(/^\d+$/)
    expect(h.emu.model.getTestRun(TOKEN, Number(id)).recording).toBe(true)
    expect(r.failure).toMatch(
      new RegExp(
        `^Writing the step's outputs \\(GITHUB_OUTPUT\\) failed: ENOSPC.*Test run ${id} \\(test record \\d+\\)`
      )
    )
  })

  it('GITHUB_OUTPUT: an earlier error stays the one the step fails with; the output failure is said too', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': '424242' })
    runner.outputError = full()
    const r = await main(h, runner)
    expect(r.failure).toContain('no such test run 424242')
    expect(r.lines('error')).toContainEqual(expect.stringMatching(/^Writing the step's outputs/))
  })

  it('GITHUB_ENV: a record step fails naming the run, which the post step still knows of', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'record', token: TOKEN })
    runner.envError = full()
    const r = await main(h, runner)
    const id = r.outputs['test-run-id']!
    expect(r.failure).toMatch(new RegExp(`^Writing the step's environment variables .*Test run ${id}`))
    expect(r.state['recording-test-run-id']).toBe(id)
  })

  it('GITHUB_STATE: the outputs are still completed, with a warning', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    const runner = h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) })
    runner.stateError = full()
    const r = await main(h, runner)
    expect(r.outputs.conclusion).toBe('passed')
    expect(Object.keys(r.outputs).sort()).toEqual([...everyOutput].sort())
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(/^The step's state for its post step \(GITHUB_STATE\) cannot be written: ENOSPC/)
    )
  })

  it('GITHUB_STATE: record mode starts no recording it could not hand to the post step', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'record', token: TOKEN })
    runner.stateError = full()
    const r = await main(h, runner)
    expect(r.failure).toMatch(/GITHUB_STATE\) cannot be written: ENOSPC.*no recording is started/)
    expect(r.outputs.conclusion).toBe('error')
    expect(h.emu.requests).toEqual([])
  })

  it('GITHUB_STATE failing once the recording is on: the step stops it and fails naming it', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'record', token: TOKEN })
    const saveState = runner.saveState.bind(runner)
    runner.saveState = (name, value) => {
      if (name === 'recording-test-run-id' && value !== '') throw full()
      saveState(name, value)
    }
    const r = await main(h, runner)
    const id = r.outputs['test-run-id']!
    expect(r.outputs.conclusion).toBe('error')
    expect(r.text).toContain(
      `Test run ${id} is recording, but the step's state (GITHUB_STATE) cannot be written`
    )
    expect(h.emu.model.getTestRun(TOKEN, Number(id)).recording).toBe(false)
    expect(r.text).toContain(
      `the recording of test run ${id} if a later step failed: the recording was stopped.`
    )
    expect(r.failed).toBe(true)
  })
})

describe('the read before the stop (issue 21, road 11)', () => {
  it('fails: a warning, and the stop is asked all the same', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'held', inactivity_timeout: 86400 })
    h.emu.injectFault({ method: 'GET', path: `/v1/test_run/${run.id}`, status: 500, count: 5 })
    const r = await main(
      h,
      h.runner({ mode: 'stop', token: TOKEN, 'test-run-id': String(run.id), wait: 'false' })
    )
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(
        new RegExp(`^The step could not tell whether the recording of test run ${run.id} had already ended`)
      )
    )
    expect(h.emu.requests.filter((q) => q.path === `/v1/test_run/${run.id}/action/stop`)).toHaveLength(1)
    expect(h.emu.model.getTestRun(TOKEN, run.id).recording).toBe(false)
  })
})

describe('publishing a finished run', () => {
  it('triage: a notice for an ignore entry that matched nothing once a run was tested, none in record mode', async () => {
    h = await stepHarness()
    const workspace = mkdtempSync(join(tmpdir(), 'wallarm-ws-'))
    mkdirSync(join(workspace, '.github'))
    writeFileSync(
      join(workspace, '.github', 'wallarm-fast-ignore.yml'),
      'ignore:\n  - path: /nowhere\n    reason: old rule\n'
    )
    const env = { GITHUB_WORKSPACE: workspace }
    const ignoreNotices = (r: FakeRunner) =>
      r.logs.filter((l) => l.level === 'notice' && l.title === 'Wallarm FAST: ignore file')
    const record = await main(h, h.runner({ mode: 'record', token: TOKEN }), { env })
    expect(record.outputs.conclusion).toBe('recording')
    expect(ignoreNotices(record)).toEqual([])

    const runId = await h.finishedRun(true)
    const r = await main(
      h,
      h.runner({
        mode: 'wait',
        token: TOKEN,
        'test-run-id': String(runId),
        'fail-on': 'new-vulnerabilities'
      }),
      { env }
    )
    expect(ignoreNotices(r).map((l) => l.message)).toEqual([
      'The ignore entry .github/wallarm-fast-ignore.yml:2 matched no finding of this run ("old rule").'
    ])
    // No baseline file: an empty baseline, and the step says so; the finding is new and fails the step.
    expect(r.lines('info')).toContain(
      'No baseline file at .github/wallarm-fast-baseline.json: an empty baseline, so every finding is new.'
    )
    expect(r.outputs).toMatchObject({ conclusion: 'failed', 'new-vulnerabilities': '1', ignored: '0' })
    expect(JSON.parse(readFileSync(r.outputs['baseline-path']!, 'utf8'))).toMatchObject({
      version: 1,
      entries: [expect.objectContaining({ type: 'sqli' })]
    })
  })

  it('fails on a finding: outputs, files, an error annotation, the summary', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(true)
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) }))
    expect(r.outputs.conclusion).toBe('failed')
    expect(r.failure).toEqual(expect.stringContaining('found 1 vulnerability at or above threat 1'))
    expect(r.outputs.vulnerabilities).toBe('1')
    expect(JSON.parse(r.outputs['vulnerabilities-json']!)).toEqual([
      expect.objectContaining({ type: 'sqli' })
    ])
    expect(r.outputs.url).toBe('')
    expect(readFileSync(r.outputs['sarif-path']!, 'utf8')).toContain('"version": "2.1.0"')
    expect(readFileSync(r.outputs['junit-path']!, 'utf8')).toContain('<testsuites')
    // The verdict first (the failure, said once), then the finding.
    expect(r.failed).toBe(true)
    expect(r.failures).toEqual([])
    const errors = r.logs.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(2)
    expect(errors[1]!.title).toMatch(/SQL injection/i)
    expect(r.summaries).toHaveLength(1)
    expect(r.summaries[0]).toContain(String(runId))
    // Said once, as the step's failure, not also as a log line.
    expect(r.lines('info').filter((l) => l.startsWith('Conclusion:'))).toEqual([])
    // Wait mode starts no run: nothing is exported for later steps.
    expect(r.exported).toEqual({})
  })

  it('passes with fail-on: never, the finding a warning annotation', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(true)
    const r = await main(
      h,
      h.runner({
        mode: 'wait',
        token: TOKEN,
        'test-run-id': String(runId),
        'fail-on': 'never',
        sarif: 'false'
      })
    )
    expect(r.failed).toBe(false)
    expect(r.outputs.conclusion).toBe('failed')
    expect(r.outputs['sarif-path']).toBe('')
    expect(r.logs.filter((l) => l.level === 'warning' && l.title)).toHaveLength(1)
  })

  it('links the run in the console when one is known', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    const r = await main(
      h,
      h.runner({
        mode: 'wait',
        token: TOKEN,
        'test-run-id': String(runId),
        'console-url': 'https://console.example/'
      })
    )
    expect(r.outputs.url).toBe(`https://console.example/testing/testruns/${runId}`)
    expect(r.outputs.conclusion).toBe('passed')
    expect(r.lines('info')).toContain('Conclusion: passed. Testing finished and found no vulnerabilities.')
    expect(r.failed).toBe(false)
  })

  it('only warns when the report files or the job summary cannot be written', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    const notADir = join(h.env.RUNNER_TEMP!, 'file')
    writeFileSync(notADir, '')
    const runner = h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) })
    runner.summaryError = new Error('disk full')
    const r = await main(h, runner, { env: { RUNNER_TEMP: notADir } })
    expect(r.failed).toBe(false)
    expect(r.lines('warning')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Writing the report files failed: /),
        'Writing the job summary failed: disk full'
      ])
    )
    expect(r.outputs['report-path']).toBe('')
  })

  it('writes no job summary outside a runner', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(false)
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) }), {
      env: { GITHUB_STEP_SUMMARY: '' }
    })
    expect(r.summaries).toEqual([])
  })

  it('a run that tested no baseline is inconclusive, which fails the step', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'empty' })
    h.emu.model.stopRecording(TOKEN, run.id)
    h.advance(3_600_000)
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(run.id) }))
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.failure).toEqual(expect.stringMatching(/^Inconclusive: .*no baselines/))
    expect(r.outputs['sarif-path']).toBe('')
    expect(r.outputs['junit-path']).not.toBe('')
  })

  it('wait: false on a run still going concludes running, and does not fail', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'going', inactivity_timeout: 86400 })
    const r = await main(
      h,
      h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(run.id), wait: 'false' })
    )
    expect(r.outputs.conclusion).toBe('running')
    expect(r.failed).toBe(false)
  })
})

describe('the pull-request comment', () => {
  const github = new FakeGitHub()
  afterEach(async () => {
    await github.stop()
    github.reset()
  })

  async function commented(
    inputs: Record<string, string>,
    event: unknown,
    eventName = 'pull_request'
  ): Promise<FakeRunner> {
    h = await stepHarness()
    await github.start()
    const runId = await h.finishedRun(false)
    const eventPath = join(h.env.RUNNER_TEMP!, 'event.json')
    writeFileSync(eventPath, typeof event === 'string' ? event : JSON.stringify(event))
    return main(
      h,
      h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId), comment: 'true', ...inputs }),
      {
        env: { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: eventPath, GITHUB_API_URL: github.url }
      }
    )
  }

  const pr = { pull_request: { number: 7 }, repository: { name: 'app', owner: { login: 'octo' } } }

  it('is written on a pull request, with the job summary in it', async () => {
    const r = await commented({ 'github-token': 'ghs_job' }, pr)
    expect(github.comments).toEqual([expect.objectContaining({ issue: 7 })])
    expect(github.comments[0]!.body).toContain('<!-- wallarm-fast-action:')
    expect(github.requests[0]!.authorization).toContain('ghs_job')
    expect(r.lines('info')).toContainEqual(expect.stringMatching(/^comment: created /))
  })

  it('is not written outside a pull request', async () => {
    const r = await commented({ 'github-token': 'ghs_job' }, {}, 'push')
    expect(r.lines('info')).toContain('comment: not a pull-request event, so no comment is written.')
    expect(github.requests).toEqual([])
  })

  it('is not written when the event file cannot be read', async () => {
    const r = await commented({ 'github-token': 'ghs_job' }, '{not json')
    expect(r.lines('info')).toContain('comment: not a pull-request event, so no comment is written.')
  })

  it('warns without a GitHub token', async () => {
    const r = await commented({}, pr)
    expect(r.lines('warning')).toContain(
      'comment: github-token is empty, so no pull-request comment is written.'
    )
    expect(r.failed).toBe(false)
  })

  it('only warns when GitHub refuses, saying which permission to give', async () => {
    github.failures.push({ method: 'GET', status: 403, message: 'Resource not accessible by integration' })
    const r = await commented({ 'github-token': 'ghs_job' }, pr)
    expect(r.lines('warning')).toContainEqual(expect.stringContaining('pull-requests: write'))
    expect(r.failed).toBe(false)
  })

  it('only warns when GitHub fails', async () => {
    github.failures.push({ method: 'GET', status: 500, message: 'boom' })
    const r = await commented({ 'github-token': 'ghs_job' }, pr)
    expect(r.lines('warning')).toContainEqual(expect.stringMatching(/^comment: could not write/))
    expect(r.failed).toBe(false)
  })
})

describe('an API that stumbles', () => {
  const runPath = /^\/v1\/test_run\/\d+$/

  it('warns and goes on when a status check fails while waiting for the node', async () => {
    h = await stepHarness({ readyDelayMs: 60_000 })
    h.emu.injectFault({ method: 'GET', path: runPath, status: 503, count: 5 })
    const r = await main(h, h.runner({ mode: 'record', token: TOKEN }))
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(/^Checking test run \d+ failed \(1 in a row\): .*unavailable/)
    )
    expect(r.outputs.conclusion).toBe('recording')
  })

  it('warns and goes on when a status check fails while waiting for the verdict', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'going' })
    h.advance(5_000)
    h.emu.model.recordBaseline(TOKEN, { method: 'GET', url: 'http://app/fine', headers: {}, body: '' })
    h.emu.model.stopRecording(TOKEN, run.id)
    // The first answer is the run still testing; the status check after the first wait fails five times over.
    let injected = false
    h.onSleep = () => {
      if (injected) return
      injected = true
      h!.emu.injectFault({ method: 'GET', path: `/v1/test_run/${run.id}`, status: 500, count: 5 })
    }
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(run.id) }))
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(new RegExp(`^Checking test run ${run.id} failed \\(1 in a row\\): `))
    )
    expect(r.outputs.conclusion).toBe('passed')
  })

  it('shows the summary the run gives when the details cannot be read, and says why', async () => {
    h = await stepHarness()
    const runId = await h.finishedRun(true)
    h.emu.injectFault({ method: 'POST', path: '/v1/objects/vuln', status: 500, count: 5 })
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) }))
    expect(r.lines('warning')).toContainEqual(
      expect.stringMatching(
        /^Vulnerability details could not be read \(.*\); only the summary the test run gives is shown\.$/
      )
    )
    expect(r.outputs.conclusion).toBe('failed')
  })

  it('says so when the node token may not read the details, naming api-token', async () => {
    h = await stepHarness({ vulnReadDenied: [TOKEN] })
    const runId = await h.finishedRun(true)
    const r = await main(h, h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(runId) }))
    const warning = r.lines('warning').find((l) => l.includes('vulnerability details'))
    expect(warning).toMatch(/^The Wallarm API refused the node token to read vulnerability details/)
    expect(warning).toContain(
      'Set the api-token input to a Wallarm API token (console: Settings → API tokens) with read access to vulnerabilities'
    )
  })

  it('reads the details with api-token where the node token may not; a refused api-token is named', async () => {
    h = await stepHarness({ vulnReadDenied: [TOKEN], apiTokens: ['api-tok-s3cr3t'] })
    const runId = await h.finishedRun(true)
    const ok = await main(
      h,
      h.runner({ mode: 'wait', token: TOKEN, 'api-token': 'api-tok-s3cr3t', 'test-run-id': String(runId) })
    )
    expect(ok.lines('warning').join('\n')).not.toContain('vulnerability details')
    expect(ok.secrets).toContain('api-tok-s3cr3t')
    const reads = h.emu.requests.filter((q) => q.path === '/v1/objects/vuln')
    expect(reads.map((q) => [q.headers['x-wallarmapi-token'], q.status])).toContainEqual([
      'api-tok-s3cr3t',
      200
    ])
    const refused = await main(
      h,
      h.runner({ mode: 'wait', token: TOKEN, 'api-token': 'not-an-api-token', 'test-run-id': String(runId) })
    )
    expect(refused.lines('warning').join('\n')).toContain(
      'The Wallarm API refused the api-token input to read vulnerability details'
    )
  })
})

describe('text from the API in the log', () => {
  let api: HostileApi | undefined
  afterEach(async () => {
    await api?.stop()
    api = undefined
  })

  // The runner acts on a line starting with `::`: a state of the API's must never start one.
  const forged = 'running\n::error::forged\r::add-mask::x\u2028##[error]legacy'

  /** Every line the runner would read from the step's stdout: info lines may hold line breaks. */
  const stdoutLines = (r: FakeRunner): string[] =>
    // eslint-disable-next-line no-control-regex
    r.lines('info').flatMap((m) => m.split(/[\n\r\u000B\u000C\u0085\u2028\u2029]/))

  it.each([
    ['wait', { mode: 'wait', 'test-run-id': '5080', wait: 'false' }],
    ['stop', { mode: 'stop', 'test-run-id': '5080', wait: 'false' }]
  ])('%s with wait: false: the conclusion line carries the state neutralised', async (_, inputs) => {
    h = await stepHarness()
    const run = apiRun({ state: forged, recording: false, end_time: null })
    api = await new HostileApi()
      .on('GET', /^\/v1\/test_run\/5080$/, envelope(run))
      .on('POST', /^\/v1\/test_run\/5080\/action\/stop$/, envelope(run))
      .start()
    const r = await main(h, h.runner({ token: TOKEN, 'api-host': api.url, ...inputs }))
    expect(r.outputs.conclusion).toBe('running')
    const conclusion = r.lines('info').find((l) => l.startsWith('Conclusion: running.'))
    expect(conclusion).toContain('Test run 5080 is running ⏎ ')
    expect(conclusion).toContain('forged')
    for (const line of stdoutLines(r)) expect(hasWorkflowCommand(line), line).toBe(false)
  })
})
