/**
 * The whole step in-process: the entry, `runMain` or `runPost` with a {@link FakeRunner} as the runner,
 * the real client against the emulator, both on one virtual clock that the step's sleeps advance.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClientFactory, type ClientOptions } from '../../src/action/client.js'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { ReportedFailure } from '../../src/common/error-message.js'
import { runMain } from '../../src/main.js'
import { FakeRunner } from '../support/fake-runner.js'

export const TOKEN = 'fast-step-token'

export interface StepHarness {
  emu: Emulator
  /** The options of every client the step built. */
  clients: ClientOptions[]
  createClient: ClientFactory
  clock: { now(): number }
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Called on every sleep of the step (e.g. to cancel it mid-wait). */
  onSleep: ((ms: number) => void) | undefined
  advance: (ms: number) => void
  env: NodeJS.ProcessEnv
  runner(inputs: Record<string, string>, state?: Record<string, string>): FakeRunner
  /** A finished run of the emulator, with a vulnerability when `vulnerable`. */
  finishedRun(vulnerable: boolean): Promise<number>
  close(): Promise<void>
}

export async function stepHarness(options: EmulatorOptions = {}): Promise<StepHarness> {
  let now = 1_700_000_000_000
  const emu = await startEmulator({ tokens: [TOKEN], clock: () => now, ...options })
  const temp = mkdtempSync(join(tmpdir(), 'wallarm-step-'))
  const clients: ClientOptions[] = []
  const h: StepHarness = {
    emu,
    clients,
    clock: { now: () => now },
    onSleep: undefined,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(signal.reason as Error)
      now += ms
      h.onSleep?.(ms)
      return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()
    },
    createClient: (o) => {
      clients.push(o)
      return createClient({ ...o, sleep: (ms, signal) => h.sleep(ms, signal), baseDelayMs: 1 })
    },
    advance: (ms) => {
      now += ms
    },
    env: {
      RUNNER_TEMP: temp,
      GITHUB_STEP_SUMMARY: join(temp, 'summary.md'),
      GITHUB_REPOSITORY: 'octo/app',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_JOB: 'test',
      GITHUB_RUN_ID: '77',
      GITHUB_RUN_NUMBER: '12',
      GITHUB_ACTION: 'fast'
    },
    runner: (inputs, state = {}) =>
      new FakeRunner({ 'api-host': emu.apiUrl, 'stop-grace-period': '0s', ...inputs }, state),
    finishedRun: async (vulnerable) => {
      const run = emu.model.createTestRun(TOKEN, { name: 'earlier' })
      now += 5_000
      emu.model.recordBaseline(TOKEN, {
        method: 'GET',
        url: vulnerable ? 'http://app/vulnerable?q=1' : 'http://app/fine?q=1',
        headers: {},
        body: ''
      })
      emu.model.stopRecording(TOKEN, run.id)
      now += 3_600_000
      return Promise.resolve(run.id)
    },
    close: async () => {
      await emu.close()
      rmSync(temp, { recursive: true, force: true })
    }
  }
  return h
}

/** Runs the main step as the entry does: a throw is the step's failure. */
export async function runMainStep(
  harness: StepHarness,
  runner: FakeRunner,
  opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {}
): Promise<FakeRunner> {
  try {
    await runMain(runner, harness.createClient, {
      env: { ...harness.env, ...opts.env },
      signal: opts.signal ?? new AbortController().signal,
      clock: harness.clock,
      sleep: harness.sleep,
      random: () => 0.5
    })
  } catch (err) {
    // As the entry does.
    if (err instanceof ReportedFailure) runner.markFailed()
    else runner.setFailed(err instanceof Error ? err.message : String(err))
  }
  return runner
}
