/**
 * What the step writes for the runner (outputs, variables, state): a write that fails never throws into
 * the work under way; the first failure is kept and worded with the run's ids.
 */
import { describe, expect, it } from 'vitest'
import { OutputSink } from '../../src/action/outputs.js'
import { StateSink } from '../../src/action/state.js'
import { FakeRunner } from '../support/fake-runner.js'

describe('StateSink', () => {
  it('saves, and says nothing is broken, while GITHUB_STATE can be written', () => {
    const runner = new FakeRunner()
    const state = new StateSink(runner)
    expect(state.save('api-base-url', 'http://x')).toBe(true)
    expect(runner.state['api-base-url']).toBe('http://x')
    expect(state.broken()).toBeUndefined()
  })

  it('keeps the first failure, without a trailing full stop, and goes on answering false', () => {
    const runner = new FakeRunner()
    const state = new StateSink(runner)
    runner.stateError = new Error('ENOSPC: no space left on device.')
    expect(state.save('api-base-url', 'http://x')).toBe(false)
    runner.stateError = new Error('second')
    expect(state.save('recording-test-run-id', '5')).toBe(false)
    expect(state.broken()).toBe('ENOSPC: no space left on device')
    runner.stateError = undefined
    expect(state.save('recording-test-run-id', '')).toBe(true)
    expect(state.broken()).toBe('ENOSPC: no space left on device')
  })
})

describe('OutputSink', () => {
  it('a failed write throws nothing; the failure names the run and its record', () => {
    const runner = new FakeRunner()
    const outputs = new OutputSink(runner)
    runner.outputError = new Error('EISDIR: illegal operation on a directory, write')
    outputs.set('test-run-id', 5001)
    outputs.set('test-record-id', 9001)
    outputs.complete()
    expect(outputs.failure()).toBe(
      "Writing the step's outputs (GITHUB_OUTPUT) failed: EISDIR: illegal operation on a directory, write. " +
        'Test run 5001 (test record 9001): later steps cannot read its ids from this step.'
    )
  })

  it('before any run: the failure alone; none at all when every write worked', () => {
    const runner = new FakeRunner()
    const outputs = new OutputSink(runner)
    outputs.exportVariable('X', '1')
    expect(outputs.failure()).toBeUndefined()
    runner.envError = new Error('EACCES')
    outputs.exportVariable('X', '2')
    expect(outputs.failure()).toBe(
      "Writing the step's environment variables for later steps (GITHUB_ENV) failed: EACCES."
    )
  })
})
