/**
 * `npm run demo`: the whole product in a few seconds, with no Wallarm account. It starts the FAST emulator
 * (the Wallarm API and three FAST nodes, each with its proxy, that really attack what they record) and
 * a small shop with real flaws that counts the attacks it receives, then runs the bundled action (dist/index.js) the way the GitHub runner does:
 *
 *   job 0: scan, the one-step way in: the node, the test command through it, the verdict, in one step;
 *          with the emulated node as a local process (node-url), then, where a Docker engine runs, with
 *          the node container the step starts itself. The first time, the Wallarm API refuses the node
 *          token the vulnerability details (as the real cloud may): the step warns, naming api-token
 *   job 1: record → the existing tests, through the node's proxy → stop → the node attacks the shop
 *          (the gate fails on the sqli and xss it found)
 *          → the record step's post step (nothing left recording)
 *   job 2: the pull-request check (fail-on: new-vulnerabilities): a scan with the xss in the committed
 *          baseline and the path traversal ignored with a ticket; the gate fails only on the new sqli;
 *          with `openapi: sample-app/openapi.yaml`, its API coverage
 *   job 3: a matrix of two parallel legs that replay the test record (scan with test-record-id), one
 *          FAST node (token) per leg, each handing its JSON report on
 *   job 4: summarize: the legs' reports as one verdict and one job summary, no token
 *
 * Each step is printed as the Actions log shows it, with its outputs and its job summary; the summaries
 * and the stop step's reports are written to .demo-output/ (or $DEMO_OUTPUT_DIR). It ends with the pull-request
 * check's API coverage (the table, the operation never attacked, the route not in the spec, a finding at its
 * operation's line in the spec) and a verdict, and exits 0 only when everything behaved as designed.
 *
 * This file is the story, in the order it runs; how a step is run and shown, what is written and how the
 * verdict is said are in scripts/demo/.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { startEmulator, type Emulator } from '../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../sample-app/server.js'
import { CONTAINER_LABEL } from '../src/scan/node.js'
import { DIST, ROOT, RUN_ID, runStep, type StepResult } from './lib/action-runner.js'
import { EMULATOR_IMAGE, emulatorImageUnavailable } from './lib/docker.js'
import { jobHeader, masker, say, showStep, style } from './demo/console.js'
import { SPEC, showApiCoverage } from './demo/coverage.js'
import { existingTests } from './demo/existing-tests.js'
import { Evidence, listFiles, prepareOutputDir } from './demo/files.js'
import { freePort, killSteps, step, track } from './demo/steps.js'
import { Verdict, describe, hasSqli, parseVulns, q, type Vuln } from './demo/verdict.js'
import { FakeGitHub, pullRequestEnv } from '../test/support/fake-github.js'

const SAFETY_TIMEOUT_MS = 120_000
const TIME_SCALE = 0.02

/** Fake node tokens, random so that a leak check cannot pass or fail by accident. */
const hex = (): string => randomBytes(6).toString('hex')
const TOKENS = { a: `fast-a-${hex()}`, b: `fast-b-${hex()}`, c: `fast-c-${hex()}` }
/** The node token of the container that job 0 starts where a Docker engine runs. */
const CONTAINER_TOKEN = `fast-d-${hex()}`
const GITHUB_TOKEN = `ghs_demo${hex()}`
masker.add(...Object.values(TOKENS), CONTAINER_TOKEN, GITHUB_TOKEN)

/** What every job works with. */
interface Stage {
  emu: Emulator
  app: SampleApp
  /** The inputs every step takes: the emulated API and the (fake) GitHub token. */
  api: { 'api-host': string; 'github-token': string }
  /** Each job's RUNNER_TEMP is a folder under it. */
  tempRoot: string
  check: Verdict['check']
  evidence: Evidence
}

async function main(): Promise<number> {
  if (!existsSync(DIST)) {
    console.error(`${relative(process.cwd(), DIST) || DIST} is missing: run \`npm run bundle\` first.`)
    return 1
  }
  const started = Date.now()
  prepareOutputDir()
  const tempRoot = mkdtempSync(join(tmpdir(), 'wallarm-fast-demo-'))
  let emu: Emulator | undefined
  let app: SampleApp | undefined
  try {
    // Real emulated nodes: each tests what it records by attacking the shop, and the findings come
    // from the shop's answers to those attacks (it counts them).
    emu = await startEmulator({ tokens: Object.values(TOKENS), timeScale: TIME_SCALE, nodes: 'real' })
    app = await startSampleApp(0, '127.0.0.1')
    return await demo(emu, app, tempRoot, started)
  } finally {
    await Promise.race([
      Promise.all([emu?.close(), closeApp(app)]),
      new Promise((done) => setTimeout(done, 2000).unref())
    ])
    rmSync(tempRoot, { recursive: true, force: true })
  }
}

async function demo(emu: Emulator, app: SampleApp, tempRoot: string, started: number): Promise<number> {
  const verdict = new Verdict()
  const api = { 'api-host': emu.apiUrl, 'github-token': GITHUB_TOKEN }
  const stage: Stage = { emu, app, api, tempRoot, check: verdict.check, evidence: new Evidence() }

  say(style.bold('Wallarm FAST GitHub Action: demo'))
  say(style.dim('  Everything runs on this machine: no Wallarm account, nothing leaves loopback.'))
  say(`  Wallarm API (emulated)  ${emu.apiUrl}`)
  say(`  FAST node proxy         ${emu.proxyUrl}   three nodes, one per token (tokens masked as ***)`)
  say(`  app under test          ${app.url}   a small shop with real flaws; ${INJECTABLE_PATH} is injectable`)
  say(
    style.dim(
      `  The nodes really attack the shop; the cloud's clocks run ${Math.round(1 / TIME_SCALE)} times faster.`
    )
  )

  await job0Scan(stage)
  const { recordId, found } = await job1RecordTestStop(stage)
  const pr = await job2PullRequestCheck(stage, found)
  const legs = await job3ReplayMatrix(stage, recordId)
  await job4Summarize(stage, legs)
  checkNoTokenLeaked(stage)

  stage.evidence.show()
  // The demo ends with the team's own map: the pull-request check's API coverage and a finding at its line.
  showApiCoverage(readFileSync(join(ROOT, SPEC), 'utf8'), pr, stage.check)
  return verdict.print(started)
}

// ── Job 0: scan, the shortest way in: one step runs the tests through the node and gets the verdict ──────
async function job0Scan({ emu, app, api, tempRoot, check, evidence }: Stage): Promise<void> {
  jobHeader('Job 0 · scan', 'one step: the FAST node, your test command through it, the verdict')
  const runnerTemp = join(tempRoot, 'job-0')
  mkdirSync(runnerTemp)
  const inputs = {
    mode: 'scan',
    token: TOKENS.a,
    name: 'shop · scan',
    // No Docker engine is needed here: the emulated node stands in for the container the step would start.
    'node-url': emu.proxyUrl,
    target: app.url,
    run: [
      `curl -sSf ${app.url}/api/products/1 > /dev/null && echo "✓ product page"`,
      `python3 -c 'import urllib.request as u; u.urlopen("${app.url}${INJECTABLE_PATH}?q=tea")' && echo "✓ search"`
    ].join('\n'),
    'stop-grace-period': '1s',
    ...api
  }
  // As the real cloud may: the node token may not read the vulnerability details (POST /v1/objects/vuln).
  emu.injectFault({ method: 'POST', path: '/v1/objects/vuln', status: 403, count: 1 })
  const scan = await step('scan', { inputs, runnerTemp })
  evidence.step('scan', scan, '0-scan.md')
  check(
    /^::warning::The Wallarm API refused the node token to read vulnerability details.*Set the api-token input/m.test(
      scan.stdout
    ),
    'scan: the node token refused the vulnerability details, the warning names the api-token input'
  )
  check(
    scan.exitCode === 1 &&
      scan.outputs.conclusion === 'failed' &&
      scan.outputs['tests-exit-code'] === '0' &&
      // Known from the run's summary only (the details were refused): an sqli, nowhere in particular.
      parseVulns(scan.outputs['vulnerabilities-json']).some((v) => v.type === 'sqli'),
    `scan: exit ${scan.exitCode} (the gate), tests-exit-code ${q(scan.outputs['tests-exit-code'])}, ` +
      `conclusion ${q(scan.outputs.conclusion)}: ${describe(parseVulns(scan.outputs['vulnerabilities-json']))}`
  )

  await job0ScanInAContainer(app, inputs.run, runnerTemp, check)
}

/**
 * Job 0 again, as it runs on a GitHub runner: the step starts the FAST node container itself (the
 * emulator's node image in place of wallarm/fast, with host networking) against a cloud of its own, and
 * removes it at the end. Where no engine runs, the demo says so and goes on.
 */
async function job0ScanInAContainer(
  app: SampleApp,
  run: string,
  runnerTemp: string,
  check: Stage['check']
): Promise<void> {
  const why = emulatorImageUnavailable(EMULATOR_IMAGE)
  if (why !== null) {
    say(style.dim(`  (scan with the node container the step starts itself is left out: ${why})`))
    return
  }
  const cloud = await startEmulator({ tokens: [CONTAINER_TOKEN], timeScale: TIME_SCALE, nodes: 'cloud-only' })
  try {
    jobHeader('Job 0 · scan (container)', `the step starts ${EMULATOR_IMAGE} in place of wallarm/fast`)
    const inputs = {
      mode: 'scan',
      token: CONTAINER_TOKEN,
      name: 'shop · scan in a container',
      'api-host': cloud.apiUrl,
      'node-image': EMULATOR_IMAGE,
      'proxy-port': String(await freePort()),
      target: app.url,
      run,
      'stop-grace-period': '2s'
    }
    const result = await step('scan', { inputs, runnerTemp })
    const left = execFileSync(
      'docker',
      ['ps', '--all', '--quiet', '--filter', `label=${CONTAINER_LABEL}=${RUN_ID}`],
      {
        encoding: 'utf8'
      }
    ).trim()
    check(
      result.exitCode === 1 &&
        result.outputs.conclusion === 'failed' &&
        hasSqli(parseVulns(result.outputs['vulnerabilities-json'])) &&
        left === '',
      `scan in a container: exit ${result.exitCode}, conclusion ${q(result.outputs.conclusion)}, ` +
        `${describe(parseVulns(result.outputs['vulnerabilities-json']))}; containers left: ${left === '' ? 'none' : left}`
    )
  } finally {
    await cloud.close()
  }
}

// ── Job 1: record → existing tests → stop → post; gives the test record's id to job 3 ──────────────────────
async function job1RecordTestStop({
  emu,
  app,
  api,
  tempRoot,
  check,
  evidence
}: Stage): Promise<{ recordId: string; found: Vuln[] }> {
  const runnerTemp = join(tempRoot, 'job-1')
  mkdirSync(runnerTemp)
  jobHeader('Job 1 · security-tests', 'record the existing tests as baselines, stop, get the verdict')

  const recordInputs = { mode: 'record', token: TOKENS.a, name: 'shop · record', ...api }
  const rec = await step('record', { inputs: recordInputs, runnerTemp })
  evidence.step('record', rec, '1-record.md')
  const runId = rec.outputs['test-run-id'] ?? ''
  const recordId = rec.outputs['test-record-id'] ?? ''
  check(
    rec.exitCode === 0 &&
      rec.outputs.conclusion === 'recording' &&
      /^\d+$/.test(runId) &&
      /^\d+$/.test(recordId),
    `record: exit ${rec.exitCode}, conclusion ${q(rec.outputs.conclusion)}, test run ${q(runId)} recording into test record ${q(recordId)}`
  )

  const tests = await existingTests(emu, app)
  check(
    tests.passed === tests.total,
    `existing tests: ${tests.passed} of ${tests.total} passed through the FAST node's proxy`
  )

  // The runner hands the record step's GITHUB_ENV (WALLARM_FAST_TEST_RUN_ID) to the later steps of the job.
  const stopInputs = { mode: 'stop', token: TOKENS.a, 'stop-grace-period': '1s', ...api }
  const stop = await step('stop', { inputs: stopInputs, env: rec.exported, runnerTemp })
  evidence.step('stop', stop, '2-stop.md')
  for (const [output, suffix] of [
    ['report-path', '.json'],
    ['sarif-path', '.sarif'],
    ['junit-path', '.junit.xml']
  ] as const) {
    const file = stop.outputs[output]
    if (file && existsSync(file)) evidence.file(`2-stop${suffix}`, readFileSync(file, 'utf8'))
    else check(false, `stop: ${output} ${file ? `${file} does not exist` : 'is empty'}`)
  }
  const stopVulns = parseVulns(stop.outputs['vulnerabilities-json'])
  const attacked = app.stats()
  check(
    (attacked.by_path[INJECTABLE_PATH]?.attacks ?? 0) > 0,
    `the shop received ${attacked.attacks} attack requests from the FAST node ` +
      `(${attacked.by_path[INJECTABLE_PATH]?.attacks ?? 0} on ${INJECTABLE_PATH}): the findings come from its answers`
  )
  check(
    stop.exitCode === 1 &&
      stop.outputs.conclusion === 'failed' &&
      Number(stop.outputs.vulnerabilities) >= 1 &&
      hasSqli(stopVulns),
    `stop: exit ${stop.exitCode} (the gate), conclusion ${q(stop.outputs.conclusion)}, ` +
      `vulnerabilities ${q(stop.outputs.vulnerabilities)}: ${describe(stopVulns)}`
  )

  const post = await step('post', { inputs: recordInputs, env: rec.exported, runnerTemp }, rec)
  evidence.step('post', post, post.summary.trim() !== '' ? '1-record-post.md' : undefined)
  const recorded = emu.model.peekTestRun(Number(runId))
  check(
    post.exitCode === 0 && recorded !== undefined && !recorded.recording,
    `post: exit ${post.exitCode}; the emulator says test run ${runId} is ` +
      (recorded === undefined ? 'unknown' : recorded.recording ? 'STILL recording' : 'no longer recording')
  )
  return { recordId, found: stopVulns }
}

// ── Job 3: a matrix of two legs replaying the test record, one node token per concurrent leg ────────────────
async function job3ReplayMatrix(
  { emu, app, api, tempRoot, check, evidence }: Stage,
  recordId: string
): Promise<Array<{ name: string; report: string }>> {
  jobHeader('Job 3 · replay, a matrix of two legs', 'in parallel, each on its own FAST node and token')
  const legTokens = [TOKENS.b, TOKENS.c]
  const legInputs = legTokens.map((token, i) => ({
    mode: 'scan',
    token,
    'test-record-id': recordId,
    // The emulated node of this token stands in for the container the step would start.
    'node-url': emu.proxyUrls[token] ?? '',
    name: `leg ${i + 1}`,
    sarif: 'false',
    ...api
  }))
  const attacksBeforeLegs = app.stats().attacks
  const legs = await Promise.all(
    legInputs.map(async (inputs, i) => {
      const runnerTemp = join(tempRoot, `job-4-leg-${i + 1}`)
      mkdirSync(runnerTemp)
      const t0 = Date.now()
      const result = await runStep(track({ inputs, runnerTemp }))
      return { ...result, ms: Date.now() - t0 }
    })
  )
  // The legs ran side by side; their logs are shown one after the other.
  legs.forEach((leg, i) => {
    const n = i + 1
    say()
    say(style.dim(`  (matrix leg ${n})`))
    showStep('scan', legInputs[i]!, {}, leg, leg.ms)
    evidence.step(`leg ${n}`, leg, `5-leg-${n}.md`)
    const vulns = parseVulns(leg.outputs['vulnerabilities-json'])
    check(
      leg.outputs['test-record-id'] === recordId &&
        leg.outputs.conclusion === 'failed' &&
        leg.outputs.state !== 'interrupted' &&
        hasSqli(vulns),
      `leg ${n}: test run ${q(leg.outputs['test-run-id'])} replaying test record ` +
        `${q(leg.outputs['test-record-id'])}, conclusion ${q(leg.outputs.conclusion)}, state ${q(leg.outputs.state)}, ${describe(vulns)}`
    )
  })
  check(
    app.stats().attacks > attacksBeforeLegs,
    `legs: their nodes attacked the shop again (${app.stats().attacks - attacksBeforeLegs} attack requests)`
  )
  const legRuns = legs.map((leg) => emu.model.peekTestRun(Number(leg.outputs['test-run-id'])))
  check(
    legRuns.every((run) => run !== undefined && run.state !== 'interrupted'),
    `legs: the emulator has neither leg's test run interrupted (${legRuns.map((r) => r?.state ?? 'unknown').join(', ')})`
  )
  return legs.map((leg, i) => ({ name: legInputs[i]!.name, report: leg.outputs['report-path'] ?? '' }))
}

// ── Job 4: summarize: the legs' reports, as upload- and download-artifact hand them on, as one ──────────────
async function job4Summarize(
  { api, tempRoot, check, evidence }: Stage,
  legs: Array<{ name: string; report: string }>
): Promise<void> {
  jobHeader('Job 4 · summary', 'needs: the legs; one verdict, summary and SARIF from their reports, no token')
  const runnerTemp = join(tempRoot, 'job-5')
  const workspace = join(tempRoot, 'job-5-workspace')
  mkdirSync(runnerTemp)
  for (const leg of legs) {
    const dir = join(workspace, 'wallarm-fast-reports', `wallarm-fast-${leg.name.replace(/\W+/g, '-')}`)
    mkdirSync(dir, { recursive: true })
    if (existsSync(leg.report)) copyFileSync(leg.report, join(dir, basename(leg.report)))
  }
  const inputs = {
    mode: 'summarize',
    'expected-legs': legs.map((l) => l.name).join(', '),
    'github-token': api['github-token']
  }
  const t0 = Date.now()
  const summary = await runStep(track({ inputs, runnerTemp, env: { GITHUB_WORKSPACE: workspace } }))
  showStep('summarize', inputs, {}, summary, Date.now() - t0)
  evidence.step('summary', summary, '6-summary.md')
  const vulns = parseVulns(summary.outputs['vulnerabilities-json'])
  const bothLegs = legs.map((l) => l.name).join(', ')
  check(
    summary.exitCode === 1 &&
      summary.outputs.conclusion === 'failed' &&
      hasSqli(vulns) &&
      summary.summary.includes(`### Legs (${legs.length} reported)`) &&
      summary.summary.includes(`· ${bothLegs} |`),
    `summary: exit ${summary.exitCode}, conclusion ${q(summary.outputs.conclusion)}, ${describe(vulns)}, ` +
      `each found by ${bothLegs}, deduplicated into one list`
  )
}

// ── Job 2: the pull-request check: only what is new fails it ───────────────────────────────────────────────
async function job2PullRequestCheck(
  { emu, app, api, tempRoot, check, evidence }: Stage,
  found: Vuln[]
): Promise<StepResult> {
  jobHeader(
    'Job 2 · pull-request check',
    'fail-on: new-vulnerabilities, a committed baseline and an ignore file'
  )
  const runnerTemp = join(tempRoot, 'job-3')
  const workspace = join(tempRoot, 'job-3-workspace')
  mkdirSync(runnerTemp)
  mkdirSync(join(workspace, '.github'), { recursive: true })
  // The xss job 1 found is known (committed in the baseline); the path traversal is ignored with a ticket.
  const xss = found.find((v) => v.type === 'xss')
  const today = new Date().toISOString().slice(0, 10)
  const baseline = {
    version: 1,
    entries: xss
      ? [
          {
            type: xss.type,
            method: xss.method,
            domain: xss.domain,
            path: xss.path,
            parameter: xss.parameter,
            first_seen: today,
            last_seen: today,
            reason: 'the greeting page is being rewritten',
            ticket: 'SHOP-7'
          }
        ]
      : []
  }
  const expires = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10)
  const ignore = `ignore:\n  - type: ptrav\n    path: /files\n    reason: the files are public\n    ticket: SHOP-9\n    expires: ${expires}\n`
  writeFileSync(
    join(workspace, '.github', 'wallarm-fast-baseline.json'),
    `${JSON.stringify(baseline, null, 2)}\n`
  )
  writeFileSync(join(workspace, '.github', 'wallarm-fast-ignore.yml'), ignore)
  // The checkout: the sample app's API description, at its place in the repository.
  mkdirSync(join(workspace, dirname(SPEC)), { recursive: true })
  copyFileSync(join(ROOT, SPEC), join(workspace, SPEC))
  evidence.file('4-pr-check-baseline.json', `${JSON.stringify(baseline, null, 2)}\n`)
  evidence.file('4-pr-check-ignore.yml', ignore)

  const inputs = {
    mode: 'scan',
    token: TOKENS.a,
    name: 'shop · pull request',
    'node-url': emu.proxyUrl,
    target: app.url,
    // Every operation of the spec but GET /hello; GET /files, which the spec leaves out, too.
    run: [
      `curl -sSf '${app.url}/' > /dev/null && echo "✓ home page"`,
      `curl -sSf '${app.url}/api/products' > /dev/null && echo "✓ products"`,
      `curl -sSf '${app.url}/api/products/2' > /dev/null && echo "✓ one product"`,
      `curl -sSf '${app.url}${INJECTABLE_PATH}?q=tea' > /dev/null && echo "✓ search"`,
      `curl -sSf -X POST -H 'content-type: application/json' -d '{"productId":1,"qty":2}' '${app.url}/api/cart' > /dev/null && echo "✓ cart"`,
      `curl -sSf '${app.url}/greet?name=Ann' > /dev/null && echo "✓ greeting"`,
      `curl -sSf '${app.url}/files?name=terms.txt' > /dev/null && echo "✓ terms"`
    ].join('\n'),
    'fail-on': 'new-vulnerabilities',
    // API coverage against the sample app's spec (relative to the workspace, the repository root).
    openapi: SPEC,
    'stop-grace-period': '1s',
    // The sticky comment, on a pull request of a local stand-in for GitHub's API (for the pictures).
    comment: 'true',
    ...api
  }
  const github = new FakeGitHub()
  await github.start()
  let pr
  try {
    pr = await step('scan', {
      inputs,
      runnerTemp,
      env: { GITHUB_WORKSPACE: workspace, ...pullRequestEnv(github) }
    })
  } finally {
    await github.stop()
  }
  evidence.step('pull-request check', pr, '4-pr-check.md')
  const comment = github.comments[0]?.body
  if (comment !== undefined) evidence.file('4-pr-check-comment.md', comment)
  const merged = pr.outputs['baseline-path']
  if (merged && existsSync(merged))
    evidence.file('4-pr-check-merged-baseline.json', readFileSync(merged, 'utf8'))
  check(
    xss !== undefined &&
      pr.exitCode === 1 &&
      pr.outputs.conclusion === 'failed' &&
      pr.outputs['new-vulnerabilities'] === '1' &&
      pr.outputs.ignored === '1' &&
      pr.summary.includes('**1 new** · 1 known · 1 ignored') &&
      hasSqli(parseVulns(pr.outputs['vulnerabilities-json'])),
    `pull-request check: exit ${pr.exitCode} (the gate, on the new sqli only), new-vulnerabilities ` +
      `${q(pr.outputs['new-vulnerabilities'])}, ignored ${q(pr.outputs.ignored)}; the summary says ` +
      `${q(/\*\*\d+ new\*\*[^\n]*/.exec(pr.summary)?.[0] ?? 'no counts')}`
  )
  return pr
}

// ── Secrets: no token in anything a step put out, wrote or left behind ──────────────────────────────────────
function checkNoTokenLeaked({ tempRoot, check, evidence }: Stage): void {
  const secrets = [...Object.values(TOKENS), GITHUB_TOKEN]
  const scanned: Array<[string, string]> = [
    ...evidence.raws,
    ...evidence.written,
    ...listFiles(tempRoot).map((file): [string, string] => [
      relative(tempRoot, file),
      readFileSync(file, 'utf8')
    ])
  ]
  const leaks = scanned
    .filter(([, text]) => secrets.some((secret) => text.includes(secret)))
    .map(([where]) => where)
  check(
    leaks.length === 0,
    leaks.length === 0
      ? `no token in any log line, output, summary or file (${scanned.length} checked)`
      : `a token appears in: ${leaks.join(', ')}`
  )
}

function closeApp(app: SampleApp | undefined): Promise<void> | undefined {
  if (!app) return undefined
  app.server.closeAllConnections()
  return app.close()
}

// ── Run ──────────────────────────────────────────────────────────────────────────────────────────────────

const safety = setTimeout(() => {
  console.error(style.red(`The demo did not finish within ${SAFETY_TIMEOUT_MS / 1000} s: giving up.`))
  killSteps()
  process.exit(124)
}, SAFETY_TIMEOUT_MS)
safety.unref()

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      style.red(
        masker.apply(`The demo crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
      )
    )
    killSteps()
    process.exit(1)
  }
)
