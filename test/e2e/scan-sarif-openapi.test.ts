/**
 * scan mode with `openapi`, through the bundled action on Node 24: the sample app's flaw, found by the
 * emulator's node, is put in code scanning at its operation's method key in sample-app/openapi.yaml.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Log } from 'sarif'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { node24Path } from './harness.js'
import { REPO, scanWithSpec, SPEC } from './openapi-scan.js'

const TOKEN = 'fast-scan-sarif-openapi-s3cr3t'

/** The 1-based line of `    get:` under the path item `  <template>:` of the sample app's spec. */
function methodKeyLine(template: string): number {
  const lines = readFileSync(join(REPO, SPEC), 'utf8').split('\n')
  const item = lines.indexOf(`  ${template}:`)
  expect(item).toBeGreaterThan(0)
  return lines.indexOf('    get:', item) + 1
}

describe('scan mode with openapi: SARIF at the operation, the bundled action on Node 24', () => {
  let app: SampleApp
  let emu: Emulator
  let node24: string

  beforeAll(async () => {
    node24 = node24Path()
    app = await startSampleApp()
    emu = await startEmulator({
      tokens: [TOKEN],
      timeScale: 0.02,
      vulnRule: (r) =>
        r.path === INJECTABLE_PATH ? { type: 'sqli', threat: 80, code: 'S0001', parameter: 'q' } : null
    })
  }, 300_000)
  afterAll(async () => {
    await emu?.close()
    await app?.close()
  })

  it('a finding of GET /api/search sits at the line of its get: key, named searchProducts', async () => {
    const step = await scanWithSpec(
      { node24, app, emu, token: TOKEN },
      [
        'curl -sSf "$TARGET/api/products/1" >/dev/null',
        `curl -sSf "$TARGET${INJECTABLE_PATH}?q=tea" >/dev/null`
      ].join('\n')
    )
    expect(step.outputs, `${step.stdout}\n${step.stderr}`).toMatchObject({
      conclusion: 'failed',
      vulnerabilities: '1'
    })
    const log = JSON.parse(readFileSync(step.outputs['sarif-path']!, 'utf8')) as Log
    const [result] = log.runs[0]?.results ?? []
    const location = result?.locations?.[0]
    expect(location?.physicalLocation).toEqual({
      artifactLocation: { uri: SPEC, uriBaseId: '%SRCROOT%' },
      region: { startLine: methodKeyLine(INJECTABLE_PATH) }
    })
    expect(location?.logicalLocations?.[0]?.name).toBe('searchProducts')
    expect(result?.message.text).toContain(`in GET ${INJECTABLE_PATH}, parameter q`)
    expect(readFileSync(step.outputs['sarif-path']!, 'utf8')).not.toContain(TOKEN)
  })
})
