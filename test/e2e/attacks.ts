/**
 * Attacks on the bundled action (dist/index.js), run as the runner runs it, from outside: a hostile
 * Wallarm API (../support/hostile-api.ts) and a hostile GitHub API stand-in (../support/fake-github.ts).
 * Each test asserts on what the runner would see: stdout lines, the output and env files, the summary,
 * the comment body sent, the report files, and wall time against the bound. One `it` per class of
 * SECURITY.md's threat model; defined once and run on Node 24 and Node 20 (attacks24/20.test.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ACTIONS_BOT, FakeGitHub, pullRequestEnv } from '../support/fake-github.js'
import { HostileApi, apiRun, envelope, type Reply } from '../support/hostile-api.js'
import { runStep, type StepOptions, type StepResult } from './harness.js'

/** A token with every character JSON and URLs like to escape. */
const TOKEN = 'wfast/tok+en=secret-0123456789'
/** What a hostile text puts where a forged command would start; never in a line the runner acts on. */
const FORGED = 'FORGED'
/** The commands this action writes to stdout itself. */
const OUR_COMMANDS = new Set(['add-mask', 'warning', 'error', 'notice', 'debug', 'group', 'endgroup'])

/**
 * The stdout lines the runner would act on that we did not mean: `##[` anywhere (the legacy form), a
 * `::command::` that is not ours, or one of ours whose message is the attacker's.
 */
export function forgedCommands(stdout: string): string[] {
  return stdout.split(/\r?\n|\r/).filter((line) => {
    if (line.includes('##[')) return true
    const m = /^\s*::([^\s:]+)(?:\s[^:]*)?::(.*)$/.exec(line)
    if (!m) return false
    return !OUR_COMMANDS.has(m[1]!) || m[2]!.startsWith(FORGED)
  })
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Every form a token can take that a reader could decode back. */
function tokenForms(token: string): string[] {
  return [
    token,
    JSON.stringify(token).slice(1, -1).replace(/\//g, '\\/'),
    token.replace(/\+/g, '\\u002b'),
    encodeURIComponent(token),
    Buffer.from(token).toString('base64').replace(/=+$/, '')
  ]
}

/** The token in no form in the log, outputs, state, env, summary, report files or `extra` (a comment). */
function expectNoToken(step: StepResult, extra: string[] = []): void {
  const places: Array<[string, string]> = [
    ['stdout', step.stdout.replace(/^::add-mask::.*$/gm, '')],
    ['stderr', step.stderr],
    ['outputs', JSON.stringify(step.outputs)],
    ['state', JSON.stringify(step.state)],
    ['env', JSON.stringify(step.exported)],
    ['summary', step.summary],
    ...filesUnder(step.runnerTemp).map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
    ...extra.map((e, i): [string, string] => [`extra ${i}`, e])
  ]
  for (const [where, text] of places) {
    for (const form of tokenForms(TOKEN)) expect(text, `${where} holds ${form}`).not.toContain(form)
  }
}

function reportJson(step: StepResult): { testRun: { id: string; recordId: string }; findings: unknown[] } {
  return JSON.parse(readFileSync(step.outputs['report-path']!, 'utf8')) as never
}

const RUN_PATH = /^\/v1\/test_run\/\d+$/
const VULN_PATH = /^\/v1\/objects\/vuln$/

export function defineAttacks(runtime: string, node: () => string): void {
  describe.concurrent(`attacks on the bundled action on ${runtime}`, () => {
    // The tests run side by side, so each stops its own servers (an afterEach would stop the others').
    type Finished = (fn: () => Promise<void>) => void
    async function hostile(onTestFinished: Finished): Promise<HostileApi> {
      const api = await new HostileApi().start()
      onTestFinished(() => api.stop())
      return api
    }
    async function fakeGitHub(onTestFinished: Finished): Promise<FakeGitHub> {
      const github = new FakeGitHub()
      await github.start()
      onTestFinished(() => github.stop())
      return github
    }

    const run = (api: HostileApi, inputs: Record<string, string>, opts: StepOptions = {}) =>
      runStep({
        node: node(),
        ...opts,
        inputs: {
          token: TOKEN,
          'api-host': api.url,
          mode: 'wait',
          ...(inputs.mode === undefined ? { 'test-run-id': '5080' } : {}),
          ...inputs
        }
      })

    const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const start = performance.now()
      const out = await fn()
      return [out, performance.now() - start]
    }

    const sqli = (over: Record<string, unknown> = {}) => ({
      id: 7001,
      type: 'sqli',
      threat: 80,
      code: 'S1',
      ...over
    })

    it('1. forged workflow commands: a state, an error page and a vulnerability path cannot make the runner act', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, (_, n): Reply => {
        if (n === 1) return envelope(apiRun({ state: `running\n::stop-commands::${FORGED}` }))
        if (n === 2)
          return { status: 503, text: `<html>##[error]${FORGED} from a proxy\n::error::${FORGED}</html>` }
        return envelope(apiRun({ vulns: [sqli()] }))
      })
      api.on(
        'POST',
        VULN_PATH,
        envelope([
          sqli({
            path: `/a\n::error::${FORGED}\r##[warning]${FORGED}`,
            parameter: `q\u2028::notice::${FORGED}`
          })
        ])
      )
      const step = await run(api, { 'poll-interval': '1s' })
      expect(forgedCommands(step.stdout)).toEqual([])
      expect(step.exitCode).toBe(1)
      // The runner still acts on the step's own failure annotation, the verdict first.
      expect(step.stdout).toMatch(/^::error title=Wallarm FAST%3A failed::/m)
    })

    it('2. secrets that survive redaction: the token echoed JSON-escaped, URL-encoded and in base64 goes nowhere', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const github = await fakeGitHub(onTestFinished)
      const echoed = TOKEN.replace(/\//g, '\\/').replace(/\+/g, '\\u002b')
      api.on('GET', RUN_PATH, (_, n): Reply =>
        n === 1
          ? { status: 503, text: `{"status":503,"body":"token ${echoed} is busy"}` }
          : envelope(apiRun({ vulns: [sqli()], name: `run of ${TOKEN}` }))
      )
      api.on(
        'POST',
        VULN_PATH,
        envelope([
          sqli({ path: `/x?t=${encodeURIComponent(TOKEN)}`, title: Buffer.from(TOKEN).toString('base64') })
        ])
      )
      api.on('POST', /^\/v1\/test_run$/, {
        text: `{"status":400,"body":{"name":{"error":"invalid ${echoed}","value":"${echoed}"}}}`,
        status: 400
      })
      const step = await run(api, { comment: 'true', name: 'attack' }, { env: pullRequestEnv(github) })
      expect(step.outputs.conclusion).toBe('failed')
      const comment = github.comments[0]?.body ?? ''
      expect(comment).toContain('Wallarm FAST')
      expectNoToken(step, [comment])

      // An error that quotes the parsed body (reuse: the copy is refused with the token echoed in it).
      const refused = await run(
        api,
        { mode: 'reuse', 'test-record-id': '9058', comment: 'true', name: 'attack' },
        { env: pullRequestEnv(github) }
      )
      expect(refused.outputs.conclusion).toBe('error')
      expect(refused.stdout).toContain('invalid ***')
      expectNoToken(
        refused,
        github.comments.map((c) => c.body)
      )
    })

    it("3. someone else's comment: a comment holding the marker by another author is never edited", async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const github = await fakeGitHub(onTestFinished)
      api.on('GET', RUN_PATH, envelope(apiRun({ vulns: [sqli()] })))
      api.on('POST', VULN_PATH, envelope([sqli()]))
      const env = pullRequestEnv(github)
      const first = await run(api, { comment: 'true', name: 'attack' }, { env })
      const marker = /^<!-- wallarm-fast-action:[0-9a-f]{40} -->/.exec(github.comments[0]!.body)![0]
      github.reset()
      const forged = github.seed(7, `${marker}\n✅ Wallarm FAST: passed`, 'mallory')
      const second = await run(api, { comment: 'true', name: 'attack' }, { env })
      expect(first.outputs.conclusion).toBe('failed')
      expect(second.outputs.conclusion).toBe('failed')
      expect(github.comments.find((c) => c.id === forged)?.body).toBe(`${marker}\n✅ Wallarm FAST: passed`)
      expect(github.commentRequests.filter((r) => r.method === 'PATCH')).toEqual([])
      const ours = github.comments.filter((c) => c.user === ACTIONS_BOT)
      expect(ours).toHaveLength(1)
      expect(ours[0]!.body).toContain('failed')
    })

    it('4. a gate that fails open: state passed with findings fails; a null threat does not drop the severity', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, envelope(apiRun({ state: 'passed', vulns: [sqli()] })))
      api.on('POST', VULN_PATH, envelope([sqli({ threat: null, path: '/search', parameter: 'q' })]))
      const step = await run(api, {})
      expect(step.exitCode).toBe(1)
      expect(step.outputs.conclusion).toBe('failed')
      expect(JSON.parse(step.outputs['vulnerabilities-json']!)).toEqual([
        { id: 7001, type: 'sqli', threat: 80, code: 'S1', path: '/search', parameter: 'q' }
      ])
      const sarif = JSON.parse(readFileSync(step.outputs['sarif-path']!, 'utf8')) as {
        runs: Array<{
          results: Array<{ level: string }>
          tool: { driver: { rules: Array<{ properties: Record<string, unknown> }> } }
        }>
      }
      expect(sarif.runs[0]!.results[0]!.level).toBe('error')
      expect(sarif.runs[0]!.tool.driver.rules[0]!.properties['security-severity']).toBe('8.0')
    })

    it('5. waits that overrun: a hanging, then trickling status endpoint ends wait-timeout 10 s near 10 s', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, (_, n): Reply =>
        n === 1
          ? envelope(apiRun({ state: 'running' }))
          : n % 2 === 0
            ? { hang: true }
            : { trickle: ' ', everyMs: 500 }
      )
      const [step, ms] = await timed(() => run(api, { 'wait-timeout': '10s', 'poll-interval': '2s' }))
      expect(step.outputs.conclusion).toBe('timeout')
      expect(ms).toBeLessThan(10_000 + 6_000)
    }, 60_000)

    it('5. waits that overrun: a status endpoint that hangs from the first request ends wait-timeout 8 s near 8 s', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, { hang: true })
      const [step, ms] = await timed(() => run(api, { 'wait-timeout': '8s' }))
      expect(step.outputs.conclusion).toBe('timeout')
      expect(step.exitCode).toBe(1)
      expect(step.stdout).toMatch(
        /::error title=Wallarm FAST%3A timeout::Test run 5080 did not finish within 8s/
      )
      expect(ms).toBeLessThan(8_000 + 5_000)
    }, 60_000)

    it('5. waits that overrun: Retry-After: 86400 on every status answer ends wait-timeout 5 s near 5 s', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, (_, n): Reply =>
        n === 1
          ? envelope(apiRun({ state: 'running' }))
          : { ...envelope('slow down', 429), headers: { 'retry-after': '86400' } }
      )
      const [step, ms] = await timed(() => run(api, { 'wait-timeout': '5s' }))
      expect(step.outputs.conclusion).toBe('timeout')
      expect(ms).toBeLessThan(5_000 + 5_000)
    }, 60_000)

    it('5. waits that overrun: ready-timeout 6 s against a hanging status endpoint ends near 6 s', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('POST', /^\/v1\/test_run$/, envelope(apiRun({ state: 'running', recording: true })))
      api.on('GET', RUN_PATH, { hang: true })
      api.on('POST', /^\/v1\/test_run\/\d+\/action\/stop$/, envelope(apiRun({ recording: false })))
      const [step, ms] = await timed(() => run(api, { mode: 'record', 'ready-timeout': '6s' }))
      expect(step.outputs.conclusion).toBe('error')
      expect(step.stdout).toMatch(
        /::error title=Wallarm FAST%3A error::The FAST node did not pick test run 5080 up within 6s/
      )
      expect(ms).toBeLessThan(6_000 + 6_000)
    }, 60_000)

    it('5. a 40 MB body is cut off at the cap and retried, not read for minutes', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, (_, n): Reply =>
        n <= 2 ? { huge: 40 * 1024 * 1024, chunkBytes: 1024 } : envelope(apiRun({ state: 'passed' }))
      )
      const [step, ms] = await timed(() => run(api, {}))
      expect(step.outputs.conclusion).toBe('passed')
      expect(step.stdout).toMatch(/larger than 8388608 bytes/)
      expect(ms).toBeLessThan(20_000)
    }, 60_000)

    it('6. answers that crash: JSON nested 200,000 deep is retried; ids above 2^53 stay exact', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const big = '18446744073709551615'
      const deep = '['.repeat(200_000) + ']'.repeat(200_000)
      api.on('POST', /^\/v1\/test_run$/, (_, n): Reply =>
        n === 1
          ? { status: 503, text: deep }
          : {
              text: `{"status":200,"body":{"id":${big},"test_record_id":${big}1,"state":"running","recording":true,"ready_for_recording":true,"vulns":[]}}`
            }
      )
      api.on('GET', RUN_PATH, {
        text: `{"status":200,"body":{"id":${big},"test_record_id":${big}1,"state":"running","recording":true,"ready_for_recording":true}}`
      })
      const step = await run(api, { mode: 'record', 'inactivity-timeout': '600' })
      expect(api.requests.map((r) => r.path)).toContain(`/v1/test_run/${big}`)
      expect(step.stdout + step.stderr).not.toMatch(/Maximum call stack/)
      expect(step.stdout).toMatch(/nested deeper than 64 levels|unavailable/)
      expect(step.outputs.conclusion).toBe('recording')
      expect(step.outputs['test-run-id']).toBe(big)
      expect(step.outputs['test-record-id']).toBe(`${big}1`)
      expect(step.exported['WALLARM_FAST_TEST_RUN_ID']).toBe(big)
      expect(step.exported['WALLARM_FAST_TEST_RECORD_ID']).toBe(`${big}1`)
      expect(reportJson(step).testRun).toMatchObject({ id: big, recordId: `${big}1` })

      // A vulnerability id above 2^53, in the output (a JSON number of its exact digits) and the report.
      const vulnApi = await hostile(onTestFinished)
      vulnApi.on('GET', RUN_PATH, {
        text: `{"status":200,"body":{"id":5080,"state":"failed","vulns":[{"id":${big}7,"type":"sqli","threat":80}]}}`
      })
      vulnApi.on('POST', VULN_PATH, envelope('User not authenticated', 403))
      const wait = await run(vulnApi, {})
      expect(wait.outputs['vulnerabilities-json']).toBe(`[{"id":${big}7,"type":"sqli","threat":80}]`)
      expect(JSON.stringify(reportJson(wait).findings)).toContain(`"id":"${big}7"`)
    })

    it('6. a test_record_id that changes between polls: outputs and reports name the first', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      api.on('GET', RUN_PATH, (_, n): Reply =>
        envelope(apiRun(n === 1 ? { state: 'running', test_record_id: 111 } : { test_record_id: 222 }))
      )
      const step = await run(api, {})
      expect(step.outputs['test-record-id']).toBe('111')
      expect(reportJson(step).testRun.recordId).toBe('111')
      expect(step.stdout).toMatch(/::warning::The Wallarm API now names test record 222 .*keeping 111/)

      // A create that names no record: the first answer that does names it everywhere.
      const recordApi = await hostile(onTestFinished)
      recordApi.on(
        'POST',
        /^\/v1\/test_run$/,
        envelope(apiRun({ state: 'running', recording: true, test_record_id: null }))
      )
      recordApi.on('GET', RUN_PATH, (_, n): Reply =>
        envelope(
          apiRun({ state: 'running', recording: true, ready_for_recording: true, test_record_id: 300 + n })
        )
      )
      const record = await run(recordApi, { mode: 'record', 'inactivity-timeout': '600' })
      expect(record.outputs.conclusion).toBe('recording')
      expect(record.outputs['test-record-id']).toBe('301')
      expect(record.exported['WALLARM_FAST_TEST_RECORD_ID']).toBe('301')
      expect(reportJson(record).testRun.recordId).toBe('301')
    })

    it('7. the reason that disappears: with 12 findings the verdict is the first error annotation, within the ten kept', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const vulns = Array.from({ length: 12 }, (_, i) => sqli({ id: 7001 + i, threat: 90 - i }))
      api.on('GET', RUN_PATH, envelope(apiRun({ vulns })))
      api.on('POST', VULN_PATH, envelope(vulns))
      const step = await run(api, {})
      const errors = step.stdout.split('\n').filter((l) => l.startsWith('::error'))
      expect(errors[0]).toMatch(/^::error title=Wallarm FAST%3A failed::Testing found 12 vulnerabilities/)
      expect(errors).toHaveLength(10)
    })

    it('8. spoofing text: bidi overrides and GH-12 references are neutralised in the summary and the comment', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const github = await fakeGitHub(onTestFinished)
      api.on('GET', RUN_PATH, envelope(apiRun({ vulns: [sqli()], name: 'release \u202Egnp.exe GH-12' })))
      api.on(
        'POST',
        VULN_PATH,
        envelope([
          sqli({
            path: '/login\u2066\u202E/nimda',
            title: 'see GH-12 and #13 @octocat',
            parameter: 'q\u200F'
          })
        ])
      )
      const step = await run(api, { comment: 'true', name: 'attack' }, { env: pullRequestEnv(github) })
      const comment = github.comments[0]!.body
      for (const text of [step.summary, comment]) {
        expect(text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/)
        expect(text).not.toMatch(/GH-12|#13|@octocat/)
        expect(text).toContain('/login/nimda')
      }
    })

    it('9. outputs past the limits: 20,000 findings keep vulnerabilities-json under 1 MB, and the report has them all', async ({
      onTestFinished
    }) => {
      const api = await hostile(onTestFinished)
      const vulns = Array.from({ length: 20_000 }, (_, i) => ({
        id: 100_000 + i,
        type: 'sqli',
        threat: 50 + (i % 50),
        code: `S-${'x'.repeat(60)}-${i}`
      }))
      api.on('GET', RUN_PATH, envelope(apiRun({ vulns })))
      api.on('POST', VULN_PATH, envelope('User not authenticated', 403))
      const step = await run(api, {})
      const json = step.outputs['vulnerabilities-json']!
      expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1_000_000)
      const listed = JSON.parse(json) as unknown[]
      expect(listed.length).toBeGreaterThan(0)
      expect(listed.length).toBeLessThan(20_000)
      expect(step.outputs.vulnerabilities).toBe('20000')
      expect(step.stdout).toMatch(
        /::warning::The vulnerabilities-json output holds the \d+ highest-threat of 20000 .*report-path/
      )
      for (const [name, value] of Object.entries(step.outputs))
        expect(Buffer.byteLength(value), name).toBeLessThanOrEqual(1_000_000)
      expect(reportJson(step).findings).toHaveLength(20_000)
    }, 60_000)
  })
}
