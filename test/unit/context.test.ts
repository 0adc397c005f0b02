import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readEventPayload, workflowContext } from '../../src/action/context.js'

describe('workflowContext', () => {
  it('reads the GITHUB_* variables, empty ones as absent', () => {
    expect(workflowContext({ GITHUB_REPOSITORY: 'octo/app', GITHUB_JOB: '', GITHUB_SHA: 'abc' })).toEqual({
      serverUrl: undefined,
      repository: 'octo/app',
      workflow: undefined,
      workflowRef: undefined,
      job: undefined,
      runId: undefined,
      runNumber: undefined,
      runAttempt: undefined,
      sha: 'abc',
      ref: undefined
    })
  })
})

describe('readEventPayload', () => {
  it('reads the event file, and is undefined when there is none or it is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'event-'))
    try {
      const good = join(dir, 'good.json')
      const bad = join(dir, 'bad.json')
      writeFileSync(good, '{"pull_request":{"number":3}}')
      writeFileSync(bad, '{')
      expect(readEventPayload({ GITHUB_EVENT_PATH: good })).toEqual({ pull_request: { number: 3 } })
      expect(readEventPayload({ GITHUB_EVENT_PATH: bad })).toBeUndefined()
      expect(readEventPayload({ GITHUB_EVENT_PATH: join(dir, 'missing.json') })).toBeUndefined()
      expect(readEventPayload({})).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
