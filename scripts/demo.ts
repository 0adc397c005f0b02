/**
 * `npm run demo`: the whole product in a few seconds, with no Wallarm account. It starts the FAST emulator
 * (the Wallarm API and three FAST nodes, each with its proxy, that really attack what they record) and
 * a small shop with real flaws that counts the attacks it receives, then runs the bundled action (dist/index.js) the way the GitHub runner does:
 *
 *   job 0: scan, the one-step way in: the node, the test command through it, the verdict, in one step;
 *          with the emulated node as a local process (node-url), then, where a Docker engine runs, with
 *          the node container the step starts itself
 *   job 1: record → the existing tests, through the node's proxy → stop → the node attacks the shop
 *          (the gate fails on the sqli and xss it found)
 *          → the record step's post step (nothing left recording)
 *   job 2: a matrix of two parallel legs that reuse the test record, one FAST node (token) per leg
 *
 * Each step is printed as the Actions log shows it, with its outputs and its job summary; the summaries
 * and the stop step's reports are written to .demo-output/ (or $DEMO_OUTPUT_DIR). It ends with a verdict
 * and exits 0 only when everything behaved as designed.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { execFileSync, type ChildProcess } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { startEmulator, type Emulator } from '../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../sample-app/server.js'
import { DIST, ROOT, runPostStep, runStep, type StepOptions, type StepResult } from './lib/action-runner.js'
import { CONTAINER_LABEL } from '../src/scan/node.js'
import { EMULATOR_IMAGE, emulatorImageUnavailable } from './lib/docker.js'
import {
  Masker,
  colourEnabled,
  makeStyle,
  padEnd,
  renderLog,
  renderMarkdown,
  shorten
} from './lib/terminal.js'

const SAFETY_TIMEOUT_MS = 120_000
const TIME_SCALE = 0.02
/** `***` as Markdown text, not emphasis. */
const MARKDOWN_MASK = '\\*\\*\\*'
const OUT_DIR = resolve(process.env.DEMO_OUTPUT_DIR || join(ROOT, '.demo-output'))

const style = makeStyle(colourEnabled())
const masker = new Masker()
const children = new Set<ChildProcess>()

/** Prints through the mask, as the runner's log does. */
function say(text = ''): void {
  console.log(masker.apply(text))
}

/** Fake node tokens, random so that a leak check cannot pass or fail by accident. */
const hex = (): string => randomBytes(6).toString('hex')
const TOKENS = { a: `fast-a-${hex()}`, b: `fast-b-${hex()}`, c: `fast-c-${hex()}` }
/** The node token of the container that job 0 starts where a Docker engine runs. */
const CONTAINER_TOKEN = `fast-d-${hex()}`
const GITHUB_TOKEN = `ghs_demo${hex()}`
masker.add(...Object.values(TOKENS), CONTAINER_TOKEN, GITHUB_TOKEN)

interface Vuln {
  type?: string
  method?: string
  path?: string
  parameter?: string
}

interface Check {
  ok: boolean
  text: string
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
  const checks: Check[] = []
  const check = (ok: boolean, text: string): void => void checks.push({ ok, text })
  const written: Array<[string, string]> = []
  const raws: Array<[string, string]> = []

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

  const api = { 'api-host': emu.apiUrl, 'github-token': GITHUB_TOKEN }

  // ── Job 0: scan, the shortest way in: one step runs the tests through the node and gets the verdict ──
  jobHeader('Job 0 · scan', 'one step: the FAST node, your test command through it, the verdict')
  const job0Temp = join(tempRoot, 'job-0')
  mkdirSync(job0Temp)
  const scanInputs = {
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
  const scan = await step('scan', { inputs: scanInputs, runnerTemp: job0Temp })
  raws.push(...rawParts('scan', scan))
  written.push(writeSummary('0-scan.md', scan))
  check(
    scan.exitCode === 1 &&
      scan.outputs.conclusion === 'failed' &&
      scan.outputs['tests-exit-code'] === '0' &&
      hasSqli(parseVulns(scan.outputs['vulnerabilities-json'])),
    `scan: exit ${scan.exitCode} (the gate), tests-exit-code ${q(scan.outputs['tests-exit-code'])}, ` +
      `conclusion ${q(scan.outputs.conclusion)}: ${describe(parseVulns(scan.outputs['vulnerabilities-json']))}`
  )

  await scanInAContainer(app, scanInputs.run, job0Temp, check)

  const job1Temp = join(tempRoot, 'job-1')
  mkdirSync(job1Temp)

  // ── Job 1: record → existing tests → stop → post ─────────────────────────────────────────────────────
  jobHeader('Job 1 · security-tests', 'record the existing tests as baselines, stop, get the verdict')

  const recordInputs = { mode: 'record', token: TOKENS.a, name: 'shop · record', ...api }
  const rec = await step('record', { inputs: recordInputs, runnerTemp: job1Temp })
  raws.push(...rawParts('record', rec))
  written.push(writeSummary('1-record.md', rec))
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
  const stop = await step('stop', { inputs: stopInputs, env: rec.exported, runnerTemp: job1Temp })
  raws.push(...rawParts('stop', stop))
  written.push(writeSummary('2-stop.md', stop))
  for (const [output, suffix] of [
    ['report-path', '.json'],
    ['sarif-path', '.sarif'],
    ['junit-path', '.junit.xml']
  ] as const) {
    const file = stop.outputs[output]
    if (file && existsSync(file)) written.push(writeFile(`2-stop${suffix}`, readFileSync(file, 'utf8')))
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

  const post = await step('post', { inputs: recordInputs, env: rec.exported, runnerTemp: job1Temp }, rec)
  raws.push(...rawParts('post', post))
  if (post.summary.trim() !== '') written.push(writeSummary('1-record-post.md', post))
  const recorded = emu.model.peekTestRun(Number(runId))
  check(
    post.exitCode === 0 && recorded !== undefined && !recorded.recording,
    `post: exit ${post.exitCode}; the emulator says test run ${runId} is ` +
      (recorded === undefined ? 'unknown' : recorded.recording ? 'STILL recording' : 'no longer recording')
  )

  // ── Job 2: a matrix of two legs reusing the test record, one node token per concurrent leg ──────────
  jobHeader('Job 2 · replay, a matrix of two legs', 'in parallel, each on its own FAST node and token')
  const legTokens = [TOKENS.b, TOKENS.c]
  const legInputs = legTokens.map((token, i) => ({
    mode: 'reuse',
    token,
    'test-record-id': recordId,
    name: `shop · leg ${i + 1}`,
    ...api
  }))
  const attacksBeforeLegs = app.stats().attacks
  const legs = await Promise.all(
    legInputs.map(async (inputs, i) => {
      const runnerTemp = join(tempRoot, `job-2-leg-${i + 1}`)
      mkdirSync(runnerTemp)
      const t0 = Date.now()
      const result = await runStep(track({ inputs, runnerTemp }))
      return { ...result, ms: Date.now() - t0 }
    })
  )
  legs.forEach((leg, i) => {
    const n = i + 1
    say()
    say(style.dim(`  (matrix leg ${n})`))
    showStep('reuse', legInputs[i]!, {}, leg, leg.ms)
    raws.push(...rawParts(`leg ${n}`, leg))
    written.push(writeSummary(`3-reuse-leg-${n}.md`, leg))
    const vulns = parseVulns(leg.outputs['vulnerabilities-json'])
    check(
      leg.outputs['test-record-id'] === recordId &&
        leg.outputs.conclusion === 'failed' &&
        leg.outputs.state !== 'interrupted' &&
        hasSqli(vulns),
      `reuse leg ${n}: test run ${q(leg.outputs['test-run-id'])} copied from test record ` +
        `${q(leg.outputs['test-record-id'])}, conclusion ${q(leg.outputs.conclusion)}, state ${q(leg.outputs.state)}, ${describe(vulns)}`
    )
  })
  check(
    app.stats().attacks > attacksBeforeLegs,
    `reuse legs: their nodes attacked the shop again (${app.stats().attacks - attacksBeforeLegs} attack requests)`
  )
  const legRuns = legs.map((leg) => emu.model.peekTestRun(Number(leg.outputs['test-run-id'])))
  check(
    legRuns.every((run) => run !== undefined && run.state !== 'interrupted'),
    `reuse legs: the emulator has neither leg's test run interrupted (${legRuns.map((r) => r?.state ?? 'unknown').join(', ')})`
  )

  // ── Secrets ──────────────────────────────────────────────────────────────────────────────────────────
  const secrets = [...Object.values(TOKENS), GITHUB_TOKEN]
  const scanned: Array<[string, string]> = [
    ...raws,
    ...written.map(([file, content]): [string, string] => [file, content]),
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

  // ── Files and verdict ────────────────────────────────────────────────────────────────────────────────
  const shownDir = relative(process.cwd(), OUT_DIR) || '.'
  say()
  say(style.bold(`Files written to ${shownDir}/`))
  const width = Math.max(...written.map(([file]) => file.length))
  for (const [file] of written)
    say(`  ${padEnd(join(shownDir, file), shownDir.length + 1 + width)}  ${what(file)}`)

  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  say()
  say(style.bold('Verdict'))
  for (const c of checks) say(`  ${c.ok ? style.green('✓') : style.red('✗')} ${c.text}`)
  const failed = checks.filter((c) => !c.ok)
  say()
  if (failed.length === 0) {
    say(style.green(style.bold(`The demo behaved as designed (${seconds} s).`)))
    return 0
  }
  say(
    style.red(style.bold(`${failed.length} thing(s) did not behave as designed (${seconds} s): see ✗ above.`))
  )
  return 1
}

// ── Steps ────────────────────────────────────────────────────────────────────────────────────────────────

function track(options: StepOptions): StepOptions {
  return {
    ...options,
    onSpawn: (child) => {
      children.add(child)
      child.on('close', () => children.delete(child))
    }
  }
}

async function step(
  kind: 'scan' | 'record' | 'stop' | 'post',
  options: StepOptions & { inputs: Record<string, string> },
  main?: StepResult
): Promise<StepResult> {
  const t0 = Date.now()
  const result = main ? await runPostStep(main, track(options)) : await runStep(track(options))
  showStep(kind, options.inputs, options.env ?? {}, result, Date.now() - t0)
  return result
}

async function freePort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return port
}

/**
 * Job 0 again, as it runs on a GitHub runner: the step starts the FAST node container itself (the
 * emulator's node image in place of wallarm/fast, with host networking) against a cloud of its own, and
 * removes it at the end. Where no engine runs, the demo says so and goes on.
 */
async function scanInAContainer(
  app: SampleApp,
  run: string,
  runnerTemp: string,
  check: (ok: boolean, text: string) => void
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
    const left = execFileSync('docker', ['ps', '--all', '--quiet', '--filter', `label=${CONTAINER_LABEL}`], {
      encoding: 'utf8'
    }).trim()
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

function jobHeader(title: string, note: string): void {
  say()
  say(style.magenta(style.bold(`━━ ${title} `)) + style.dim(`(${note})`))
}

/** One step as the Actions log shows it: the header with its inputs, the log, then outputs and summary. */
function showStep(
  kind: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined>,
  result: StepResult,
  ms: number
): void {
  masker.addFromLog(result.stdout)
  say()
  say(
    style.bold(
      kind === 'post' ? '▶ Post Run wallarm-fast-action' : `▶ Run wallarm-fast-action (mode: ${inputs.mode})`
    )
  )
  if (kind !== 'post') {
    say(style.dim('  with:'))
    for (const [name, value] of Object.entries(inputs)) {
      if (name !== 'github-token') say(style.dim(`    ${name}: ${value.replace(/\n/g, '\n      ')}`))
    }
    const envEntries = Object.entries(env).filter(([, v]) => v !== undefined)
    if (envEntries.length > 0) {
      say(style.dim('  env (from the record step, via GITHUB_ENV):'))
      for (const [name, value] of envEntries) say(style.dim(`    ${name}: ${value}`))
    }
  }
  for (const line of renderLog(result.stdout, style)) say(`  ${line}`)
  for (const line of result.stderr.split('\n').filter((l) => l.trim() !== '')) say(`  ${style.red(line)}`)

  const outputs = Object.entries(result.outputs)
  if (outputs.length > 0) {
    say(style.dim('  outputs:'))
    const width = Math.max(...outputs.map(([name]) => name.length))
    const empty: string[] = []
    for (const [name, value] of outputs) {
      if (value === '') empty.push(name)
      else {
        const shown = value.split(result.runnerTemp).join('$RUNNER_TEMP')
        const cut = shorten(shown, 80)
        say(
          `    ${padEnd(name, width)} = ${cut}${cut === shown ? '' : style.dim(` (${shown.length} characters)`)}`
        )
      }
    }
    if (empty.length > 0) say(style.dim(`    (empty: ${empty.join(', ')})`))
  }
  const code = result.exitCode ?? result.signal
  const ending =
    result.exitCode === 0
      ? style.green('exit 0')
      : style.red(
          `exit ${code}${kind === 'stop' || kind === 'reuse' || kind === 'scan' ? ': the step fails, the gate blocks the job' : ''}`
        )
  say(`  ${ending}  ${style.dim(`(${(ms / 1000).toFixed(1)} s)`)}`)
  if (result.summary.trim() !== '') {
    say(style.dim('  ┌ job summary'))
    for (const line of renderMarkdown(masker.apply(result.summary, MARKDOWN_MASK), style))
      say(`  ${style.dim('│')} ${line}`.trimEnd())
    say(style.dim('  └'))
  }
}

/** The "existing tests": a few requests to the shop, sent through the node's proxy, printed like a test run. */
async function existingTests(emu: Emulator, app: SampleApp): Promise<{ passed: number; total: number }> {
  const proxy = new URL(emu.proxyUrl)
  const cases: Array<{ name: string; method: string; path: string; body?: string; expect: number }> = [
    { name: 'lists the products', method: 'GET', path: '/api/products', expect: 200 },
    { name: 'shows one product', method: 'GET', path: '/api/products/2', expect: 200 },
    { name: 'searches for tea', method: 'GET', path: '/api/search?q=tea', expect: 200 },
    { name: 'greets a visitor', method: 'GET', path: '/greet?name=Ann', expect: 200 },
    {
      name: 'adds to the cart',
      method: 'POST',
      path: '/api/cart',
      body: '{"productId":1,"qty":2}',
      expect: 201
    },
    { name: 'serves the home page', method: 'GET', path: '/', expect: 200 }
  ]
  say()
  say(style.bold('▶ Run npm test') + style.dim('  (the existing tests)'))
  say(style.dim('  env:'))
  say(style.dim(`    HTTP_PROXY: ${emu.proxyUrl}   (the FAST node records every request as a baseline)`))
  let passed = 0
  const width = Math.max(...cases.map((c) => c.name.length))
  const pathWidth = Math.max(...cases.map((c) => c.path.length))
  for (const c of cases) {
    const t0 = Date.now()
    let status: number | string
    try {
      status = await viaProxy(proxy, new URL(c.path, app.url), c.method, c.body)
    } catch (err) {
      status = err instanceof Error ? err.message : String(err)
    }
    const ok = status === c.expect
    if (ok) passed++
    const mark = ok ? style.green('✓') : style.red('✗')
    const ms = style.dim(`${Date.now() - t0} ms`)
    say(
      `  ${mark} ${padEnd(c.name, width)}  ${padEnd(c.method, 4)} ${padEnd(c.path, pathWidth)}  → ${status}  ${ms}`
    )
  }
  const total = cases.length
  say(
    `  ${passed === total ? style.green(`${passed} passed`) : style.red(`${total - passed} failed, ${passed} passed`)}`
  )
  return { passed, total }
}

function viaProxy(proxy: URL, target: URL, method: string, body?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method,
        path: target.href,
        headers: {
          host: target.host,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        },
        timeout: 10_000
      },
      (res) => {
        res.resume()
        res.on('end', () => done(res.statusCode ?? 0))
        res.on('error', fail)
      }
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', fail)
    req.end(body)
  })
}

// ── Files ────────────────────────────────────────────────────────────────────────────────────────────────

function prepareOutputDir(): void {
  if (process.env.DEMO_OUTPUT_DIR) {
    // Someone else's folder: remove only what an earlier demo run wrote.
    mkdirSync(OUT_DIR, { recursive: true })
    for (const file of readdirSync(OUT_DIR)) {
      if (/^\d-[\w.-]+\.(md|json|sarif|xml)$/.test(file)) rmSync(join(OUT_DIR, file), { force: true })
    }
  } else {
    rmSync(OUT_DIR, { recursive: true, force: true })
    mkdirSync(OUT_DIR, { recursive: true })
  }
}

/** Writes a file under the output folder, masked; returns [name, raw content] for the leak check. */
function writeFile(name: string, raw: string): [string, string] {
  writeFileSync(join(OUT_DIR, name), masker.apply(raw, name.endsWith('.md') ? MARKDOWN_MASK : '***'))
  return [name, raw]
}

function writeSummary(name: string, result: StepResult): [string, string] {
  return writeFile(name, result.summary)
}

function what(file: string): string {
  if (file.endsWith('.md')) return style.dim('job summary (Markdown)')
  if (file.endsWith('.sarif')) return style.dim('SARIF 2.1.0, for code scanning')
  if (file.endsWith('.xml')) return style.dim('JUnit XML, one test case per vulnerability')
  return style.dim('JSON report of the test run and its vulnerabilities')
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** Everything a step put out, for the leak check: the log (without the add-mask commands), outputs, env, state, summary. */
function rawParts(label: string, r: StepResult): Array<[string, string]> {
  return [
    [`${label} log`, r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr],
    [`${label} outputs`, JSON.stringify(r.outputs)],
    [`${label} GITHUB_ENV`, JSON.stringify(r.exported)],
    [`${label} GITHUB_STATE`, JSON.stringify(r.state)],
    [`${label} summary`, r.summary]
  ]
}

// ── Small things ─────────────────────────────────────────────────────────────────────────────────────────

function parseVulns(json: string | undefined): Vuln[] {
  try {
    const value: unknown = JSON.parse(json ?? '[]')
    return Array.isArray(value) ? (value as Vuln[]) : []
  } catch {
    return []
  }
}

function hasSqli(vulns: Vuln[]): boolean {
  return vulns.some((v) => v.type === 'sqli' && v.path === INJECTABLE_PATH)
}

function describe(vulns: Vuln[]): string {
  if (vulns.length === 0) return 'no finding'
  return vulns
    .map(
      (v) => `${v.type ?? '?'} on ${v.method ?? ''} ${v.path ?? '?'}${v.parameter ? ` (${v.parameter})` : ''}`
    )
    .join(', ')
}

function q(value: string | undefined): string {
  return value === undefined || value === '' ? '(none)' : value
}

function closeApp(app: SampleApp | undefined): Promise<void> | undefined {
  if (!app) return undefined
  app.server.closeAllConnections()
  return app.close()
}

// ── Run ──────────────────────────────────────────────────────────────────────────────────────────────────

const safety = setTimeout(() => {
  console.error(style.red(`The demo did not finish within ${SAFETY_TIMEOUT_MS / 1000} s: giving up.`))
  for (const child of children) child.kill('SIGKILL')
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
    for (const child of children) child.kill('SIGKILL')
    process.exit(1)
  }
)
