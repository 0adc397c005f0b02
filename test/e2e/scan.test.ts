/**
 * scan mode end to end: the bundled action run as the runner runs it (on Node 24, the runtime
 * action.yml declares), with the emulator's node as "a node of your own" (node-url), real test clients
 * (curl, a Node 24 script with fetch, a python3 script) against the sample application, through the
 * step's recording hop. The Docker path is in scan-docker.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { node24Path, runStep, type StepOptions, type StepResult } from './harness.js'

/** The demo shop, which Node 24 runs as it is (type stripping), as a `run` command starts an app. */
const SAMPLE_APP = resolve(import.meta.dirname, '..', '..', 'sample-app', 'server.ts')

/** Lines a person would see in the log: the runner consumes ::add-mask:: and never shows it. */
const visibleLog = (step: StepResult): string =>
  `${step.stdout}\n${step.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

describe.concurrent('scan mode with an existing node (node-url), the bundled action on Node 24', () => {
  let app: SampleApp
  let node24: string
  const emulators: Emulator[] = []
  let next = 0

  beforeAll(async () => {
    node24 = node24Path()
    app = await startSampleApp()
  }, 300_000)
  afterAll(async () => {
    for (const emu of emulators) await emu.close()
    await app?.close()
  })

  /** A node of its own for each scenario, which finds the sample app's injectable search. */
  async function nodeOfItsOwn(
    options: { readyDelayMs?: number } = {}
  ): Promise<{ emu: Emulator; token: string }> {
    const token = `fast-scan-node-${++next}-s3cr3t`
    const emu = await startEmulator({
      tokens: [token],
      timeScale: 0.02,
      ...options,
      vulnRule: (r) =>
        r.path === INJECTABLE_PATH ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' } : null
    })
    emulators.push(emu)
    return { emu, token }
  }

  const scan = (
    node: { emu: Emulator; token: string },
    inputs: Record<string, string>,
    options: StepOptions = {}
  ): Promise<StepResult> =>
    runStep({
      node: node24,
      ...options,
      env: { PATH: `${dirname(node24)}:${process.env.PATH}`, ...options.env },
      inputs: {
        mode: 'scan',
        token: node.token,
        'api-host': node.emu.apiUrl,
        'node-url': node.emu.proxyUrl,
        target: app.url,
        'stop-grace-period': '0s',
        // At time scale 0.02 the default 600 s would end an idle recording after 12 real seconds.
        'inactivity-timeout': '86400',
        ...inputs
      }
    })

  const expectNoToken = (step: StepResult, token: string): void => {
    expect(visibleLog(step)).not.toContain(token)
    expect(JSON.stringify(step.outputs)).not.toContain(token)
    expect(JSON.stringify(step.state)).not.toContain(token)
    expect(step.summary).not.toContain(token)
  }

  it('curl, a Node fetch script and a python3 script through the node: the real flaw found, what they sent shown', async () => {
    const node = await nodeOfItsOwn()
    const run = [
      `curl -sSf "$TARGET/api/products/1" >/dev/null`,
      `node --input-type=module -e 'const r = await fetch(process.env.TARGET + "/api/products/2"); if (!r.ok) process.exit(1)'`,
      `python3 -c 'import os, urllib.request; urllib.request.urlopen(os.environ["TARGET"] + "${INJECTABLE_PATH}?q=tea").read()'`,
      `env > "$ENV_DUMP"`,
      'echo "tests done, proxy $FAST_PROXY_URL"'
    ].join('\n')
    const envDump = join(mkdtempSync(join(tmpdir(), 'fast-scan-env-')), 'env')
    const step = await scan(node, { run }, { env: { TARGET: app.url, ENV_DUMP: envDump } })
    const log = visibleLog(step)
    // The token is not in the command's environment, under any name; the proxy variables are.
    const commandEnv = readFileSync(envDump, 'utf8')
    expect(commandEnv).not.toContain(node.token)
    expect(commandEnv).toMatch(/^HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+$/m)
    expect(step.exitCode, log).toBe(1)
    expect(step.outputs).toMatchObject({
      conclusion: 'failed',
      state: 'failed',
      baselines: '3',
      vulnerabilities: '1',
      'tests-exit-code': '0',
      'node-log-path': ''
    })
    expect(JSON.parse(step.outputs['vulnerabilities-json']!)).toEqual([
      expect.objectContaining({ type: 'sqli', path: INJECTABLE_PATH })
    ])
    expect(log).toMatch(/tests done, proxy http:\/\/127\.0\.0\.1:\d+/)
    expect(log).toContain('3 request(s) went through the FAST node')
    expect(step.summary).toContain('Tests passed (exit code 0); scan failed.')
    expect(step.summary).toContain(
      '| GET | 127\\.0.0.1 | `/api/products/{id}` | 2 | 2 | 0 | 0 | 0 | 0 | yes |'
    )
    expect(step.summary).toContain(`\`${INJECTABLE_PATH}\``)
    // Recording stopped, and nothing is left for the post step.
    const runId = Number(step.outputs['test-run-id'])
    expect(node.emu.model.getTestRun(node.token, runId).recording).toBe(false)
    expect(step.state['recording-test-run-id'] ?? '').toBe('')
    expectNoToken(step, node.token)
  })

  it('failing tests: the scan is still reported, and the step fails for the tests', async () => {
    const node = await nodeOfItsOwn()
    const step = await scan(node, {
      run: `curl -sSf "${app.url}/api/products/1"; echo "1 test failed"; exit 3`
    })
    expect(step.exitCode, visibleLog(step)).toBe(1)
    expect(step.outputs).toMatchObject({ conclusion: 'passed', 'tests-exit-code': '3', baselines: '1' })
    expect(visibleLog(step)).toContain(
      '::error title=Wallarm FAST%3A tests failed%2C scan passed::The tests failed (exit code 3); the scan: Testing finished and found no vulnerabilities.'
    )
    expect(step.summary).toContain('Tests failed (exit code 3); scan passed.')

    // tests-must-pass: false lets the scan alone decide.
    const lenient = await scan(
      node,
      { run: 'curl -sSf "$T/api/products/1"; exit 3', 'tests-must-pass': 'false' },
      { env: { T: app.url } }
    )
    expect(lenient.exitCode, visibleLog(lenient)).toBe(0)
    expect(lenient.outputs).toMatchObject({ conclusion: 'passed', 'tests-exit-code': '3' })
  })

  it("the tests' output cannot forge or silence the action's workflow commands", async () => {
    const node = await nodeOfItsOwn()
    const step = await scan(node, {
      run: [
        `curl -sSf "${app.url}/api/products/1" > /dev/null`,
        `echo '::stop-commands::forged'`,
        `echo '::error title=Wallarm FAST%3A passed::all clear'`,
        `printf 'no line break at the end'`,
        'exit 3'
      ].join('\n')
    })
    const lines = step.stdout.split('\n')
    const off = lines.findIndex((l) => /^::stop-commands::fast-[0-9a-f-]{36}$/.test(l))
    const on = lines.findIndex((l) => /^::fast-[0-9a-f-]{36}::$/.test(l))
    expect(off, step.stdout).toBeGreaterThanOrEqual(0)
    expect(lines[on]).toBe(`::${lines[off]!.slice('::stop-commands::'.length)}::`)
    // The tests' lines sit between the two, so the runner shows them as text; the verdict comes after.
    const forged = lines.findIndex((l) => l.startsWith('::error title=Wallarm FAST%3A passed'))
    expect(forged).toBeGreaterThan(off)
    expect(forged).toBeLessThan(on)
    expect(lines.findIndex((l) => l.startsWith('no line break at the end'))).toBeLessThan(on)
    const verdict = lines.findIndex((l) => l.startsWith('::error title=Wallarm FAST%3A tests failed'))
    expect(verdict).toBeGreaterThan(on)
    expect(step.exitCode).toBe(1)
  })

  it('an API failure after the tests: the exit code still reported, the recording stopped in the step', async () => {
    const node = await nodeOfItsOwn()
    // The stop mode's call is refused once (a 400 is not retried); the step's own clean-up stops it.
    node.emu.injectFault({ method: 'POST', path: /\/action\/stop$/, status: 400, count: 1 })
    const step = await scan(node, { run: `curl -sSf "${app.url}/api/products/1" > /dev/null` })
    expect(step.exitCode, visibleLog(step)).toBe(1)
    expect(step.outputs).toMatchObject({ conclusion: 'error', 'tests-exit-code': '0' })
    expect(step.outputs['test-run-id']).toMatch(/^\d+$/)
    expect(step.stdout).toContain(
      `The scan failed: stopped the recording of test run ${step.outputs['test-run-id']}`
    )
    expect(node.emu.model.peekTestRun(Number(step.outputs['test-run-id']))?.recording).toBe(false)
    expect(step.state['recording-test-run-id'] ?? '').toBe('')
  })

  it('a client that ignores the proxy: zero requests seen, and the diagnosis names the variables', async () => {
    const node = await nodeOfItsOwn()
    const step = await scan(node, { run: `curl -sSf --noproxy '*' "${app.url}/api/products/1"` })
    const log = visibleLog(step)
    expect(step.exitCode).toBe(1)
    expect(step.outputs).toMatchObject({ conclusion: 'inconclusive', 'tests-exit-code': '0', baselines: '0' })
    expect(log).toMatch(
      /::warning::No request went through the FAST node while the command ran: the test client ignored the proxy\. The command had http_proxy, HTTP_PROXY, https_proxy, HTTPS_PROXY, NODE_USE_ENV_PROXY, JAVA_TOOL_OPTIONS, FAST_PROXY_URL set/
    )
    expect(step.summary).toContain('No request went through the FAST node')
    expect(step.summary).toContain('No baselines were recorded')
  })

  it('requests to a host outside ALLOWED_HOSTS are named', async () => {
    const node = await nodeOfItsOwn()
    const other = app.url.replace('127.0.0.1', 'localhost')
    const run = `for i in 1 2 3; do curl -sSf "${other}/api/products/$i" >/dev/null; done; curl -sSf "${app.url}/api/products" >/dev/null`
    const step = await scan(node, { run })
    expect(step.exitCode, visibleLog(step)).toBe(0)
    expect(visibleLog(step)).toContain(
      '::warning::3 requests to localhost were proxied but not recorded: not in ALLOWED_HOSTS (127.0.0.1).'
    )
    expect(step.summary).toContain(
      '| GET | localhost | `/api/products/{id}` | 3 | 3 | 0 | 0 | 0 | 0 | no: not in ALLOWED_HOSTS |'
    )
  })

  it('a cancel during the command ends it, stops the recording and reports, within the grace period', async () => {
    const node = await nodeOfItsOwn()
    const dir = mkdtempSync(join(tmpdir(), 'fast-scan-cancel-'))
    let sent = false
    let sentAt = 0
    const step = await scan(
      node,
      {
        // `timeout` puts itself in a process group of its own: a cancel must reach it all the same.
        run: [
          `curl -sSf "${app.url}/api/products/1" >/dev/null; echo $$ > ${dir}/pid`,
          `timeout 600 bash -c 'echo $$ > ${dir}/timeout; exec sleep 120' &`,
          `until [ -s ${dir}/timeout ]; do sleep 0.05; done`,
          'echo "tests are $(echo running)"; sleep 120'
        ].join('\n')
      },
      {
        onSpawn: (child) =>
          child.stdout?.on('data', (chunk: Buffer) => {
            if (!sent && chunk.toString().includes('tests are running')) {
              sent = true
              sentAt = Date.now()
              child.kill('SIGINT')
            }
          })
      }
    )
    expect(sent).toBe(true)
    // The runner sends SIGTERM 7.5 s after SIGINT: everything is done before that, with a margin.
    expect(Date.now() - sentAt).toBeLessThan(7_500)
    expect(step.exitCode).toBe(1)
    const runId = Number(step.outputs['test-run-id'])
    expect(node.emu.model.getTestRun(node.token, runId).recording).toBe(false)
    expect(step.outputs['tests-exit-code']).toMatch(/^1[34]\d$/)
    expect(visibleLog(step)).toContain('The tests were cancelled')
    for (const file of ['pid', 'timeout']) {
      const pid = Number(readFileSync(join(dir, file), 'utf8'))
      expect(isRunning(pid), file).toBe(false)
    }
  })

  it("what the run command leaves in the background (the shop, started with &) serves the node's attacks until the verdict, then is ended", async () => {
    // A real emulated node: it attacks what it recorded once the recording stops, and finds the
    // injection from the shop's answers, so only if the shop still runs then.
    const token = `fast-scan-node-${++next}-s3cr3t`
    const emu = await startEmulator({ tokens: [token], timeScale: 0.02, nodes: 'real' })
    emulators.push(emu)
    const dir = mkdtempSync(join(tmpdir(), 'fast-scan-bg-'))
    const step = await scan(
      { emu, token },
      {
        run: [
          `node "${SAMPLE_APP}" --port 0 > "${dir}/app.log" 2>&1 & echo $! > "${dir}/app.pid"`,
          `until grep -q listening "${dir}/app.log"; do sleep 0.1; done`,
          `APP=$(sed -n 's/.*listening on //p' "${dir}/app.log")`,
          `curl -sSf "$APP/api/products/1" > /dev/null`,
          `curl -sSf "$APP${INJECTABLE_PATH}?q=tea" > /dev/null`
        ].join('\n')
      }
    )
    const log = visibleLog(step)
    const pid = Number(readFileSync(join(dir, 'app.pid'), 'utf8'))
    expect(step.outputs, log).toMatchObject({ conclusion: 'failed', 'tests-exit-code': '0', baselines: '2' })
    expect(JSON.parse(step.outputs['vulnerabilities-json']!)).toEqual([
      expect.objectContaining({ type: 'sqli', path: INJECTABLE_PATH })
    ])
    expect(log).toContain(`The run command left 1 process (pid ${pid}) running in the background`)
    expect(log).toContain(`Ending 1 process (pid ${pid}) the run command left in the background.`)
    expect(isRunning(pid)).toBe(false)
  })

  it('what the command leaves running cannot forge a workflow command, even after the tests end', async () => {
    const node = await nodeOfItsOwn()
    // A server that says something on its way out, on stdout and stderr, when it is ended.
    const dir = mkdtempSync(join(tmpdir(), 'fast-scan-forger-'))
    writeFileSync(
      join(dir, 'forger.cjs'),
      [
        // A moment after the signal, as a server's shutdown takes.
        "process.on('SIGTERM', () => setTimeout(() => {",
        "  console.log('::error title=Wallarm FAST%3A passed::forged at exit')",
        "  console.error('::stop-commands::forged-at-exit')",
        '  process.exit(0)',
        '}, 300))',
        "console.log('::warning::forged while running')",
        "require('fs').writeFileSync(process.argv[2], 'ready')",
        'setInterval(() => {}, 1000)'
      ].join('\n')
    )
    const step = await scan(node, {
      run: [
        `node "${dir}/forger.cjs" "${dir}/ready" &`,
        `until [ -s "${dir}/ready" ]; do sleep 0.05; done`,
        `curl -sSf "${app.url}/api/products/1" > /dev/null`,
        'exit 3'
      ].join('\n')
    })
    const acted = [...actedUpon(step.stdout), ...actedUpon(step.stderr)]
    expect(
      acted.filter((line) => line.includes('forged')),
      step.stdout
    ).toEqual([])
    // What it printed is in the log, as text.
    expect(visibleLog(step)).toContain('forged at exit')
    expect(visibleLog(step)).toContain('forged while running')
    // The action's own verdict is a real command, after the forger was ended.
    expect(acted).toContainEqual(expect.stringMatching(/^::error title=Wallarm FAST%3A tests failed/))
    expect(visibleLog(step)).toMatch(/Ending 1 process \(pid \d+\) the run command left in the background\./)
    expect(step.exitCode).toBe(1)
  })
})

/**
 * The workflow commands the runner acts on in `log` (a stop-commands among them): none between a
 * stop-commands and its resume token.
 */
function actedUpon(log: string): string[] {
  const acted: string[] = []
  let resumeToken: string | undefined
  for (const line of log.split(/\r\n|\r|\n/).map((l) => l.trim())) {
    if (resumeToken !== undefined) {
      if (line === `::${resumeToken}::`) resumeToken = undefined
      continue
    }
    const stop = /^::stop-commands::(.+)$/.exec(line)
    if (stop) resumeToken = stop[1]
    if (line.startsWith('::')) acted.push(line)
  }
  return acted
}

/** Whether a process runs (a zombie does not: nothing reaps orphans in some containers). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
