/**
 * The post step in-process (src/post.ts through the entry, as the runner runs it): every path, each
 * ending without failing the job.
 */
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import type { ClientFactory } from '../../src/action/client.js'
import { entry } from '../../src/entry.js'
import type { FakeRunner } from '../support/fake-runner.js'
import { TOKEN, stepHarness, type StepHarness } from './harness.js'

let h: StepHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function post(
  harness: StepHarness,
  runner: FakeRunner,
  env: NodeJS.ProcessEnv = {},
  createClient: ClientFactory = harness.createClient
): Promise<FakeRunner> {
  const proc = Object.assign(new EventEmitter(), { env: { ...harness.env, ...env } })
  await entry(runner, proc, 'post', createClient)
  expect(runner.failed).toBe(false)
  return runner
}

function postState(h: StepHarness, runId: number | string): Record<string, string> {
  return { 'recording-test-run-id': String(runId), 'api-base-url': h.emu.apiUrl }
}

describe('post step', () => {
  it('does nothing, reading no input, when no recording was left', async () => {
    h = await stepHarness()
    const r = await post(h, h.runner({ mode: 'record', token: TOKEN }))
    expect(r.logs).toEqual([])
    expect(r.secrets).toEqual([])
    expect(h.clients).toEqual([])
  })

  it('stops a recording the job left running, masking the token', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'left' })
    const r = await post(h, h.runner({ mode: 'record', token: TOKEN }, postState(h, run.id)))
    expect(r.secrets).toContain(TOKEN)
    expect(r.lines('info')).toContainEqual(
      expect.stringContaining(`Stopped the recording of test run ${run.id}`)
    )
    expect(h.emu.model.getTestRun(TOKEN, run.id).recording).toBe(false)
    expect(h.clients).toEqual([expect.objectContaining({ attempts: 3, timeoutMs: 10_000 })])
  })

  it('asks for the exact id it saved, even one above 2^53', async () => {
    h = await stepHarness()
    const r = await post(h, h.runner({ token: TOKEN }, postState(h, '9007199254740993')))
    expect(h.emu.requests.map((q) => q.path)).toContain('/v1/test_run/9007199254740993')
    expect(r.text).toContain('9007199254740993')
  })

  it('takes the token from WALLARM_API_TOKEN, whatever mode it is given', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'left' })
    const r = await post(h, h.runner({}, postState(h, run.id)), { WALLARM_API_TOKEN: TOKEN })
    expect(r.text).toContain(`Stopped the recording of test run ${run.id}`)
  })

  it('leaves a run that no longer records alone', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'stopped' })
    h.emu.model.stopRecording(TOKEN, run.id)
    const r = await post(h, h.runner({ token: TOKEN }, postState(h, run.id)))
    expect(r.lines('info')).toEqual([`Test run ${run.id} is no longer recording: nothing to clean up.`])
    expect(h.emu.requests.filter((q) => q.method === 'POST')).toEqual([])
  })

  it('leaves the recording alone with auto-stop: false', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'kept' })
    const r = await post(h, h.runner({ token: TOKEN, 'auto-stop': 'false' }, postState(h, run.id)))
    expect(r.lines('info')).toEqual([`auto-stop is false: test run ${run.id} is left as it is.`])
    expect(h.emu.model.getTestRun(TOKEN, run.id).recording).toBe(true)
  })

  it('warns when it has no token or no API address', async () => {
    h = await stepHarness()
    const noToken = await post(h, h.runner({}, postState(h, 5001)))
    const noApi = await post(h, h.runner({ token: TOKEN }, { ...postState(h, 5001), 'api-base-url': '' }))
    for (const r of [noToken, noApi]) {
      expect(r.lines('warning')).toEqual([
        'Test run 5001 may still be recording, but the post step has no token or API address to stop it.'
      ])
    }
    expect(h.emu.requests).toEqual([])
  })

  it('warns when the stop fails', async () => {
    h = await stepHarness()
    const run = h.emu.model.createTestRun(TOKEN, { name: 'left' })
    h.emu.injectFault({ method: 'POST', path: `/v1/test_run/${run.id}/action/stop`, status: 503, count: 3 })
    const r = await post(h, h.runner({ token: TOKEN }, postState(h, run.id)))
    expect(r.lines('warning')).toEqual([
      expect.stringMatching(new RegExp(`^Could not stop the recording of test run ${run.id}: .*unavailable`))
    ])
  })

  it('only warns on a bad input, and never builds a client', async () => {
    h = await stepHarness()
    const r = await post(h, h.runner({ token: TOKEN, 'auto-stop': 'maybe' }, postState(h, 5001)))
    expect(r.lines('warning')).toEqual([expect.stringContaining('Input "auto-stop" has the value "maybe"')])
    expect(h.clients).toEqual([])
  })

  it('only warns when the client cannot even be built', async () => {
    h = await stepHarness()
    const r = await post(h, h.runner({ token: TOKEN }, postState(h, 5001)), {}, () => {
      throw new Error('no client')
    })
    expect(r.lines('warning')).toEqual(['no client'])
    // Whatever is thrown, even a bare string, is said as it is.
    const bare = await post(h, h.runner({ token: TOKEN }, postState(h, 5001)), {}, () => {
      throw 'bare' as unknown as Error
    })
    expect(bare.lines('warning')).toEqual(['bare'])
  })
})
