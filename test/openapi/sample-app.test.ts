import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  computeCoverage,
  createMatcher,
  loadApiDescription,
  type SentRequest
} from '../../src/openapi/index.js'
import { INJECTABLE_PATH, startSampleApp, type SampleApp } from '../../sample-app/server.js'

const ROOT = join(import.meta.dirname, '..', '..')
const api = loadApiDescription({ file: 'sample-app/openapi.yaml', workspace: ROOT })
const matcher = createMatcher(api.operations)

/** What the demo's tests send to the shop, read from the demo's sources (its test cases and its run: commands). */
function demoRequests(): SentRequest[] {
  const sources = ['scripts/demo.ts', 'scripts/demo/existing-tests.ts'].map((f) =>
    readFileSync(join(ROOT, f), 'utf8').replaceAll('${INJECTABLE_PATH}', INJECTABLE_PATH)
  )
  const out: SentRequest[] = []
  for (const text of sources) {
    for (const m of text.matchAll(/method: '([A-Z]+)',\s*path: '([^']+)'/g)) {
      // A fault the demo injects into the emulated Wallarm API names a method and path too: not the shop's.
      if (text.slice(Math.max(0, m.index - 20), m.index).includes('injectFault(')) continue
      out.push({ method: m[1]!, path: m[2]!, count: 1, recorded: true })
    }
    // A run: command's curl, GET unless its line says `-X METHOD`.
    for (const m of text.matchAll(/^.*?(?:-X ([A-Z]+)\b.*?)?\$\{app\.url\}(\/[^'"\s`]*)/gm)) {
      out.push({ method: m[1] ?? 'GET', path: m[2]!, count: 1, recorded: true })
    }
  }
  return out
}

describe("the sample app's API description (sample-app/openapi.yaml)", () => {
  let app: SampleApp
  beforeAll(async () => {
    app = await startSampleApp()
  })
  afterAll(() => app.close())

  it('describes routes the app serves, with the method it serves them by', async () => {
    for (const op of api.operations) {
      const path = op.template.replace(/\{[^}]+\}/g, '1')
      const res = await fetch(`${app.url}${path}`, {
        method: op.method,
        ...(op.method === 'POST' ? { body: '{}' } : {})
      })
      await res.arrayBuffer()
      expect(res.status, `${op.method} ${path}`).toBeLessThan(400)
    }
  })

  it('leaves out one route the app serves and the demo sends, GET /files: "not in the spec"', async () => {
    const res = await fetch(`${app.url}/files?name=terms.txt`)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect(matcher.match('GET', '/files?name=terms.txt').kind).toBe('none')
    const coverage = computeCoverage({ matcher, spec: api.file, requests: demoRequests() })
    expect(coverage.notInSpec.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /files'])
  })

  it('has one operation the demo’s tests never send, GET /hello, and a deprecated one shown apart', () => {
    const coverage = computeCoverage({ matcher, spec: api.file, requests: demoRequests() })
    expect(
      coverage.rows.filter((r) => r.status !== 'tested').map((r) => `${r.method} ${r.template}`)
    ).toEqual(['GET /hello'])
    expect(coverage.apart.map((r) => `${r.method} ${r.template}`)).toEqual(['GET /api/echo'])
    expect(coverage.tested).toBe(coverage.operations - 1)
  })
})
