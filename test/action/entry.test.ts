/**
 * The entry in-process: main or post by the entry that started it (never by the state), the one catch that fails the main step, and
 * the runner's cancel signals (the first aborts the work, a second is left to Node).
 */
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { entry } from '../../src/entry.js'
import { TOKEN, stepHarness, type StepHarness } from './harness.js'

let h: StepHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

function fakeProcess(env: NodeJS.ProcessEnv): EventEmitter & { env: NodeJS.ProcessEnv } {
  return Object.assign(new EventEmitter(), { env })
}

describe('entry', () => {
  it('runs the main step, and fails the step on what main throws', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': '424242' })
    const proc = fakeProcess(h.env)
    await entry(runner, proc, 'main', h.createClient, { clock: h.clock, sleep: h.sleep })
    expect(runner.state['is-post']).toBeUndefined()
    expect(runner.failure).toEqual(expect.stringContaining('no such test run 424242'))
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0)
  })

  it('cancels on the first SIGINT: stops the recording it started, then lets a second signal through', async () => {
    h = await stepHarness({ readyDelayMs: 3_600_000 })
    const runner = h.runner({ mode: 'record', token: TOKEN })
    const proc = fakeProcess(h.env)
    let listening: number | undefined
    h.onSleep = () => {
      if (listening !== undefined) return
      listening = proc.listenerCount('SIGINT')
      proc.emit('SIGINT', 'SIGINT')
    }
    await entry(runner, proc, 'main', h.createClient, { clock: h.clock, sleep: h.sleep })
    expect(listening).toBe(1)
    expect(runner.lines('info')).toContain('Received SIGINT: cancelling.')
    expect(runner.failure).toEqual('The job was cancelled.')
    const id = Number(runner.outputs['test-run-id'])
    expect(h.emu.model.getTestRun(TOKEN, id).recording).toBe(false)
    expect(proc.listenerCount('SIGTERM')).toBe(0)
  })

  it('cancels on SIGTERM alike', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'long', inactivity_timeout: 86400 })
    const runner = h.runner({ mode: 'wait', token: TOKEN, 'test-run-id': String(run.id) })
    const proc = fakeProcess(h.env)
    h.onSleep = () => proc.emit('SIGTERM', 'SIGTERM')
    await entry(runner, proc, 'main', h.createClient, { clock: h.clock, sleep: h.sleep })
    expect(runner.lines('info')).toContain('Received SIGTERM: cancelling.')
    expect(runner.outputs.conclusion).toBe('error')
  })

  it('runs the post step when started as the post step, without listening for signals', async () => {
    h = await stepHarness()
    const runner = h.runner({ token: TOKEN, 'auto-stop': 'false' }, { 'recording-test-run-id': '5' })
    const proc = fakeProcess(h.env)
    let listened = false
    proc.on('newListener', () => {
      listened = true
    })
    await entry(runner, proc, 'post', h.createClient)
    expect(runner.lines('info')).toEqual(['auto-stop is false: test run 5 is left as it is.'])
    expect(listened).toBe(false)
    expect(Object.keys(runner.outputs)).toEqual([])
  })

  it('a post step with no state (main could not write it) starts nothing: no request, no recording', async () => {
    h = await stepHarness()
    const runner = h.runner({ mode: 'record', token: TOKEN })
    await entry(runner, fakeProcess(h.env), 'post', h.createClient)
    expect(runner.failed).toBe(false)
    expect(h.emu.requests).toEqual([])
    expect(h.clients).toEqual([])
    expect(Object.keys(runner.outputs)).toEqual([])
  })
})

describe('which step', () => {
  it('is the post step only when dist/post.js set the flag before loading the bundle', async () => {
    const { currentStep, POST_STEP_FLAG } = await import('../../src/step.js')
    expect(currentStep({})).toBe('main')
    expect(currentStep({ [Symbol.for(POST_STEP_FLAG)]: true })).toBe('post')
    expect(currentStep({ [Symbol.for(POST_STEP_FLAG)]: 'true' })).toBe('main')
  })
})
