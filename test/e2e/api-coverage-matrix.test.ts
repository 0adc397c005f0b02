/**
 * Issue 23 across runs and legs, the bundled action as the runner runs it, against the emulator:
 * - a matrix: two scan legs with the sample app and its spec (sample-app/openapi.yaml), each reaching a
 *   different part of the API; summarize unions their coverage, and min-coverage on the union decides
 *   (`inconclusive` below it, `passed` at it), where neither leg alone would reach it;
 * - the baseline across runs: run 1 writes baseline-path with the spec's template, it is committed, and
 *   run 2, which finds the same weakness at another user, reads it as known.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { startTarget, viaProxy, type Target } from '../emulator/helpers.js'
import { emulatedStep } from './emulated-step.js'
import { node24Path, runStep, type StepResult } from './harness.js'
import { visibleLog } from './scenarios.js'

const SPEC = resolve(import.meta.dirname, '..', '..', 'sample-app', 'openapi.yaml')

describe('API coverage across a matrix: the legs’ union, gated by min-coverage', () => {
  let app: SampleApp
  let node24: string
  let emu: Emulator
  const token = 'fast-cov-matrix-s3cr3t'
  let workspace: string

  /**
   * One scan leg through the node, the spec given, sending `paths` to the sample app. One node token runs
   * one test run at a time: the legs one after another, as a concurrency group does.
   */
  async function leg(name: string, paths: string[]): Promise<StepResult> {
    const run = paths.map((p) => `curl -sSf "$TARGET${p}" >/dev/null`).join('\n')
    const step = await runStep({
      node: node24,
      env: { PATH: `${dirname(node24)}:${process.env.PATH}`, TARGET: app.url, GITHUB_WORKSPACE: workspace },
      inputs: {
        mode: 'scan',
        name,
        token,
        'api-host': emu.apiUrl,
        'node-url': emu.proxyUrl,
        target: app.url,
        run,
        openapi: 'api/openapi.yaml',
        'stop-grace-period': '0s',
        'inactivity-timeout': '86400'
      }
    })
    expect(step.exitCode, visibleLog(step)).toBe(0)
    return step
  }

  const summarize = (inputs: Record<string, string>): Promise<StepResult> =>
    runStep({
      node: node24,
      inputs: { mode: 'summarize', reports: 'reports/**/*.json', openapi: 'api/openapi.yaml', ...inputs },
      env: { GITHUB_WORKSPACE: workspace, GITHUB_JOB: 'summary' }
    })

  beforeAll(async () => {
    node24 = node24Path()
    app = await startSampleApp()
    emu = await startEmulator({ tokens: [token], timeScale: 0.02, vulnRule: () => null })
    workspace = mkdtempSync(join(tmpdir(), 'fast-cov-matrix-'))
    mkdirSync(join(workspace, 'api'))
    copyFileSync(SPEC, join(workspace, 'api/openapi.yaml'))
  }, 300_000)
  afterAll(async () => {
    await emu?.close()
    await app?.close()
  })

  it('each leg’s report carries its coverage; summarize unions it and min-coverage applies to the union', async () => {
    // 7 operations count (GET /api/echo is deprecated): each leg reaches 2, the two together 4.
    const chrome = await leg('chrome', ['/api/products/1', '/'])
    const firefox = await leg('firefox', ['/api/products', '/greet?name=ada'])
    for (const [name, step] of [
      ['chrome', chrome],
      ['firefox', firefox]
    ] as const) {
      expect(step.outputs).toMatchObject({ operations: '7', 'operations-tested': '2' })
      const report = JSON.parse(readFileSync(step.outputs['report-path']!, 'utf8')) as {
        schemaVersion: number
        coverage: { tested: number; operations: number } | null
      }
      expect(report.schemaVersion).toBe(4)
      expect(report.coverage).toMatchObject({ tested: 2, operations: 7 })
      mkdirSync(join(workspace, 'reports', name), { recursive: true })
      copyFileSync(step.outputs['report-path']!, join(workspace, 'reports', name, 'report.json'))
    }

    const below = await summarize({ 'min-coverage': '60', 'expected-legs': 'chrome, firefox' })
    expect(below.exitCode, visibleLog(below)).toBe(1)
    expect(below.outputs).toMatchObject({
      conclusion: 'inconclusive',
      operations: '7',
      'operations-tested': '4'
    })
    const reason = (JSON.parse(readFileSync(below.outputs['report-path']!, 'utf8')) as { reason: string })
      .reason
    expect(reason).toContain('4 of 7 operations tested (57.1%), below min-coverage 60%')
    expect(reason).toMatch(/Never attacked: [^\n]*GET \/hello/)

    const at = await summarize({ 'min-coverage': '50', 'expected-legs': 'chrome, firefox' })
    expect(at.exitCode, visibleLog(at)).toBe(0)
    expect(at.outputs).toMatchObject({ conclusion: 'passed', operations: '7', 'operations-tested': '4' })
    const matrix = JSON.parse(readFileSync(at.outputs['report-path']!, 'utf8')) as {
      coverage: { tested: number; rows: Array<{ template: string; status: string }> }
    }
    expect(matrix.coverage.tested).toBe(4)
    expect(
      matrix.coverage.rows
        .filter((r) => r.status === 'tested')
        .map((r) => r.template)
        .sort()
    ).toEqual(['/', '/api/products', '/api/products/{id}', '/greet'])
  })
})

const TOKEN = 'fast-node-token-spec-identity-s3cr3t'
const USERS_SPEC = [
  'openapi: 3.0.3',
  'info: { title: users, version: "1" }',
  'paths:',
  '  /t/users/{userId}:',
  "    get: { responses: { '200': { description: ok } } }"
].join('\n')

describe('the baseline across runs with the spec’s template', () => {
  let emu: Emulator
  let target: Target

  beforeAll(async () => {
    emu = await startEmulator({
      tokens: [TOKEN],
      timeScale: 0.02,
      vulnRule: (r) =>
        r.path.startsWith('/t/users/') ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' } : null
    })
    target = await startTarget()
  }, 120_000)
  afterAll(async () => {
    await emu?.close()
    await target?.close()
  })

  /** A recorded, stopped and waited run of the requests to `user`, in workspace `ws`, with the spec. */
  async function runOver(user: string, ws: string, inputs: Record<string, string> = {}): Promise<StepResult> {
    const rec = await emulatedStep(emu, TOKEN, { mode: 'record' })
    expect(rec.exitCode, visibleLog(rec)).toBe(0)
    const proxy = emu.proxyUrls[TOKEN]!
    expect((await viaProxy(proxy, `${target.url}/t/users/${user}?q=1`)).status).toBeLessThan(300)
    return emulatedStep(
      emu,
      TOKEN,
      { mode: 'stop', openapi: 'api/users.yaml', 'fail-on': 'new-vulnerabilities', ...inputs },
      { env: { ...rec.exported, GITHUB_WORKSPACE: ws } }
    )
  }

  const workspaceWith = (baseline?: string): string => {
    const ws = mkdtempSync(join(tmpdir(), 'fast-spec-baseline-'))
    mkdirSync(join(ws, 'api'))
    mkdirSync(join(ws, '.github'))
    writeFileSync(join(ws, 'api/users.yaml'), USERS_SPEC)
    if (baseline !== undefined) writeFileSync(join(ws, '.github/wallarm-fast-baseline.json'), baseline)
    return ws
  }

  it('run 1 writes the spec’s template into baseline-path; committed, run 2 finds the same weakness at another user known', async () => {
    const run1 = await runOver('alice', workspaceWith())
    expect(run1.exitCode, visibleLog(run1)).toBe(1)
    expect(run1.outputs).toMatchObject({ conclusion: 'failed', 'new-vulnerabilities': '1' })
    const merged = readFileSync(run1.outputs['baseline-path']!, 'utf8')
    const entries = (JSON.parse(merged) as { entries: Array<{ path: string }> }).entries
    expect(entries.map((e) => e.path)).toEqual(['/t/users/{userId}'])
    const report = JSON.parse(readFileSync(run1.outputs['report-path']!, 'utf8')) as {
      findings: Array<{ path: string; pathTemplate?: string }>
    }
    expect(report.findings).toEqual([
      expect.objectContaining({ path: '/t/users/alice', pathTemplate: '/t/users/{userId}' })
    ])

    // Committed: bob is not alice, but the same operation, so the same finding, known.
    const run2 = await runOver('bob', workspaceWith(merged))
    expect(run2.exitCode, visibleLog(run2)).toBe(0)
    expect(run2.outputs).toMatchObject({
      conclusion: 'passed',
      'new-vulnerabilities': '0',
      vulnerabilities: '0'
    })
    expect(run2.summary).toContain('1 known')
  })
})
