/**
 * Issue 23 in one scan, the bundled action as the runner runs it (Node 24), the sample app and its spec
 * (sample-app/openapi.yaml) through the emulator's node:
 * - the coverage rows, in the job summary's "### API coverage" section and the JSON report's `coverage`:
 *   GET /hello (never sent) first as never attacked, the deprecated GET /api/echo apart, GET /files (sent,
 *   undocumented) "not in the spec"; the outputs `operations` and `operations-tested`;
 * - `min-coverage` above the reached ratio makes the run `inconclusive` (the reason names the ratio and the
 *   untested operation), at or below it `passed`: the node finds nothing in what these tests send.
 * The SARIF location at the operation's method key is test/e2e/scan-sarif-openapi.test.ts.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { node24Path, type StepResult } from './harness.js'
import { scanWithSpec, SPEC } from './openapi-scan.js'
import { visibleLog } from './scenarios.js'

const TOKEN = 'fast-api-coverage-scan-s3cr3t'

/** Every operation of the spec but GET /hello, the deprecated GET /api/echo, and the undocumented GET /files. */
const TESTS = [
  'curl -sSf "$TARGET/" >/dev/null',
  'curl -sSf "$TARGET/api/products" >/dev/null',
  'curl -sSf "$TARGET/api/products/1" >/dev/null',
  `curl -sSf "$TARGET${INJECTABLE_PATH}?q=tea" >/dev/null`,
  `curl -sSf -X POST -H 'content-type: application/json' -d '{"id":1}' "$TARGET/api/cart" >/dev/null`,
  'curl -sSf "$TARGET/greet?name=ada" >/dev/null',
  'curl -sSf "$TARGET/api/echo?text=hi" >/dev/null',
  'curl -sSf "$TARGET/files?name=terms.txt" >/dev/null'
].join('\n')

interface Row {
  method: string
  template: string
  operationId?: string
  requests: number
  status: string
}
interface Report {
  conclusion: string
  reason: string
  coverage: {
    operations: number
    tested: number
    rows: Row[]
    apart: Row[]
    notInSpec: Array<{ method: string; path: string; requests: number }>
  } | null
}

describe('scan mode with openapi and min-coverage: the sample app’s coverage, the bundled action on Node 24', () => {
  let app: SampleApp
  let emu: Emulator
  let node24: string

  beforeAll(async () => {
    node24 = node24Path()
    app = await startSampleApp()
    // The node finds nothing: what decides the conclusion here is coverage alone.
    emu = await startEmulator({ tokens: [TOKEN], timeScale: 0.02, vulnRule: () => null })
  }, 300_000)
  afterAll(async () => {
    await emu?.close()
    await app?.close()
  })

  const scan = (minCoverage: string): Promise<StepResult> =>
    scanWithSpec({ node24, app, emu, token: TOKEN }, TESTS, {
      'min-coverage': minCoverage,
      sarif: 'false'
    })
  const reportOf = (step: StepResult): Report =>
    JSON.parse(readFileSync(step.outputs['report-path']!, 'utf8')) as Report

  it('below min-coverage: inconclusive, naming the ratio and GET /hello; the rows in the summary and the JSON report', async () => {
    const step = await scan('90')
    expect(step.exitCode, visibleLog(step)).toBe(1)
    expect(step.outputs).toMatchObject({
      conclusion: 'inconclusive',
      vulnerabilities: '0',
      operations: '7',
      'operations-tested': '6'
    })
    const report = reportOf(step)
    expect(report.reason).toContain('6 of 7 operations tested (85.7%), below min-coverage 90%')
    expect(report.reason).toMatch(/Never attacked: GET \/hello\b/)

    // The JSON report: GET /hello first, never sent; the deprecated echo apart; GET /files not in the spec.
    const coverage = report.coverage!
    expect(coverage).toMatchObject({ operations: 7, tested: 6 })
    expect(coverage.rows[0]).toMatchObject({
      method: 'GET',
      template: '/hello',
      operationId: 'hello',
      requests: 0,
      status: 'never-sent'
    })
    expect(coverage.rows.slice(1).map((r) => [r.template, r.status])).toEqual(
      expect.arrayContaining([
        ['/', 'tested'],
        ['/api/products', 'tested'],
        ['/api/products/{id}', 'tested'],
        [INJECTABLE_PATH, 'tested'],
        ['/api/cart', 'tested'],
        ['/greet', 'tested']
      ])
    )
    expect(coverage.rows).toHaveLength(7)
    expect(coverage.apart).toEqual([
      expect.objectContaining({ method: 'GET', template: '/api/echo', operationId: 'echo', requests: 1 })
    ])
    expect(coverage.notInSpec).toEqual([
      expect.objectContaining({ method: 'GET', path: '/files', requests: 1 })
    ])

    // The job summary's section, as the rows read there.
    const section = step.summary.slice(step.summary.indexOf('### API coverage'))
    expect(section).toContain(`6 of 7 operations tested (85.7%) of \`${SPEC}\``)
    const never = section.slice(section.indexOf('Never attacked (1):'))
    expect(never).toMatch(
      /^Never attacked \(1\):\n\n\| Operation .*\n\| --- .*\n\| `GET \/hello` \| `hello` \| 0 \| 0 \| 0 \| never sent \|/
    )
    expect(section).toMatch(/\| `GET \/api\/products\/\{id\}` \| `getProduct` \| 1 \| \d+ \| 0 \| tested \|/)
    expect(section).toMatch(/1 deprecated or excluded operation \(not counted\)/)
    expect(section).toMatch(/\| `GET \/api\/echo` \| `echo` \| 1 \| \d+ \| 0 \| deprecated \|/)
    expect(section).toMatch(/1 request path not in the spec/)
    expect(section).toMatch(/\| `GET \/files` \| 1 \| \d+ \| 0 \|/)
  })

  it('at or below min-coverage: passed, with the same counts', async () => {
    const step = await scan('85')
    expect(step.exitCode, visibleLog(step)).toBe(0)
    expect(step.outputs).toMatchObject({
      conclusion: 'passed',
      vulnerabilities: '0',
      operations: '7',
      'operations-tested': '6'
    })
    expect(reportOf(step).coverage).toMatchObject({ operations: 7, tested: 6 })
  })
})
