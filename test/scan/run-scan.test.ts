/**
 * runScan in-process: the real client, the emulator as the node (node-url) or behind the stand-in
 * docker CLI (the container path), the real hop and a real bash command. The bundled action runs the
 * same through e2e/scan*.test.ts; this reaches the branches in between.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { FlowDeps } from '../../src/modes/flow.js'
import { InputDefaults } from '../../src/inputs/parse.js'
import { readSettings, type Settings } from '../../src/inputs/settings.js'
import { sleep as defaultSleep, systemClock as defaultClock } from '../../src/common/time.js'
import { runScan, type ScanPorts } from '../../src/scan/run-scan.js'
import { FastClient } from '../../src/wallarm/client.js'
import { decide } from '../../src/verdict/gate.js'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { makeCa } from '../support/tls.js'
import http from 'node:http'
import https from 'node:https'

const TOKEN = 'fast-run-scan-s3cr3t'
const FAKE_DOCKER_DIR = resolve(import.meta.dirname, 'fixtures')

const closers: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

interface Harness {
  emu: Emulator
  app: SampleApp
  dir: string
  logs: string[]
  groups: string[]
  containers: (string | undefined)[]
  recording: [string, boolean][]
  settings(inputs: Record<string, string>): Settings
  deps(signal?: AbortSignal): FlowDeps
  ports(env?: NodeJS.ProcessEnv): ScanPorts
}

async function harness(readyDelayMs = 200, allowedHosts?: string): Promise<Harness> {
  const emu = await startEmulator({
    tokens: [TOKEN],
    ...(allowedHosts !== undefined ? { allowedHosts } : {}),
    timeScale: 0.02,
    readyDelayMs,
    vulnRule: (r) =>
      r.path === INJECTABLE_PATH ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' } : null
  })
  const app = await startSampleApp()
  const client = new FastClient({ baseUrl: emu.apiUrl, token: TOKEN })
  closers.push(
    () => emu.close(),
    () => app.close(),
    () => client.dispose()
  )
  const h: Harness = {
    emu,
    app,
    dir: mkdtempSync(join(tmpdir(), 'fast-run-scan-')),
    logs: [],
    groups: [],
    containers: [],
    recording: [],
    settings: (inputs) =>
      readSettings(
        (name) =>
          ({
            ...InputDefaults,
            token: TOKEN,
            mode: 'scan',
            target: app.url,
            'node-url': emu.proxyUrl,
            'stop-grace-period': '0s',
            'inactivity-timeout': '86400',
            ...inputs
          })[name as never] ?? '',
        {}
      ),
    deps: (signal = new AbortController().signal) => ({
      client,
      log: { info: (m) => h.logs.push(m), warning: (m) => h.logs.push(`warning: ${m}`) },
      clock: defaultClock,
      sleep: defaultSleep,
      signal,
      onRunKnown: () => undefined,
      onRecording: (id, on) => h.recording.push([id, on])
    }),
    ports: (env = { PATH: process.env.PATH, WALLARM_API_TOKEN: TOKEN, INPUT_TOKEN: TOKEN }) => ({
      env,
      token: TOKEN,
      apiBaseUrl: emu.apiUrl,
      tempDir: h.dir,
      labelValue: '42',
      onContainer: (name) => h.containers.push(name),
      group: (title, text) => h.groups.push(`${title}\n${text}`)
    })
  }
  return h
}

describe('runScan with a node of one’s own (node-url)', () => {
  it('records while the command runs, stops, waits: the verdict, the exit code, what was sent', async () => {
    const h = await harness()
    const envFile = join(h.dir, 'env')
    const result = await runScan(
      h.settings({
        run: `curl -sSf "${h.app.url}/api/products/1" > /dev/null; curl -sS "${h.app.url}${INJECTABLE_PATH}?q=x" > /dev/null; env > ${envFile}; exit 4`
      }),
      h.deps(),
      h.ports()
    )
    expect(result.conclusion).toBe('failed')
    expect(result.run?.baseline_count).toBe(2)
    expect(result.scan).toMatchObject({ testsExitCode: 4, testsCancelled: false, testsMustPass: true })
    expect(result.scan.nodeLogPath).toBeUndefined()
    expect(result.scan.trafficMarkdown).toContain('`/api/products/{id}`')
    // The ledger for API coverage (openapi): per method and path pattern, recorded or not.
    expect(result.scan.sent).toContainEqual({
      method: 'GET',
      path: '/api/products/{id}',
      count: 1,
      recorded: true
    })
    expect(readFileSync(envFile, 'utf8')).not.toContain(TOKEN)
    expect(h.logs).toContain(`Using the FAST node at ${h.emu.proxyUrl} (node-url): no container is started.`)
    expect(h.logs).toContain('The tests ended with exit code 4; 2 request(s) went through the FAST node.')
    expect(h.recording.at(-1)).toEqual([result.run!.id, false])
    expect(h.containers).toEqual([])
    expect(h.groups).toEqual([])
  })

  it('test-record-id: the node replays the record (a copy), no command, the verdict waited for', async () => {
    const h = await harness()
    const recorded = await runScan(
      h.settings({ run: `curl -sS "${h.app.url}${INJECTABLE_PATH}?q=x" > /dev/null` }),
      h.deps(),
      h.ports()
    )
    const recordId = String(recorded.run!.test_record_id)
    h.logs.length = 0
    const replayed = await runScan(h.settings({ 'test-record-id': recordId }), h.deps(), h.ports())
    expect(replayed.conclusion).toBe('failed')
    expect(String(replayed.run!.test_record_id)).toBe(recordId)
    expect(replayed.run!.id).not.toBe(recorded.run!.id)
    expect(replayed.run!.baseline_count).toBe(1)
    expect(replayed.scan).toEqual({ testsCancelled: false, testsMustPass: true, replayedRecordId: recordId })
    expect(h.logs.some((l) => l.startsWith('Running the tests'))).toBe(false)
    expect(h.logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^Copied test run ${String(replayed.run!.id)} from test record ${recordId} `)
        )
      ])
    )
  })

  it('a recording that ends while the tests run: the requests after it counted as not recorded, no pass', async () => {
    const h = await harness()
    // A target that, on /end, has the recording end as inactivity-timeout or the console would end it.
    const target = createServer((req, res) => {
      if (req.url === '/end') h.emu.model.stopRecording(TOKEN, h.emu.model.runIds().at(-1)!)
      res.end('ok')
    })
    await new Promise<void>((done) => target.listen(0, '127.0.0.1', done))
    closers.push(() => new Promise((done) => target.close(done)))
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}`
    const result = await runScan(
      h.settings({
        target: url,
        'inactivity-timeout': '',
        run: `for p in a end b c d; do curl -sSf "${url}/$p" > /dev/null; done`
      }),
      h.deps(),
      h.ports()
    )
    // Unless the user sets one, the run is created with the API's largest inactivity timeout.
    const create = h.emu.requests.find((r) => r.method === 'POST' && r.path === '/v1/test_run')
    expect(create?.body).toMatchObject({ inactivity_timeout: 86400 })
    expect(result.run?.baseline_count).toBe(2)
    expect(result.recordingEnded).toEqual({ requestsAfter: 3 })
    expect(result.warnings).toContainEqual(
      expect.stringMatching(/^The recording of test run \d+ had already ended when the stop was asked/)
    )
    expect(h.logs).toContain(
      'warning: 3 requests to recorded hosts were sent after the recording had ended (inactivity-timeout, or ' +
        'the Wallarm console): proxied but not recorded, so not tested.'
    )
    const table = result.scan.trafficMarkdown ?? ''
    expect(table).toContain('| `/end` | 1 | 1 | 0 | 0 | 0 | 0 | yes |')
    for (const path of ['b', 'c', 'd'])
      expect(table).toContain(`| \`/${path}\` | 1 | 1 | 0 | 0 | 0 | 0 | no: sent after the recording ended |`)
    // The gate: the API says passed, the step does not.
    expect(result.conclusion).toBe('passed')
    const decision = decide({
      conclusion: result.conclusion,
      reason: result.reason,
      failOn: 'vulnerabilities',
      minThreat: 1,
      findings: [],
      mode: 'scan',
      run: result.run,
      techFailTolerance: 0,
      recordingEnded: result.recordingEnded
    })
    expect(decision).toMatchObject({ conclusion: 'inconclusive', failed: true })
    expect(decision.reason).toContain('3 requests to recorded hosts were sent after that')
  })

  it('a node that never picks the run up: no command runs, the record step’s error comes back', async () => {
    const h = await harness(3_600_000)
    const marker = join(h.dir, 'ran')
    const result = await runScan(
      h.settings({ run: `touch ${marker}`, 'ready-timeout': '1s' }),
      h.deps(),
      h.ports()
    )
    expect(result.conclusion).toBe('error')
    expect(result.reason).toContain('did not pick test run')
    expect(result.scan.testsExitCode).toBeUndefined()
    expect(() => readFileSync(marker)).toThrow()
  })

  it('an HTTPS target whose node serves no CA: a warning with the way round, and the tests still run', async () => {
    const h = await harness()
    const result = await runScan(
      h.settings({ target: 'https://shop.test', 'allowed-hosts': 'shop.test', run: 'true' }),
      h.deps(),
      h.ports()
    )
    expect(h.logs.find((l) => l.includes("FAST node's CA could not be read"))).toMatch(
      /^warning: The target is HTTPS, but the FAST node's CA could not be read .*fast-action\/blob\/v1\/docs\/scan-mode\.md#https-targets/
    )
    expect(result.scan.testsExitCode).toBe(0)
    expect(h.logs).toEqual(
      expect.arrayContaining([
        expect.stringContaining('warning: No request went through the FAST node while the command ran')
      ])
    )
  })

  it('a cancel while the tests run: the command ends, the run is left for the action layer to stop', async () => {
    const h = await harness()
    const controller = new AbortController()
    const ready = join(h.dir, 'ready')
    const pending = runScan(
      h.settings({ run: `touch ${ready}; sleep 60` }),
      h.deps(controller.signal),
      h.ports()
    )
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 50))
      try {
        readFileSync(ready)
        break
      } catch {
        // not yet
      }
    }
    controller.abort()
    const result = await pending
    expect(result).toMatchObject({
      conclusion: 'error',
      reason: 'The job was cancelled while the tests ran.'
    })
    expect(result.scan.testsCancelled).toBe(true)
    // Still recording: main's cancel-time stop (or the post step) stops it.
    expect(h.recording.at(-1)).toEqual([result.run!.id, true])
  })
})

describe('runScan starting the node (the stand-in docker CLI)', () => {
  /** The environment of a step whose `docker` is the stand-in. */
  const dockerEnv = (h: Harness, mode: string): NodeJS.ProcessEnv => {
    writeFileSync(join(h.dir, 'calls'), '')
    return {
      PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH}`,
      FAKE_DOCKER_LOG: join(h.dir, 'calls'),
      FAKE_DOCKER_MODE: mode,
      INPUT_TOKEN: TOKEN
    }
  }
  /** A free port that starts forwarding to the emulator's node once the "container" exists. */
  async function nodePort(h: Harness): Promise<{ port: number; ports: (p: ScanPorts) => ScanPorts }> {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
    const target = new URL(h.emu.proxyUrl)
    const forwarder = net.createServer((c) => {
      const up = net.connect(Number(target.port), '127.0.0.1')
      c.pipe(up).pipe(c)
      c.on('error', () => up.destroy())
      up.on('error', () => c.destroy())
    })
    closers.push(() => new Promise((r) => forwarder.close(r)))
    return {
      port,
      ports: (p) => ({
        ...p,
        onContainer: (name) => {
          p.onContainer(name)
          if (name !== undefined) forwarder.listen(port, '127.0.0.1')
        }
      })
    }
  }

  it('preflight, start, ready, tests, verdict, then the container removed and forgotten', async () => {
    const h = await harness()
    const { port, ports } = await nodePort(h)
    const result = await runScan(
      h.settings({
        'node-url': '',
        'proxy-port': String(port),
        run: `curl -sSf "${h.app.url}/api/products"`
      }),
      h.deps(),
      ports(h.ports(dockerEnv(h, 'ok')))
    )
    expect(result.conclusion).toBe('passed')
    expect(result.scan.nodeLogPath).toMatch(/wallarm-fast-node-.*\.log$/)
    expect(readFileSync(result.scan.nodeLogPath!, 'utf8')).toContain('Node connected to Wallarm Cloud')
    expect(h.containers).toEqual([expect.stringMatching(/^wallarm-fast-/), undefined])
    const calls = readFileSync(join(h.dir, 'calls'), 'utf8')
    expect(calls).toMatch(
      /^token-in-env\trun --detach --name wallarm-fast-\S+ --label com\.wallarm\.fast-action=42 --network host/m
    )
    expect(calls).toContain(`PROXY_PORT=${port}`)
    expect(calls).toMatch(/^\trm --force wallarm-fast-/m)
    expect(calls.replace(/^token-in-env/gm, '')).not.toContain(TOKEN)
    expect(h.groups).toEqual([])
  })

  it('access denied: the node’s words as the verdict, its log in a group and its path kept, the container removed', async () => {
    const h = await harness()
    const { port, ports } = await nodePort(h)
    const result = await runScan(
      h.settings({ 'node-url': '', 'proxy-port': String(port), run: 'true' }),
      h.deps(),
      ports(h.ports(dockerEnv(h, 'denied')))
    )
    expect(result).toMatchObject({
      conclusion: 'error',
      reason: expect.stringMatching(/access denied/) as string
    })
    expect(result.scan.testsExitCode).toBeUndefined()
    expect(readFileSync(result.scan.nodeLogPath!, 'utf8')).toContain('access denied')
    expect(h.groups).toEqual([
      expect.stringMatching(/^The FAST node's log, last lines[^\n]*\n.*access denied/s)
    ])
    expect(h.containers).toEqual([expect.stringMatching(/^wallarm-fast-/), undefined])
  })

  it('a node that stops during the run: the recording stopped, no wait for a verdict that cannot come', async () => {
    const h = await harness()
    const { port, ports } = await nodePort(h)
    const started = Date.now()
    const result = await runScan(
      h.settings({
        'node-url': '',
        'proxy-port': String(port),
        // The node dies while the tests run (on cue, not after a fixed time a slow machine may outlast).
        run: `curl -sS "${h.app.url}/api/products"; touch "${join(h.dir, 'die')}"; sleep 4`
      }),
      h.deps(),
      ports(h.ports({ ...dockerEnv(h, 'dies-on-cue'), FAKE_DOCKER_DIE_FILE: join(h.dir, 'die') }))
    )
    expect(result.conclusion).toBe('error')
    expect(result.reason).toMatch(/^The FAST node's container stopped before the verdict.*\.log\)\.$/)
    expect(h.emu.model.getTestRun(TOKEN, Number(result.run!.id)).recording).toBe(false)
    expect(h.groups).toEqual([expect.stringContaining('[fatal] out of memory')])
    // wait-timeout is an hour: the step did not wait for it.
    expect(Date.now() - started).toBeLessThan(60_000)
  })

  it('test-record-id: the container is started with no ALLOWED_HOSTS, replays, and is removed', async () => {
    const h = await harness()
    const recorded = await runScan(
      h.settings({ run: `curl -sSf "${h.app.url}/api/products/1" > /dev/null` }),
      h.deps(),
      h.ports()
    )
    const { port, ports } = await nodePort(h)
    const result = await runScan(
      h.settings({
        'node-url': '',
        'proxy-port': String(port),
        'test-record-id': String(recorded.run!.test_record_id)
      }),
      h.deps(),
      ports(h.ports(dockerEnv(h, 'ok')))
    )
    expect(result.conclusion).toBe('passed')
    expect(result.run!.baseline_count).toBe(1)
    const calls = readFileSync(join(h.dir, 'calls'), 'utf8')
    expect(calls).toMatch(/^token-in-env\trun --detach --name wallarm-fast-/m)
    expect(calls).not.toContain('ALLOWED_HOSTS')
    expect(calls).toMatch(/^\trm --force wallarm-fast-/m)
    expect(h.containers).toEqual([expect.stringMatching(/^wallarm-fast-/), undefined])
    expect(h.logs).toContain(
      `Starting the FAST node (wallarm/fast:1.102.0) with host networking, to replay test record ${String(recorded.run!.test_record_id)}…`
    )
  })

  it('a failed preflight starts nothing', async () => {
    const h = await harness()
    const result = await runScan(
      h.settings({ 'node-url': '', run: 'true' }),
      h.deps(),
      h.ports(dockerEnv(h, 'no-engine'))
    )
    expect(result).toMatchObject({
      conclusion: 'error',
      reason: expect.stringMatching(/docker could not reach one/) as string
    })
    expect(h.containers).toEqual([])
  })
})

/** Whether this machine has an IPv6 loopback to listen on. */
const ipv6Loopback = await new Promise<boolean>((resolve) => {
  const probe = net.createServer()
  probe.once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

describe('runScan with an IPv6 loopback target (http://[::1]:port)', () => {
  it.skipIf(!ipv6Loopback)(
    'a real curl with ::1 in NO_PROXY goes through the hop and the node; the node records [::1]',
    async () => {
      // The node gets ALLOWED_HOSTS as the step derives it from the target.
      const h = await harness(200, '[::1]')
      const app = http.createServer((_req, res) => res.end('{"ok":true}'))
      await new Promise<void>((r) => app.listen(0, '::1', r))
      closers.push(() => new Promise((r) => app.close(r)))
      const target = `http://[::1]:${(app.address() as AddressInfo).port}`
      const out = join(h.dir, 'out')
      const settings = h.settings({ target, run: `curl -sSfg "${target}/api/products/1" > ${out}` })
      expect(settings.scan?.allowedHosts).toBe('[::1]')
      const result = await runScan(settings, h.deps(), {
        ...h.ports(),
        env: { PATH: process.env.PATH, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: '::1' }
      })
      expect(readFileSync(out, 'utf8')).toBe('{"ok":true}')
      expect(h.logs).toContain('The tests ended with exit code 0; 1 request(s) went through the FAST node.')
      expect(h.logs.filter((l) => l.startsWith('warning:'))).toEqual([])
      expect(result.scan.trafficMarkdown).toContain('| GET | ::1 | `/api/products/{id}` | 1 | 1 |')
      expect(result.run?.baseline_count).toBe(1)
    }
  )
})

describe('runScan with an HTTPS target and a CA directory in the step’s environment', () => {
  it('REQUESTS_CA_BUNDLE naming a directory: no EISDIR, its certificates in the tests’ bundle, a real python requests trusts the server', async () => {
    const h = await harness()
    const corporate = makeCa('corporate')
    const cadir = mkdtempSync(join(h.dir, 'certs-'))
    writeFileSync(join(cadir, 'corporate.pem'), corporate.pem)
    // The application, with a certificate of the corporate CA.
    const app = https.createServer({ cert: corporate.pem, key: corporate.key }, (_req, res) =>
      res.end('corporate')
    )
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise((r) => app.close(r)))
    // The node: the emulator's, behind a front that serves a CA as the real node does; CONNECT tunnels
    // as a plain TCP tunnel (the emulator's node does not intercept TLS either).
    const node = new URL(h.emu.proxyUrl)
    const front = http.createServer((req, res) => {
      if (req.url === 'http://wallarm.get/cert.der') return void res.end(makeCa('node').der)
      const up = http.request(
        { host: node.hostname, port: node.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      req.pipe(up)
    })
    front.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const [host = '', port = ''] = (req.url ?? '').split(':')
      const to = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n')
        to.write(head)
        to.pipe(client)
        client.pipe(to)
      })
      to.on('error', () => client.destroy())
      client.on('error', () => to.destroy())
    })
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r))
    closers.push(() => {
      front.closeAllConnections()
      return new Promise((r) => front.close(r))
    })
    const target = `https://localhost:${(app.address() as AddressInfo).port}`
    const out = join(h.dir, 'out')
    const py = `import requests; open("${out}", "w").write(requests.get("${target}/api").text)`
    const result = await runScan(
      h.settings({
        target,
        'node-url': `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
        run: `python3 -c '${py}'`
      }),
      h.deps(),
      {
        ...h.ports(),
        env: { PATH: process.env.PATH, REQUESTS_CA_BUNDLE: cadir, SSL_CERT_FILE: join(h.dir, 'gone.pem') }
      }
    )
    expect(result.scan.testsExitCode).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe('corporate')
    // What cannot be used is a warning, not the step's failure.
    expect(h.logs.filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: SSL_CERT_FILE names ${join(h.dir, 'gone.pem')}, which does not exist: left out of the tests' CA bundle.`
    ])
    expect(h.logs.find((l) => l.startsWith('HTTPS target:'))).toContain('any bundle the step')
  })
})
