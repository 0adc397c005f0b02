/**
 * The bundled action (dist/index.js, run as the runner runs it) against the emulated cloud and a real
 * emulated node that attacks the sample app: what ALLOWED_HOSTS, a dead target, duplicates, a cloud
 * that refuses the test-run stop, and both readings of the ETA do to the action's verdict.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  startEmulator,
  startNode,
  type Emulator,
  type EmulatorOptions,
  type FastNode
} from '../../emulator/index.js'
import { allowedHostsMatcher } from '../../emulator/node/allowed-hosts.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { startOneShotTarget, viaProxy } from '../emulator/helpers.js'
import { runStep, type StepResult } from './harness.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-real-node-token-5ecr3t'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

interface Setup {
  emu: Emulator
  node: FastNode
  app: SampleApp
  nodeLog: string[]
}

async function setup(options: EmulatorOptions = {}, allowedHosts = ''): Promise<Setup> {
  const emu = await startEmulator({ ...options, tokens: [TOKEN], nodes: 'cloud-only' })
  closers.push(() => emu.close())
  const nodeLog: string[] = []
  const node = await startNode(
    {
      token: TOKEN,
      apiBase: emu.apiUrl,
      allowedHosts: allowedHostsMatcher(allowedHosts),
      allowedHostsText: allowedHosts,
      backend: null,
      proxyPort: 0,
      requestTimeoutMs: 2000
    },
    { log: (line) => nodeLog.push(line) }
  )
  closers.push(() => node.close())
  const app = await startSampleApp()
  closers.push(() => app.close())
  return { emu, node, app, nodeLog }
}

function step(
  s: Setup,
  inputs: Record<string, string>,
  env: Record<string, string> = {}
): Promise<StepResult> {
  return runStep({
    inputs: { token: TOKEN, 'api-host': s.emu.apiUrl, 'stop-grace-period': '0s', ...inputs },
    env
  })
}

/** record → the given traffic through the node → stop: the stop step's result. */
async function recordAndStop(s: Setup, traffic: () => Promise<void>): Promise<StepResult> {
  const record = await step(s, { mode: 'record', name: 'real node' })
  expect(record.exitCode, visibleLog(record)).toBe(0)
  await traffic()
  return step(s, { mode: 'stop' }, record.exported)
}

function reportOf(stop: StepResult): { testRun: { baselines: Record<string, number>; state: string } } {
  return JSON.parse(readFileSync(stop.outputs['report-path']!, 'utf8')) as {
    testRun: { baselines: Record<string, number>; state: string }
  }
}

describe('the bundled action with a real node', () => {
  it('fails on the flaws the node found by attacking the app, which received the attacks', async () => {
    const s = await setup()
    const stop = await recordAndStop(s, async () => {
      for (const p of ['/api/search?q=tea', '/greet?name=ann', '/api/products'])
        expect((await viaProxy(s.node.proxyUrl, `${s.app.url}${p}`)).status).toBe(200)
    })
    expect(stop.exitCode, visibleLog(stop)).toBe(1)
    expect(stop.outputs).toMatchObject({
      state: 'failed',
      conclusion: 'failed',
      baselines: '3',
      vulnerabilities: '2'
    })
    const found = (JSON.parse(stop.outputs['vulnerabilities-json']!) as { type: string; path: string }[])
      .map((v) => `${v.type} ${v.path}`)
      .sort()
    expect(found).toEqual(['sqli /api/search', 'xss /greet'])
    expect(s.app.stats().attacks).toBeGreaterThan(0)
  })

  it('ALLOWED_HOSTS: requests to other hosts are proxied but not recorded, and the summary says why', async () => {
    const s = await setup({}, 'localhost')
    const stop = await recordAndStop(s, async () => {
      expect((await viaProxy(s.node.proxyUrl, `${s.app.url}/api/products`)).status).toBe(200)
    })
    expect(stop.outputs).toMatchObject({
      state: 'passed',
      conclusion: 'inconclusive',
      baselines: '0',
      vulnerabilities: '0'
    })
    expect(stop.summary).toMatch(/no baselines/i)
    expect(s.app.stats().attacks).toBe(0)
  })

  it('a dead target ends with technical failures, not a clean pass', async () => {
    const s = await setup()
    const stop = await recordAndStop(s, async () => {
      // The target answers the test's request, and is gone before the node's first test request.
      const dying = await startOneShotTarget()
      expect((await viaProxy(s.node.proxyUrl, `${dying}/api/search?q=tea`)).body).toBe('ok')
    })
    expect(stop.outputs).toMatchObject({ state: 'passed', conclusion: 'inconclusive', vulnerabilities: '0' })
    expect(reportOf(stop).testRun.baselines).toMatchObject({ recorded: 1, technicalFailures: 1, passed: 0 })
    expect(s.nodeLog.some((l) => l.startsWith('[warn] Baseline #1') && l.includes('technical failure'))).toBe(
      true
    )
  })

  it('duplicates are counted as recorded and tested once', async () => {
    const s = await setup()
    const stop = await recordAndStop(s, async () => {
      for (let i = 0; i < 3; i++) await viaProxy(s.node.proxyUrl, `${s.app.url}/api/products`)
    })
    expect(stop.outputs).toMatchObject({ state: 'passed', baselines: '3' })
    expect(reportOf(stop).testRun.baselines).toMatchObject({ recorded: 3, checked: 1, passed: 1 })
    expect(s.app.stats().by_path['/api/products']!.requests).toBe(3 + 1) // the tests, and one replay
  })

  it('a cloud that refuses the test-run stop: the action stops by record and says so once', async () => {
    const s = await setup({ refuseTestRunStop: 405 })
    const stop = await recordAndStop(s, async () => {
      await viaProxy(s.node.proxyUrl, `${s.app.url}/api/search?q=tea`)
    })
    expect(stop.exitCode, visibleLog(stop)).toBe(1)
    expect(stop.outputs).toMatchObject({ state: 'failed', vulnerabilities: '1' })
    const log = visibleLog(stop)
    expect(log.match(/stopping by test record instead/g)).toHaveLength(1)
    const stops = s.emu.requests
      .filter((r) => /\/action\/stop$/.test(r.path))
      .map((r) => `${r.status} ${r.path}`)
    expect(stops).toEqual([
      expect.stringMatching(/^405 \/v1\/test_run\/\d+\/action\/stop$/),
      expect.stringMatching(/^200 \/v1\/test_record\/\d+\/action\/stop$/)
    ])
  })

  it.each([
    ['counted', true],
    ['queued', true],
    ['absent', false]
  ] as const)(
    'ETA read as %s: the wait ends with the verdict (an ETA in the progress lines: %s)',
    async (eta, shown) => {
      const s = await setup({ eta, timeScale: 0.02 })
      // rps 10 makes testing last some 7 s, long enough for progress lines with the run's ETA.
      const record = await step(s, { mode: 'record', name: 'eta', rps: '10' })
      expect(record.exitCode, visibleLog(record)).toBe(0)
      for (const q of ['tea', 'cup', 'pot', 'mug'])
        await viaProxy(s.node.proxyUrl, `${s.app.url}/api/search?q=${q}&page=1`)
      const stop = await step(s, { mode: 'stop', 'poll-interval': '1s' }, record.exported)
      expect(stop.exitCode, visibleLog(stop)).toBe(1)
      expect(stop.outputs).toMatchObject({ state: 'failed', baselines: '4' })
      expect(/Test run \d+: .* left/.test(visibleLog(stop)), visibleLog(stop)).toBe(shown)
    }
  )
})
