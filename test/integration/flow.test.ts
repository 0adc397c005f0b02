/**
 * The four modes (src/modes/flow.ts) in-process: the real client against the emulator, both on one virtual
 * clock that the flow's sleeps advance, so waits of minutes take no time. The end-to-end suite runs the
 * same flows through the bundled action; this one reaches the branches the emulator alone never takes.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { runFlow, progressLine, type FlowDeps, type FlowResult } from '../../src/modes/flow.js'
import { InputDefaults } from '../../src/inputs/parse.js'
import { readSettings, type Settings } from '../../src/inputs/settings.js'
import { FastClient } from '../../src/wallarm/client.js'
import type { TestRun } from '../../src/wallarm/types.js'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { testRun } from '../support/fixtures.js'

const TOKEN = 'fast-flow-token'

let emu: Emulator | undefined
let client: FastClient | undefined
afterEach(async () => {
  client?.dispose()
  await emu?.close()
  emu = client = undefined
})

interface Harness {
  emu: Emulator
  deps: FlowDeps
  settings(inputs: Record<string, string>): Settings
  logs: string[]
  known: TestRun[]
  recording: Array<[string, boolean]>
  advance(ms: number): void
}

async function harness(options: EmulatorOptions = {}): Promise<Harness> {
  let now = 1_700_000_000_000
  emu = await startEmulator({ tokens: [TOKEN, 'fast-other'], clock: () => now, ...options })
  const logs: string[] = []
  const known: TestRun[] = []
  const recording: Array<[string, boolean]> = []
  const sleep = (ms: number): Promise<void> => {
    now += ms
    return Promise.resolve()
  }
  client = new FastClient({ baseUrl: emu.apiUrl, token: TOKEN, sleep, baseDelayMs: 1 })
  const deps: FlowDeps = {
    client,
    log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
    clock: { now: () => now },
    sleep,
    random: () => 0.5,
    signal: new AbortController().signal,
    onRunKnown: (run) => known.push(run),
    onRecording: (id, on) => recording.push([id, on])
  }
  const settings = (inputs: Record<string, string>): Settings =>
    readSettings(
      (name) => ({ ...InputDefaults, 'stop-grace-period': '0s', ...inputs })[name as never] ?? '',
      {}
    )
  return {
    emu,
    deps,
    settings,
    logs,
    known,
    recording,
    advance: (ms) => {
      now += ms
    }
  }
}

const flow = (h: Harness, inputs: Record<string, string>): Promise<FlowResult> =>
  runFlow(h.settings({ token: TOKEN, ...inputs }), h.deps)

describe('record', () => {
  it('creates the run, says so at once, and ends recording once the node is ready', async () => {
    const h = await harness()
    const result = await flow(h, { mode: 'record', name: 'flow' })
    expect(result.conclusion).toBe('recording')
    expect(h.known[0]).toMatchObject({ recording: true })
    expect(h.recording).toEqual([[h.known[0]!.id, true]])
    expect(result.run?.ready_for_recording).toBe(true)
    expect(h.logs.join('\n')).toContain('send the tests')
  })

  it('says what to check when the node never picks the run up', async () => {
    const h = await harness({ readyDelayMs: 3_600_000 })
    const result = await flow(h, { mode: 'record', 'ready-timeout': '2m' })
    expect(result.conclusion).toBe('error')
    expect(result.reason).toMatch(/did not pick test run \d+ up within 2m/)
    expect(result.reason).toContain('wallarm/fast container')
  })

  it('ends interrupted when another run takes the node before it is ready', async () => {
    const h = await harness({ readyDelayMs: 60_000 })
    // Another job creates a run on the same node while this one waits for the node.
    const sleep = h.deps.sleep
    let taken = false
    h.deps.sleep = (ms, signal) => {
      if (!taken) h.emu.model.createTestRun(TOKEN, { name: 'the other job' })
      taken = true
      return sleep(ms, signal)
    }
    const result = await flow(h, { mode: 'record' })
    expect(result.conclusion).toBe('interrupted')
    expect(result.reason).toContain('same FAST node')
    expect(h.recording.at(-1)).toEqual([h.known[0]!.id, false])
  })
})

describe('stop', () => {
  it('treats a refused stop of a run that no longer records as done, and waits for the verdict', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r' })
    h.emu.model.stopRecording(TOKEN, run.id)
    // The API's answer to stopping a stopped run is undocumented (§6.2): a 400 must not fail the step.
    h.emu.injectFault({ method: 'POST', path: `/v1/test_run/${run.id}/action/stop`, status: 400 })
    const result = await flow(h, { mode: 'stop', 'test-run-id': String(run.id) })
    expect(result.conclusion).toBe('passed')
    expect(h.recording).toEqual([[String(run.id), false]])
  })

  it('rethrows a refused stop while the run still records', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r' })
    h.emu.injectFault({ method: 'POST', path: `/v1/test_run/${run.id}/action/stop`, status: 400 })
    await expect(flow(h, { mode: 'stop', 'test-run-id': String(run.id) })).rejects.toMatchObject({
      status: 400
    })
  })

  it('waits out the grace period before stopping', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r' })
    const before = h.deps.clock.now()
    await flow(h, { mode: 'stop', 'test-run-id': String(run.id), 'stop-grace-period': '5s', wait: 'false' })
    const stop = h.emu.requests.find((r) => r.path.endsWith('/action/stop'))!
    expect(stop.at - before).toBeGreaterThanOrEqual(5000)
  })

  it('says so when the run had ended at its first finding (stop-on-first-fail), its recording with it', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r', stop_on_first_fail: true })
    h.advance(5_000)
    const baseline = (path: string) =>
      h.emu.model.recordBaseline(TOKEN, { method: 'GET', url: `http://app${path}`, headers: {}, body: '' })
    expect(baseline('/vulnerable?q=1').recorded).toBe(true)
    h.advance(60_000) // the check ends, and with its finding the run
    expect(baseline('/later?q=1').recorded).toBe(false)
    const result = await flow(h, { mode: 'stop', 'test-run-id': String(run.id) })
    expect(result.run?.state).toBe('failed')
    expect(result.recordingEnded).toEqual({})
    expect(result.warnings[0]).toBe(
      `Test run ${run.id} had already ended at its first finding (stop-on-first-fail) when the stop was asked, ` +
        'and its recording with it. Requests sent after that were proxied but not recorded, so not tested.'
    )
  })
})

describe('reuse', () => {
  it('gives up on a record that keeps recording past ready-timeout, saying what to do', async () => {
    const h = await harness()
    const recorder = h.emu.model.createTestRun('fast-other', { name: 'still recording' })
    h.advance(10_000)
    h.emu.model.recordBaseline('fast-other', { method: 'GET', url: 'http://app/x', headers: {}, body: '' })
    const err = await flow(h, {
      mode: 'reuse',
      'test-record-id': String(recorder.test_record_id),
      'ready-timeout': '1m'
    })
      .then(() => undefined)
      .catch((e: unknown) => e)
    expect(String(err)).toContain('still recording after 1m (ready-timeout)')
    expect(String(err)).toContain('needs:')
    const refused = h.emu.requests.filter((r) => r.path === '/v1/test_run' && r.status === 400)
    expect(refused.length).toBeGreaterThan(2)
  })
})

describe('wait', () => {
  it('times out as timeout, never a pass, keeping the last state seen', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r', inactivity_timeout: 86400 })
    const result = await flow(h, { mode: 'wait', 'test-run-id': String(run.id), 'wait-timeout': '10m' })
    expect(result.conclusion).toBe('timeout')
    expect(result.reason).toContain('not a pass')
    expect(result.run?.state).toBe('running')
    expect(h.logs.some((l) => l.startsWith('Still waiting'))).toBe(true)
  })

  it('reports a finished run without waiting, even with wait: false', async () => {
    const h = await harness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'r' })
    h.emu.model.stopRecording(TOKEN, run.id)
    const result = await flow(h, { mode: 'wait', 'test-run-id': String(run.id), wait: 'false' })
    expect(result.conclusion).toBe('passed')
  })
})

describe('progressLine', () => {
  it('tells state, baselines checked, findings, errors and time left', () => {
    const line = progressLine(
      testRun({
        state: 'running',
        recording: true,
        vulns: [{ id: '1', threat: 80, code: 'S', type: 'sqli' }],
        baseline_check_tech_fail_count: 2,
        estimated_time_to_completion: 90
      }),
      true,
      61_000
    )
    expect(line).toBe(
      'Still waiting 5080: state running (recording), 3/3 baselines checked, 1 vulnerability, 2 with errors, about 1m 30s left [1m 1s]'
    )
  })

  it('says how many of the terminated checks were interrupted, never tested', () => {
    const line = progressLine(
      testRun({
        state: 'failed',
        baseline_count: 4,
        baseline_check_all_terminated_count: 4,
        baseline_check_fail_count: 1,
        baseline_check_passed_count: 0,
        baseline_check_interrupted_count: 3,
        estimated_time_to_completion: null
      }),
      false,
      1_000
    )
    expect(line).toBe(
      'Test run 5080: state failed, 4/4 baselines checked, 0 vulnerabilities, 3 interrupted [1s]'
    )
  })
})
