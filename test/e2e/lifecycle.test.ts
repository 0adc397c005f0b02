/**
 * A recording this step started is always stopped or handed to the post step, and the run is never lost:
 * the bundled action (dist/) run as the runner runs it, against the emulator, under the faults that used
 * to break that promise — status reads that hang or trickle before the stop, runner files that cannot be
 * written, a cancel (SIGTERM or SIGINT, as the runner sends them) during the create, a post step with no
 * state, and a node that dies during the stop or the wait (the stand-in docker CLI of test/scan/fixtures).
 * Afterwards the emulator's state is checked for recordings left on.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.js'
import { runPostStep, runStep, type StepOptions, type StepResult } from './harness.js'

const TOKEN = 'fast-lifecycle-s3cr3t'
const FAKE_DOCKER_DIR = resolve(import.meta.dirname, '..', 'scan', 'fixtures')

const closers: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ tokens: [TOKEN], ...options })
  closers.push(() => emu.close())
  return emu
}

const visibleLog = (step: StepResult): string =>
  `${step.stdout}\n${step.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

interface EmulatedRun {
  id: number
  recording: boolean
}

/** The emulator's runs, as its control endpoint shows them (GET /__emulator/state). */
async function emulatedRuns(emu: Emulator): Promise<EmulatedRun[]> {
  const res = await fetch(`${emu.apiUrl}/__emulator/state`)
  return ((await res.json()) as { body: { runs: EmulatedRun[] } }).body.runs
}

/** The ids of the emulator's runs that are still recording. */
const recordingsLeftOn = async (emu: Emulator): Promise<number[]> =>
  (await emulatedRuns(emu)).filter((r) => r.recording).map((r) => r.id)

const until = async (what: () => boolean, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Sends `signal` once the step's log says `text` (or once `when` holds, polled). */
function signalWhen(
  signal: NodeJS.Signals,
  trigger: { text?: string; when?: () => boolean }
): { onSpawn: StepOptions['onSpawn']; sentAt: () => number } {
  let sentAt = 0
  return {
    sentAt: () => sentAt,
    onSpawn: (child) => {
      const send = (): void => {
        if (sentAt !== 0) return
        sentAt = Date.now()
        child.kill(signal)
      }
      if (trigger.text !== undefined) {
        const text = trigger.text
        child.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes(text)) send()
        })
      }
      if (trigger.when !== undefined) {
        const when = trigger.when
        const timer = setInterval(() => {
          if (when()) {
            clearInterval(timer)
            send()
          }
        }, 10)
        child.on('close', () => clearInterval(timer))
      }
    }
  }
}

describe('the stop is always asked (issue 21, road 11)', () => {
  const hostile = [
    ['hang (accepted, never answered)', { hang: true }],
    ['trickle one byte a second', { trickleMs: 1_000 }]
  ] as const

  it.each(hostile)(
    'status requests that %s: a stop step with wait-timeout 10s ends as timeout within a request deadline, its recording stopped',
    async (_, fault) => {
      // The emulator's clock stands still: the run, once stopped, goes on testing beyond the wait.
      let now = 1_700_000_000_000
      const emu = await emulator({ clock: () => now })
      const run = emu.model.createTestRun(TOKEN, { name: 'held', inactivity_timeout: 86400 })
      now += 60_000
      for (const q of ['a', 'b', 'c'])
        emu.model.recordBaseline(TOKEN, { method: 'GET', url: `http://app/p?q=${q}`, headers: {}, body: '' })
      emu.injectFault({ method: 'GET', path: /^\/v1\/test_run\/\d+$/, count: 1_000, ...fault })
      const started = Date.now()
      const step = await runStep({
        inputs: {
          mode: 'stop',
          token: TOKEN,
          'api-host': emu.apiUrl,
          'test-run-id': String(run.id),
          'wait-timeout': '10s',
          'stop-grace-period': '0s'
        }
      })
      const log = visibleLog(step)
      expect(step.outputs.conclusion, log).toBe('timeout')
      expect(emu.requests.filter((r) => r.path === `/v1/test_run/${run.id}/action/stop`)).toHaveLength(1)
      expect(emu.model.getTestRun(TOKEN, run.id).recording).toBe(false)
      expect(await recordingsLeftOn(emu)).toEqual([])
      expect(log).toMatch(
        /::warning::.*could not tell whether the recording of test run \d+ had already ended/
      )
      // The read before the stop, the wait (10 s), and one request deadline (30 s) at most.
      expect(Date.now() - started).toBeLessThan(10_000 + 10_000 + 30_000)
    },
    120_000
  )
})

describe('a recording is noted before anything else that can fail (issue 22, road 1)', () => {
  it('GITHUB_OUTPUT cannot be written: the recording is handed to the post step, the error names the run', async () => {
    const emu = await emulator()
    const broken = mkdtempSync(join(tmpdir(), 'fast-unwritable-'))
    const inputs = { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl }
    // A folder where the file should be: every write to it fails, as on a full disk.
    const record = await runStep({ inputs, env: { GITHUB_OUTPUT: broken } })
    const runs = (await emulatedRuns(emu)).map((r) => r.id)
    expect(runs).toHaveLength(1)
    const runId = String(runs[0])
    expect(record.exitCode).toBe(1)
    expect(record.state['recording-test-run-id']).toBe(runId)
    const log = visibleLog(record)
    expect(log).toMatch(new RegExp(`::error::.*output.*test run ${runId}`, 'i'))
    const post = await runPostStep(record, { inputs })
    expect(visibleLog(post)).toContain(`Stopped the recording of test run ${runId}`)
    expect(await recordingsLeftOn(emu)).toEqual([])
  })
})

describe('GITHUB_STATE cannot be written (issue 22, road 8)', () => {
  it('the outputs are still completed, and a warning says what the post step cannot do', async () => {
    const emu = await emulator()
    const run = emu.model.createTestRun(TOKEN, { name: 'done' })
    emu.model.stopRecording(TOKEN, run.id)
    const broken = mkdtempSync(join(tmpdir(), 'fast-unwritable-'))
    const step = await runStep({
      inputs: {
        mode: 'wait',
        token: TOKEN,
        'api-host': emu.apiUrl,
        'test-run-id': String(run.id),
        'wait-timeout': '1m'
      },
      env: { GITHUB_STATE: broken }
    })
    expect(step.outputs['test-run-id']).toBe(String(run.id))
    expect(step.outputs.conclusion).toMatch(/^[a-z]+$/)
    expect(Object.keys(step.outputs)).toContain('report-path')
  })

  it('record mode: no recording is started that could not be handed to the post step', async () => {
    const emu = await emulator()
    const broken = mkdtempSync(join(tmpdir(), 'fast-unwritable-'))
    const step = await runStep({
      inputs: { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl },
      env: { GITHUB_STATE: broken }
    })
    expect(step.exitCode).toBe(1)
    expect(step.outputs.conclusion).toBe('error')
    expect(visibleLog(step)).toMatch(/::error::.*\(GITHUB_STATE\) cannot be written.*no recording is started/)
    expect(emu.requests.filter((r) => r.path === '/v1/test_run')).toEqual([])
    expect(await recordingsLeftOn(emu)).toEqual([])
  })
})

describe('the post step knows it is the post step (issue 22, road 7)', () => {
  it('with no state (main could not write it), it starts nothing', async () => {
    const emu = await emulator()
    const post = await runStep({
      entry: 'post',
      inputs: { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl }
    })
    expect(post.exitCode, visibleLog(post)).toBe(0)
    expect(emu.requests).toEqual([])
    expect(await recordingsLeftOn(emu)).toEqual([])
  })
})

describe('a cancel ends the create (issue 22, road 2)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'a create failing with 503, cancelled (%s) in its backoff: no attempt after the cancel, nothing left recording',
    async (signal) => {
      const emu = await emulator()
      emu.injectFault({ method: 'POST', path: '/v1/test_run', status: 503, count: 100 })
      let createsAtCancel = -1
      const creates = (): number => emu.requests.filter((r) => r.path === '/v1/test_run').length
      const cancel = signalWhen(signal, { text: 'Trying again in' })
      const step = await runStep({
        inputs: { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl },
        onSpawn: (child) => {
          cancel.onSpawn?.(child)
          child.stdout?.on('data', () => {
            if (cancel.sentAt() !== 0 && createsAtCancel < 0) createsAtCancel = creates()
          })
        }
      })
      expect(cancel.sentAt()).toBeGreaterThan(0)
      expect(step.exitCode).toBe(1)
      // The runner sends SIGTERM 7.5 s after SIGINT, and kills 2.5 s later.
      expect(Date.now() - cancel.sentAt()).toBeLessThan(7_500)
      expect(creates()).toBe(createsAtCancel)
      expect(visibleLog(step)).toContain('The job was cancelled.')
      expect(await recordingsLeftOn(emu)).toEqual([])
    },
    60_000
  )

  it('a create in flight at the cancel whose answer comes soon: the run is learned and its recording stopped', async () => {
    const emu = await emulator({ readyDelayMs: 3_600_000 })
    emu.injectFault({ method: 'POST', path: '/v1/test_run', delayMs: 800 })
    const cancel = signalWhen('SIGTERM', { when: () => emu.requests.some((r) => r.path === '/v1/test_run') })
    const step = await runStep({
      inputs: { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl, name: 'cancelled-create' },
      onSpawn: cancel.onSpawn
    })
    expect(cancel.sentAt()).toBeGreaterThan(0)
    const runs = (await emulatedRuns(emu)).map((r) => r.id)
    expect(runs).toHaveLength(1)
    expect(step.outputs['test-run-id']).toBe(String(runs[0]))
    expect(visibleLog(step)).toContain(`Cancelled: stopped the recording of test run ${runs[0]}`)
    expect(await recordingsLeftOn(emu)).toEqual([])
  })

  it('a create in flight at the cancel that never answers: the step names the run a person must look for', async () => {
    const emu = await emulator({ readyDelayMs: 3_600_000 })
    emu.injectFault({ method: 'POST', path: '/v1/test_run', hang: true })
    const cancel = signalWhen('SIGTERM', { when: () => emu.requests.some((r) => r.path === '/v1/test_run') })
    const step = await runStep({
      inputs: { mode: 'record', token: TOKEN, 'api-host': emu.apiUrl, name: 'lost-create-7' },
      onSpawn: cancel.onSpawn
    })
    expect(cancel.sentAt()).toBeGreaterThan(0)
    expect(Date.now() - cancel.sentAt()).toBeLessThan(7_500)
    expect(step.exitCode).toBe(1)
    expect(visibleLog(step)).toMatch(/::warning::.*test run named "lost-create-7" may have been created/)
  })
})

describe('scan mode: the stop first, the run kept when the node dies (issue 22, roads 3 and 8)', () => {
  /**
   * A free port that forwards to the emulator's node once the stand-in docker "ran" the container (its
   * calls file says `run`): free before, as the step's preflight checks.
   */
  async function nodePort(emu: Emulator, calls: string): Promise<number> {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r))
    const target = new URL(emu.proxyUrl)
    const forwarder = net.createServer((c) => {
      const up = net.connect(Number(target.port), '127.0.0.1')
      c.pipe(up).pipe(c)
      c.on('error', () => up.destroy())
      up.on('error', () => c.destroy())
    })
    const timer = setInterval(() => {
      if (!/\trun /.test(readFileSync(calls, 'utf8'))) return
      clearInterval(timer)
      forwarder.listen(port, '127.0.0.1')
    }, 10)
    closers.push(() => {
      clearInterval(timer)
      return new Promise((r) => forwarder.close(r))
    })
    return port
  }

  async function dockerScan(
    emu: Emulator,
    inputs: Record<string, string>,
    options: StepOptions & { mode?: string; dir?: string } = {}
  ): Promise<{ step: StepResult; dir: string }> {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fast-lifecycle-docker-'))
    writeFileSync(join(dir, 'calls'), '')
    const port = await nodePort(emu, join(dir, 'calls'))
    const step = await runStep({
      ...options,
      env: {
        PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH}`,
        FAKE_DOCKER_LOG: join(dir, 'calls'),
        FAKE_DOCKER_MODE: options.mode ?? 'dies-on-cue',
        FAKE_DOCKER_DIE_FILE: join(dir, 'die'),
        // The node's port is forwarded by this process (nodePort): the container's process, for the
        // readiness check that no one else holds the port.
        FAKE_DOCKER_NODE_PID: String(process.pid),
        ...options.env
      },
      inputs: {
        mode: 'scan',
        token: TOKEN,
        'api-host': emu.apiUrl,
        'console-url': 'https://us1.my.wallarm.com',
        'proxy-port': String(port),
        target: 'http://127.0.0.1:9',
        'stop-grace-period': '0s',
        'inactivity-timeout': '86400',
        run: 'true',
        ...inputs
      }
    })
    return { step, dir }
  }

  const expectRunKept = (step: StepResult, runId: string): void => {
    const log = visibleLog(step)
    expect(step.outputs.conclusion, log).toBe('error')
    expect(step.outputs['test-run-id']).toBe(runId)
    expect(step.outputs['report-path']).toMatch(new RegExp(`wallarm-fast-${runId}\\.json$`))
    const report = JSON.parse(readFileSync(step.outputs['report-path']!, 'utf8')) as { reason: string }
    expect(JSON.stringify(report)).toContain(runId)
    expect(step.outputs['node-log-path']).toMatch(/\.log$/)
    expect(report.reason).toContain(step.outputs['node-log-path']!)
    expect(step.outputs['junit-path'], log).toMatch(/\.junit\.xml$/)
    expect(readFileSync(step.outputs['junit-path']!, 'utf8')).toContain(runId)
    expect(step.summary).toContain(`/testing/testruns/${runId}`)
  }

  it('the node dies during the stop: the stop still goes through, and the report keeps the run', async () => {
    const emu = await emulator({ timeScale: 0.02 })
    emu.injectFault({ method: 'POST', path: /\/action\/stop$/, delayMs: 2_500 })
    const dir = mkdtempSync(join(tmpdir(), 'fast-lifecycle-docker-'))
    const pending = dockerScan(emu, {}, { dir })
    // The node dies while the stop is on its way.
    await until(() => emu.requests.some((r) => r.path.endsWith('/action/stop')), 60_000)
    writeFileSync(join(dir, 'die'), '')
    const { step } = await pending
    const runId = String((await emulatedRuns(emu))[0]!.id)
    expectRunKept(step, runId)
    expect(await recordingsLeftOn(emu)).toEqual([])
  })

  it('the node dies during the wait: the report, the summary and JUnit keep the run', async () => {
    const emu = await emulator({ timeScale: 0.02 })
    const dir = mkdtempSync(join(tmpdir(), 'fast-lifecycle-docker-'))
    // A request through the node: a baseline to test, so the run goes on after the stop.
    const target = emu.apiUrl
    const pending = dockerScan(emu, { target, run: `curl -s -o /dev/null "${target}/shop?q=1"` }, { dir })
    // Once stopped, the run's status reads are slow, and the node dies meanwhile.
    await until(() => emu.requests.some((r) => r.path.endsWith('/action/stop')), 60_000)
    emu.injectFault({ method: 'GET', path: /^\/v1\/test_run\/\d+$/, delayMs: 1_500, count: 100 })
    await new Promise((r) => setTimeout(r, 300))
    writeFileSync(join(dir, 'die'), '')
    const { step } = await pending
    const runId = String((await emulatedRuns(emu))[0]!.id)
    expectRunKept(step, runId)
    expect(await recordingsLeftOn(emu)).toEqual([])
  })

  it('a cancel during the tests: the recording is stopped before processes end and the container goes', async () => {
    const emu = await emulator({ timeScale: 0.02 })
    const cancel = signalWhen('SIGTERM', { text: 'tests are running' })
    const { step, dir } = await dockerScan(
      emu,
      { run: 'echo "tests are $(echo running)"; sleep 1 & sleep 60' },
      { mode: 'ok', onSpawn: cancel.onSpawn }
    )
    expect(cancel.sentAt()).toBeGreaterThan(0)
    const log = visibleLog(step)
    const runId = step.outputs['test-run-id']!
    const stopped = log.indexOf(`stopped the recording of test run ${runId}`)
    expect(stopped, log).toBeGreaterThan(0)
    expect(stopped).toBeLessThan(log.indexOf("The FAST node's log, last lines"))
    const calls = readFileSync(join(dir, 'calls'), 'utf8')
    expect(calls).toMatch(/\trm --force wallarm-fast-/)
    expect(await recordingsLeftOn(emu)).toEqual([])
  })

  it('RUNNER_TEMP names a folder that does not exist: node-log-path empty, with a warning', async () => {
    const emu = await emulator({ timeScale: 0.02 })
    const missing = join(tmpdir(), `fast-no-such-temp-${process.pid}-${Date.now()}`)
    const { step } = await dockerScan(emu, { run: 'true' }, { mode: 'ok', env: { RUNNER_TEMP: missing } })
    expect(step.outputs['node-log-path'], visibleLog(step)).toBe('')
    expect(visibleLog(step)).toMatch(/::warning::.*node's log/i)
  })
})
