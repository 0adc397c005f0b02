/**
 * The action's scenarios, end to end: the bundled dist/index.js run as the runner runs it, against the
 * emulator and the sample app. Defined once and run on Node 20 and on Node 24 (node20.test.ts,
 * node24.test.ts).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { viaProxy } from '../emulator/helpers.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { FakeGitHub, pullRequestEnv } from '../support/fake-github.js'
import { runPostStep, runStep, type StepOptions, type StepResult } from './harness.js'

const TOKENS = Array.from(
  { length: 24 },
  (_, i) => `fast-node-token-${String(i + 1).padStart(2, '0')}-s3cr3t`
)
/** A node token that may not read vulnerability details (POST /v1/objects/vuln answers 403). */
const DETAILS_DENIED_TOKEN = 'fast-node-token-no-details'
/** Validation never reaches the API, so every validation case uses this one token (and checks it never did). */
const VALIDATION_TOKEN = 'fast-node-token-validation'

/** Lines a person would see in the log: the runner consumes ::add-mask:: and never shows it. */
export function visibleLog(step: StepResult): string {
  return `${step.stdout}\n${step.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** The token must appear nowhere a person or a later step could read it. */
function expectNoToken(step: StepResult, token: string): void {
  expect(visibleLog(step)).not.toContain(token)
  expect(JSON.stringify(step.outputs)).not.toContain(token)
  expect(JSON.stringify(step.state)).not.toContain(token)
  expect(JSON.stringify(step.exported)).not.toContain(token)
  expect(step.summary).not.toContain(token)
  for (const file of filesUnder(step.runnerTemp))
    expect(readFileSync(file, 'utf8'), file).not.toContain(token)
}

/** Sends the step SIGINT, as the runner does on a cancelled workflow, once its log says `text`. */
function cancelOnceItSays(text: string): { onSpawn: StepOptions['onSpawn']; sent: () => boolean } {
  let sent = false
  return {
    sent: () => sent,
    onSpawn: (child) =>
      child.stdout?.on('data', (chunk: Buffer) => {
        if (!sent && chunk.toString().includes(text)) {
          sent = true
          child.kill('SIGINT')
        }
      })
  }
}

export function defineScenarios(runtime: string, node: () => string): void {
  // The scenarios are independent (a node token each), so they run side by side: most of their time
  // is spent waiting on the emulator's clock.
  describe.concurrent(`the bundled action on ${runtime}`, () => {
    let emu: Emulator
    let app: SampleApp
    let nodePath: string
    let nextToken = 0
    const takeToken = (): string => {
      const token = TOKENS[nextToken++]
      if (!token) throw new Error('out of emulator tokens: add more to TOKENS')
      return token
    }

    beforeAll(async () => {
      nodePath = node()
      emu = await startEmulator({
        tokens: [...TOKENS, DETAILS_DENIED_TOKEN],
        vulnReadDenied: [DETAILS_DENIED_TOKEN],
        timeScale: 0.02,
        vulnRule: (r) =>
          r.path === INJECTABLE_PATH ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' } : null
      })
      app = await startSampleApp()
    }, 300_000)

    afterAll(async () => {
      await emu?.close()
      await app?.close()
    })

    const step = (token: string | undefined, inputs: Record<string, string>, opts: StepOptions = {}) =>
      runStep({
        node: nodePath,
        ...opts,
        inputs: {
          ...(token ? { token } : {}),
          'api-host': emu.apiUrl,
          'stop-grace-period': '0s',
          // At time scale 0.02 the default 600 s would end an idle recording after 12 real seconds.
          ...(inputs.mode === 'record' ? { 'inactivity-timeout': '86400' } : {}),
          ...inputs
        }
      })

    const cleanTests = async (token: string): Promise<void> => {
      for (const path of ['/api/products', '/api/products/2']) {
        expect((await viaProxy(emu.proxyUrls[token]!, `${app.url}${path}`)).status).toBe(200)
      }
    }
    const allTests = async (token: string): Promise<void> => {
      await cleanTests(token)
      expect((await viaProxy(emu.proxyUrls[token]!, `${app.url}${INJECTABLE_PATH}?q=tea`)).status).toBe(200)
    }
    /** The API requests the emulator received, of one node token when given (tests run concurrently). */
    const requestsOf = (method: string, path: RegExp, token?: string) =>
      emu.requests.filter(
        (r) => r.method === method && path.test(r.path) && (token === undefined || tokenOf(r) === token)
      )
    const tokenOf = (r: { headers: Record<string, string> }): string | undefined =>
      r.headers['x-wallarmapi-token']

    it('record → the tests through the proxy → stop: failed, with the vulnerability everywhere it is reported', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record', name: 'shop e2e' })
      expect(record.exitCode, visibleLog(record)).toBe(0)
      expect(record.outputs).toMatchObject({
        conclusion: 'recording',
        state: 'running',
        vulnerabilities: '',
        'vulnerabilities-json': '',
        'sarif-path': '',
        'junit-path': ''
      })
      const runId = record.outputs['test-run-id']!
      expect(runId).toMatch(/^\d+$/)
      expect(record.exported).toEqual({
        WALLARM_FAST_TEST_RUN_ID: runId,
        WALLARM_FAST_TEST_RECORD_ID: record.outputs['test-record-id']
      })
      const create = requestsOf('POST', /^\/v1\/test_run$/, token).at(-1)!
      expect(create.body).toMatchObject({
        name: 'shop e2e',
        inactivity_timeout: 86400,
        skip_duplicated_baselines: true
      })
      expect(create.body).not.toHaveProperty('test_record_id')

      await allTests(token)
      // The stop step of the same job finds the run through WALLARM_FAST_TEST_RUN_ID.
      const stop = await step(token, { mode: 'stop' }, { env: record.exported })
      expect(stop.exitCode, visibleLog(stop)).toBe(1)
      expect(stop.outputs).toMatchObject({
        'test-run-id': runId,
        'test-record-id': record.outputs['test-record-id'],
        state: 'failed',
        conclusion: 'failed',
        baselines: '3',
        vulnerabilities: '1'
      })
      const vulns = JSON.parse(stop.outputs['vulnerabilities-json']!) as Array<Record<string, unknown>>
      expect(vulns).toEqual([
        expect.objectContaining({ type: 'sqli', threat: 80, path: INJECTABLE_PATH, method: 'GET' })
      ])
      expect(visibleLog(stop)).toMatch(/::error title=Wallarm FAST.*sqli|::error title=.*SQL injection/i)
      // The verdict is the first error annotation, titled with the conclusion.
      expect(visibleLog(stop)).toMatch(
        /^::error title=Wallarm FAST%3A failed::Testing found 1 vulnerability/m
      )
      expect(stop.summary).toContain('Wallarm FAST: failed')
      expect(stop.summary).toContain('/api/search')

      const report = JSON.parse(readFileSync(stop.outputs['report-path']!, 'utf8')) as Record<string, unknown>
      expect(report).toMatchObject({ conclusion: 'failed', failed: true })
      expect(stop.outputs['report-path']!.startsWith(stop.runnerTemp)).toBe(true)
      const sarif = JSON.parse(readFileSync(stop.outputs['sarif-path']!, 'utf8')) as {
        runs: Array<{ results: unknown[] }>
      }
      expect(sarif.runs[0]!.results).toHaveLength(1)
      const junit = readFileSync(stop.outputs['junit-path']!, 'utf8')
      expect(XMLValidator.validate(junit)).toBe(true)
      expect(junit).toContain('<failure')
      // Details were read from /v1/objects/vuln.
      expect(requestsOf('POST', /^\/v1\/objects\/vuln$/, token).length).toBeGreaterThan(0)

      // The record step's post step finds nothing left recording and changes nothing.
      const stopsBefore = requestsOf('POST', /\/action\/stop$/, token).length
      const post = await runPostStep(record, { node: nodePath, inputs: { token, 'api-host': emu.apiUrl } })
      expect(post.exitCode).toBe(0)
      expect(post.stdout).toContain('no longer recording')
      expect(requestsOf('POST', /\/action\/stop$/, token).length).toBe(stopsBefore)
      for (const s of [record, stop, post]) expectNoToken(s, token)

      // Reuse the record with another node's token: the same vulnerability again.
      const other = takeToken()
      const reuse = await step(other, { mode: 'reuse', 'test-record-id': record.outputs['test-record-id']! })
      expect(reuse.exitCode, visibleLog(reuse)).toBe(1)
      expect(reuse.outputs).toMatchObject({
        'test-record-id': record.outputs['test-record-id'],
        conclusion: 'failed',
        vulnerabilities: '1'
      })
      expect(reuse.outputs['test-run-id']).not.toBe(runId)
      expectNoToken(reuse, other)
    })

    it('a clean recording passes, with a passing JUnit case and no vulnerabilities', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      await cleanTests(token)
      const stop = await step(token, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']! })
      expect(stop.exitCode, visibleLog(stop)).toBe(0)
      expect(stop.outputs).toMatchObject({
        conclusion: 'passed',
        state: 'passed',
        vulnerabilities: '0',
        baselines: '2'
      })
      expect(stop.outputs['vulnerabilities-json']).toBe('[]')
      const junitXml = readFileSync(stop.outputs['junit-path']!, 'utf8')
      const junit = new XMLParser({ ignoreAttributes: false }).parse(junitXml) as {
        testsuites: { testsuite: { '@_failures': string; '@_tests': string; testcase: { '@_name': string } } }
      }
      expect(junit.testsuites.testsuite).toMatchObject({ '@_failures': '0', '@_tests': '1' })
      expect(junit.testsuites.testsuite.testcase['@_name']).toBe('No vulnerabilities')
      expect(junitXml).not.toContain('<failure')
      expect(stop.summary).toContain('passed')
    })

    it('reuse waits while the test record is still recording, then copies it', async () => {
      const recorder = takeToken()
      const record = await step(recorder, { mode: 'record' })
      await allTests(recorder)
      const reuser = takeToken()
      const reusing = step(reuser, {
        mode: 'reuse',
        'test-record-id': record.outputs['test-record-id']!,
        'ready-timeout': '2m'
      })
      // Stop only once the reuse step has been told the record is not ready yet.
      const copyAttempts = () =>
        requestsOf('POST', /^\/v1\/test_run$/, reuser).filter((r) => r.status === 400).length
      const before = copyAttempts()
      await expect.poll(copyAttempts, { timeout: 30_000, interval: 100 }).toBeGreaterThan(before)
      await step(recorder, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']!, wait: 'false' })
      const reuse = await reusing
      expect(reuse.outputs, visibleLog(reuse)).toMatchObject({ conclusion: 'failed', vulnerabilities: '1' })
      expect(visibleLog(reuse)).toContain('still recording')
    })

    it('reuse gives up clearly when the record stays recording past ready-timeout', async () => {
      const recorder = takeToken()
      const record = await step(recorder, { mode: 'record' })
      await allTests(recorder)
      const reuse = await step(takeToken(), {
        mode: 'reuse',
        'test-record-id': record.outputs['test-record-id']!,
        'ready-timeout': '3s'
      })
      expect(reuse.exitCode).toBe(1)
      expect(reuse.outputs.conclusion).toBe('error')
      expect(visibleLog(reuse)).toMatch(/still recording after 3s \(ready-timeout\)/)
      await step(recorder, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']!, wait: 'false' })
    })

    it('a second run on the same token interrupts the first, and the first says why', async () => {
      const token = takeToken()
      const first = await step(token, { mode: 'record', name: 'leg one' })
      await allTests(token)
      const second = await step(token, { mode: 'record', name: 'leg two' })
      expect(second.exitCode).toBe(0)
      const wait = await step(token, { mode: 'wait', 'test-run-id': first.outputs['test-run-id']! })
      expect(wait.exitCode).toBe(1)
      expect(wait.outputs).toMatchObject({ conclusion: 'interrupted', state: 'interrupted' })
      expect(wait.summary).toMatch(/same FAST node/)
      expect(wait.outputs['sarif-path']).toBe('')
      expect(wait.outputs['junit-path']).not.toBe('')
      expect(visibleLog(wait)).toMatch(/::error title=Wallarm FAST%3A interrupted::.*interrupted/)
      await step(token, { mode: 'stop', 'test-run-id': second.outputs['test-run-id']!, wait: 'false' })
    })

    it('the post step stops a recording the job left running (the tests failed before the stop step)', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      await allTests(token)
      const runId = Number(record.outputs['test-run-id'])
      const post = await runPostStep(record, { node: nodePath, inputs: { token, 'api-host': emu.apiUrl } })
      expect(post.exitCode).toBe(0)
      expect(post.stdout).toContain(`Stopped the recording of test run ${runId}`)
      const stops = requestsOf('POST', new RegExp(`^/v1/test_run/${runId}/action/stop$`), token)
      expect(stops).toHaveLength(1)
      expect(stops[0]!.headers['user-agent']).toMatch(/^wallarm-fast-action\/\d+\.\d+\.\d+/)
      expect(emu.model.getTestRun(token, runId).recording).toBe(false)
      expectNoToken(post, token)
    })

    it('auto-stop: false leaves the recording alone', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      const runId = Number(record.outputs['test-run-id'])
      const post = await runPostStep(record, {
        node: nodePath,
        inputs: { token, 'api-host': emu.apiUrl, 'auto-stop': 'false' }
      })
      expect(post.stdout).toContain('auto-stop is false')
      expect(emu.model.getTestRun(token, runId).recording).toBe(true)
      emu.model.stopRecording(token, runId)
    })

    it('cancelled while polling: stops waiting, keeps the ids in the outputs, and writes the summary', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      await allTests(token)
      const runId = record.outputs['test-run-id']!
      const cancel = cancelOnceItSays('Waiting up to')
      const wait = await step(
        token,
        { mode: 'wait', 'test-run-id': runId },
        {
          onSpawn: cancel.onSpawn
        }
      )
      expect(cancel.sent()).toBe(true)
      expect(wait.exitCode).toBe(1)
      expect(wait.outputs).toMatchObject({ 'test-run-id': runId, conclusion: 'error' })
      expect(visibleLog(wait)).toContain('cancelled')
      expect(wait.summary).toContain('error')
      emu.model.stopRecording(token, Number(runId))
    })

    it('wait-timeout gives conclusion timeout, never a pass', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      const wait = await step(token, {
        mode: 'wait',
        'test-run-id': record.outputs['test-run-id']!,
        'wait-timeout': '3s'
      })
      expect(wait.exitCode).toBe(1)
      expect(wait.outputs).toMatchObject({ conclusion: 'timeout', state: 'running' })
      // No SARIF for a partial verdict (it would close alerts that still stand); JUnit has an error case.
      expect(wait.outputs['sarif-path']).toBe('')
      expect(readFileSync(wait.outputs['junit-path']!, 'utf8')).toContain('<error')
      expect(wait.summary).toMatch(/not a pass/i)
      const lenient = await step(token, {
        mode: 'wait',
        'test-run-id': record.outputs['test-run-id']!,
        'wait-timeout': '2s',
        'fail-on': 'never'
      })
      expect(lenient.outputs.conclusion).toBe('timeout')
      expect(lenient.exitCode).toBe(0)
      emu.model.stopRecording(token, Number(record.outputs['test-run-id']))
    })

    it('wait: false returns at once with conclusion running', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      await allTests(token)
      // A run that still records cannot finish, so this is deterministic.
      const wait = await step(token, {
        mode: 'wait',
        'test-run-id': record.outputs['test-run-id']!,
        wait: 'false'
      })
      expect(wait.exitCode, visibleLog(wait)).toBe(0)
      expect(wait.outputs).toMatchObject({ conclusion: 'running', state: 'running', 'sarif-path': '' })
      expect(requestsOf('GET', /^\/v1\/test_run\/\d+$/, token).length).toBeLessThanOrEqual(3)
      emu.model.stopRecording(token, Number(record.outputs['test-run-id']))
    })

    it('comments on the pull request once, updates it in place, and only warns when it may not', async () => {
      const github = new FakeGitHub()
      await github.start()
      try {
        const pr = pullRequestEnv(github)
        const token = takeToken()
        const record = await step(token, { mode: 'record', name: 'shop pr' })
        await allTests(token)
        const commented = { comment: 'true', name: 'shop pr', 'test-run-id': record.outputs['test-run-id']! }
        const stop = await step(token, { mode: 'stop', ...commented }, { env: pr })
        expect(stop.outputs.conclusion).toBe('failed')
        const posts = github.commentRequests.filter((r) => r.method === 'POST')
        expect(posts.map((r) => r.path)).toEqual(['/repos/octo/shop/issues/7/comments'])
        expect(posts[0]!.authorization).toMatch(/ghs_job_token_stand_in/)
        const body = (posts[0]!.body as { body: string }).body
        expect(body).toMatch(/^<!-- wallarm-fast-action:[0-9a-f]{40} -->/)
        expect(body).toContain('Wallarm FAST: failed')
        expect(visibleLog(stop)).toContain('comment: created')

        // The next push (here: a wait step of the same name) updates the same comment.
        const again = await step(token, { mode: 'wait', ...commented }, { env: pr })
        expect(github.commentRequests.filter((r) => r.method === 'POST')).toHaveLength(1)
        expect(github.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([
          `/repos/octo/shop/issues/comments/${github.comments[0]!.id}`
        ])
        expect(visibleLog(again)).toContain('comment: updated')

        // A read-only token (a fork's, or no pull-requests: write) is a warning; the gate alone decides.
        github.failures = [{ method: 'GET', status: 403, message: 'Resource not accessible by integration' }]
        const forbidden = await step(token, { mode: 'wait', ...commented }, { env: pr })
        expect(forbidden.exitCode).toBe(1)
        expect(forbidden.outputs.conclusion).toBe('failed')
        expect(visibleLog(forbidden)).toMatch(/::warning::comment: .*pull-requests: write/)
        expect(visibleLog(forbidden)).not.toMatch(/::error::comment/)
      } finally {
        await github.stop()
      }
    })

    it("a token that may not read vulnerability details warns once and reports the run's own findings", async () => {
      const token = DETAILS_DENIED_TOKEN
      const record = await step(token, { mode: 'record' })
      await allTests(token)
      const stop = await step(token, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']! })
      expect(stop.outputs).toMatchObject({ conclusion: 'failed', vulnerabilities: '1' })
      expect(JSON.parse(stop.outputs['vulnerabilities-json']!)).toEqual([
        expect.objectContaining({ type: 'sqli', threat: 80 })
      ])
      expect(requestsOf('POST', /^\/v1\/objects\/vuln$/, token).map((r) => r.status)).toEqual([403])
      expect(
        visibleLog(stop).match(
          /::warning::The Wallarm API refused the node token to read vulnerability details/g
        )
      ).toHaveLength(1)
      expect(stop.summary).toContain('refused the node token to read vulnerability details')
      expect(JSON.parse(readFileSync(stop.outputs['report-path']!, 'utf8'))).toMatchObject({
        findingsSource: 'summary'
      })
    })

    it('no baselines recorded: inconclusive, not a pass, and the summary says what to check', async () => {
      const token = takeToken()
      const record = await step(token, { mode: 'record' })
      const stop = await step(token, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']! })
      expect(stop.exitCode).toBe(1)
      expect(stop.outputs).toMatchObject({ baselines: '0', conclusion: 'inconclusive', state: 'passed' })
      expect(stop.stdout).toMatch(
        /::error title=Wallarm FAST%3A inconclusive::Inconclusive: No baselines were recorded/
      )
      const junit = readFileSync(stop.outputs['junit-path']!, 'utf8')
      expect(junit).toContain('Test run inconclusive')
      expect(stop.outputs['sarif-path']).toBe('')
      expect(stop.summary).toMatch(/no baseline/i)
      expect(stop.summary).toMatch(/ALLOWED_HOSTS/)
    })

    it('survives bursts of 5xx, 429, resets and a failed details call', async () => {
      // Faults match by path, so this scenario has an emulator of its own.
      const token = takeToken()
      const faulty = await startEmulator({
        tokens: [token],
        timeScale: 0.02,
        vulnRule: (r) => (r.path === INJECTABLE_PATH ? { type: 'sqli', threat: 80, parameter: 'q' } : null)
      })
      try {
        const on = { 'api-host': faulty.apiUrl }
        faulty.injectFault({ method: 'POST', path: '/v1/test_run', status: 503, count: 2 })
        faulty.injectFault({
          method: 'GET',
          path: /^\/v1\/test_run\/\d+$/,
          status: 429,
          retryAfter: '1',
          count: 2
        })
        faulty.injectFault({ method: 'GET', path: /^\/v1\/test_run\/\d+$/, reset: true, count: 1 })
        const record = await step(token, { mode: 'record', ...on })
        expect(record.exitCode, visibleLog(record)).toBe(0)
        expect(visibleLog(record)).toContain('Trying again')
        expect(faulty.requests.filter((r) => r.method === 'POST' && r.path === '/v1/test_run')).toHaveLength(
          3
        )
        const polls = faulty.requests.filter((r) => r.method === 'GET').map((r) => r.status)
        expect(polls.slice(0, 3)).toEqual([429, 429, 0]) // 0: the connection was reset
        expect(polls.at(-1)).toBe(200)
        for (const path of ['/api/products', `${INJECTABLE_PATH}?q=tea`]) {
          await viaProxy(faulty.proxyUrl, `${app.url}${path}`)
        }
        faulty.injectFault({ method: 'POST', path: /\/action\/stop$/, status: 502, count: 1 })
        faulty.injectFault({ method: 'POST', path: '/v1/objects/vuln', status: 500, count: 1 })
        const stop = await step(token, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']!, ...on })
        expect(stop.outputs, visibleLog(stop)).toMatchObject({ conclusion: 'failed', vulnerabilities: '1' })
        expect(faulty.requests.filter((r) => r.path.endsWith('/action/stop')).map((r) => r.status)).toEqual([
          502, 200
        ])
        // A 400 is never retried.
        faulty.injectFault({ method: 'GET', path: /^\/v1\/test_run\/\d+$/, status: 400, count: 1 })
        const before = faulty.requests.length
        const wait = await step(token, { mode: 'wait', 'test-run-id': record.outputs['test-run-id']!, ...on })
        expect(wait.outputs.conclusion).toBe('error')
        expect(faulty.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
          `GET /v1/test_run/${record.outputs['test-run-id']} 400`
        ])
      } finally {
        await faulty.close()
      }
    })

    it('a rejected token fails with what to check, and no token in the log', async () => {
      const token = 'not-a-node-token-zzz'
      const record = await step(token, { mode: 'record' })
      expect(record.exitCode).toBe(1)
      expect(record.outputs.conclusion).toBe('error')
      expect(visibleLog(record)).toMatch(/::error title=Wallarm FAST%3A error::.*token/i)
      expectNoToken(record, token)
    })

    it('the token may come from WALLARM_API_TOKEN, even with a stray line break', async () => {
      const token = takeToken()
      const record = await step(undefined, { mode: 'record' }, { env: { WALLARM_API_TOKEN: `${token}\n` } })
      expect(record.exitCode, visibleLog(record)).toBe(0)
      expectNoToken(record, token)
      emu.model.stopRecording(token, Number(record.outputs['test-run-id']))
    })

    it('no token with if-no-token: skip ends skipped, even for a stop step that has no run', async () => {
      const tokenless = () => emu.requests.filter((r) => tokenOf(r) === undefined).length
      const before = tokenless()
      for (const mode of ['record', 'stop', 'reuse']) {
        const skipped = await step(undefined, { mode, 'if-no-token': 'skip' })
        expect(skipped.exitCode, visibleLog(skipped)).toBe(0)
        expect(skipped.outputs.conclusion).toBe('skipped')
        expect(skipped.outputs['test-run-id']).toBe('')
        expect(visibleLog(skipped)).toContain('::notice')
      }
      // Skipping still checks every input: a typo fails on forks' pull requests too.
      const typo = await step(undefined, { mode: 'record', 'if-no-token': 'skip', rps: '0' })
      expect(typo.exitCode).toBe(1)
      expect(visibleLog(typo)).toMatch(/"rps"/)
      const failed = await step(undefined, { mode: 'record' })
      expect(failed.exitCode).toBe(1)
      expect(visibleLog(failed)).toMatch(/if-no-token: skip/)
      expect(tokenless()).toBe(before)
    })

    it('API text with Markdown in it is escaped in the summary', async () => {
      const token = takeToken()
      const name = 'evil | <img src=x onerror=alert(1)> [click](http://evil.example) @everyone'
      const record = await step(token, { mode: 'record', name })
      await allTests(token)
      const stop = await step(token, { mode: 'stop', 'test-run-id': record.outputs['test-run-id']! })
      expect(stop.summary).not.toContain('<img')
      expect(stop.summary).not.toContain('[click](http://evil.example)')
      expect(stop.summary).not.toContain('@everyone')
      expect(stop.summary).toContain('img src=x')
    })

    describe('every bad input is refused before any API call, naming the input, the value and what is allowed', () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ mode: 'start' }, /"mode".*"start".*record/],
        [{ mode: 'scan' }, /"run" has the value "": expected the command that runs your tests/],
        [{ mode: 'scan', run: 'npm test', target: 'localhost:3000' }, /"target".*"localhost:3000"/],
        [{ mode: 'record', rps: '0' }, /"rps".*"0".*1\.\.1000|"rps".*"0".*1 to 1000/],
        [{ mode: 'record', 'rps-per-baseline': '600' }, /"rps-per-baseline".*"600"/],
        [{ mode: 'record', 'inactivity-timeout': '10' }, /"inactivity-timeout".*"10"/],
        [{ mode: 'record', 'min-threat': '101' }, /"min-threat".*"101"/],
        [{ mode: 'record', 'policy-id': 'abc' }, /"policy-id".*"abc"/],
        [{ mode: 'stop', 'wait-timeout': 'soon' }, /"wait-timeout".*"soon"/],
        [{ mode: 'record', 'fail-on': 'always' }, /"fail-on".*"always".*vulnerabilities/],
        [{ mode: 'record', 'stop-on-first-fail': 'yes' }, /"stop-on-first-fail".*"yes".*true/],
        [{ mode: 'record', 'api-host': 'ftp://x' }, /api-host.*ftp:\/\/x/],
        [{ mode: 'reuse' }, /"test-record-id"/],
        [{ mode: 'stop' }, /"test-run-id"/],
        [{ mode: 'record', 'file-extensions-to-exclude': 'jpg;rm -rf' }, /"file-extensions-to-exclude"/]
      ]
      it.each(cases)('%j', async (inputs, expected) => {
        const token = VALIDATION_TOKEN
        const result = await step(token, inputs)
        expect(result.exitCode).toBe(1)
        expect(visibleLog(result)).toMatch(expected)
        expect(result.outputs.conclusion).toBe('error')
        expect(emu.requests.filter((r) => tokenOf(r) === token)).toHaveLength(0)
      })
    })
  })
}

export function defineCancelScenario(runtime: string, node: () => string): void {
  describe(`a cancelled record step on ${runtime}`, () => {
    it('stops the recording it started before the process exits', async () => {
      const token = 'fast-slow-node'
      // A node that takes an hour to pick the run up: the step is still waiting when it is cancelled.
      const emu = await startEmulator({ tokens: [token], readyDelayMs: 3_600_000 })
      try {
        const cancel = cancelOnceItSays('Waiting up to')
        const record = await runStep({
          node: node(),
          inputs: { mode: 'record', token, 'api-host': emu.apiUrl },
          onSpawn: cancel.onSpawn
        })
        expect(cancel.sent()).toBe(true)
        expect(record.exitCode).toBe(1)
        const runId = Number(record.outputs['test-run-id'])
        expect(runId).toBeGreaterThan(0)
        expect(emu.requests.filter((r) => r.path === `/v1/test_run/${runId}/action/stop`)).toHaveLength(1)
        expect(emu.model.getTestRun(token, runId).recording).toBe(false)
        expect(record.stdout).toContain('Cancelled: stopped the recording')
        // Nothing is left for the post step to do.
        expect(record.state['recording-test-run-id'] ?? '').toBe('')
      } finally {
        await emu.close()
      }
    })

    it('leaves the recording to the post step when stopping it on cancel fails', async () => {
      const token = 'fast-slow-node'
      const emu = await startEmulator({ tokens: [token], readyDelayMs: 3_600_000 })
      try {
        // Both quick attempts of the cancelled step fail; the post step's succeed.
        emu.injectFault({ method: 'POST', path: /\/action\/stop$/, status: 503, count: 2 })
        const cancel = cancelOnceItSays('Waiting up to')
        const inputs = { mode: 'record', token, 'api-host': emu.apiUrl }
        const record = await runStep({
          node: node(),
          inputs,
          onSpawn: cancel.onSpawn
        })
        const runId = Number(record.outputs['test-run-id'])
        expect(record.stdout).toContain('The post step tries again')
        expect(record.state['recording-test-run-id']).toBe(String(runId))
        const post = await runPostStep(record, { node: node(), inputs })
        expect(post.stdout).toContain(`Stopped the recording of test run ${runId}`)
        expect(emu.model.getTestRun(token, runId).recording).toBe(false)
      } finally {
        await emu.close()
      }
    })
  })
}
