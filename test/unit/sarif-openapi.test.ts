/**
 * SARIF with `openapi`: a finding that matches an operation sits at the operation's method key in the
 * API description (the file that defines it, where the path item is `$ref`'d), named by its operationId
 * or `METHOD /template`; the others keep the workflow file's line 1; the fingerprints never depend on the
 * line.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Location, Result } from 'sarif'
import { describe, expect, it } from 'vitest'
import { OutputSink } from '../../src/action/outputs.js'
import { Publisher } from '../../src/action/publish.js'
import { readSettings } from '../../src/inputs/settings.js'
import { createMatcher, loadApiDescription, locateFinding } from '../../src/openapi/index.js'
import type { Finding } from '../../src/report/model.js'
import { buildSarif, FINGERPRINT_KEY, type LocateFinding } from '../../src/report/sarif.js'
import { loadTriageRules } from '../../src/triage/load.js'
import { FIXTURES, lineText, workspaceWith } from '../openapi/helpers.js'
import { FakeRunner } from '../support/fake-runner.js'
import { runReport, testRun } from '../support/fixtures.js'
import { sarifValidator } from '../support/sarif-schema.js'

const validate = sarifValidator()
const WORKFLOW = '.github/workflows/ci.yml'

/** The locator the action builds from the `openapi` input (a path relative to `workspace`). */
function locator(file: string, workspace = FIXTURES): LocateFinding {
  const matcher = createMatcher(loadApiDescription({ file, workspace }).operations)
  return (f) => (f.method && f.path ? locateFinding(matcher, f.method, f.path) : undefined)
}

const finding = (method: string, path: string, over: Partial<Finding> = {}): Finding => ({
  id: '7001',
  type: 'sqli',
  threat: 90,
  method,
  domain: 'api.example.com',
  path,
  parameter: 'q',
  ...over
})

/** The results of the SARIF of `findings`, checked against the official schema. */
function results(findings: Finding[], locate?: LocateFinding): Result[] {
  const log = buildSarif(runReport({ findings }), { toolVersion: '1', workflowPath: WORKFLOW, locate })
  expect(validate(JSON.parse(JSON.stringify(log)))).toEqual([])
  return log.runs[0].results ?? []
}

function place(location: Location | undefined) {
  const physical = location?.physicalLocation
  return {
    uri: physical?.artifactLocation?.uri,
    uriBaseId: physical?.artifactLocation?.uriBaseId,
    line: physical?.region?.startLine,
    logical: location?.logicalLocations?.map((l) => l.name)
  }
}

/** The 1-based line of the first line after `after` (a line's text) that is exactly `text`. */
function lineOf(workspace: string, file: string, text: string, after?: string): number {
  const lines = readFileSync(join(workspace, file), 'utf8').split('\n')
  const from = after === undefined ? 0 : lines.indexOf(after)
  expect(from, `${after} in ${file}`).toBeGreaterThanOrEqual(0)
  const i = lines.indexOf(text, from)
  expect(i, `${text} in ${file}`).toBeGreaterThan(from - 1)
  return i + 1
}

describe('SARIF with openapi: a finding at its operation', () => {
  it('split spec: at the method key in the file that defines the $ref’d path item, named by operationId', () => {
    const [user, remove, orders, health] = results(
      [
        finding('GET', '/v1/users/7?q=1'),
        finding('DELETE', '/v1/users/7', { type: 'idor' }),
        finding('GET', '/v1/orders', { type: 'xss' }),
        finding('GET', '/health', { type: 'info' })
      ],
      locator('split/openapi.yaml')
    )
    const users = 'split/paths/users.yaml'
    expect(place(user?.locations?.[0])).toEqual({
      uri: users,
      uriBaseId: '%SRCROOT%',
      line: lineOf(FIXTURES, users, '  get:', 'user:'),
      logical: ['getUser']
    })
    expect(lineText(FIXTURES, users, place(user?.locations?.[0]).line!)).toBe('  get:')
    // No operationId: METHOD /template, the template as the spec writes it.
    expect(place(remove?.locations?.[0])).toEqual({
      uri: users,
      uriBaseId: '%SRCROOT%',
      line: lineOf(FIXTURES, users, '  delete:', 'user:'),
      logical: ['DELETE /users/{id}']
    })
    expect(remove?.locations?.[0]?.logicalLocations?.[0]?.fullyQualifiedName).toBe('DELETE /users/{id}')
    // A whole file as the path item: its first line.
    expect(place(orders?.locations?.[0])).toMatchObject({
      uri: 'split/paths/orders.yaml',
      line: 1,
      logical: ['listOrders']
    })
    expect(place(health?.locations?.[0])).toMatchObject({
      uri: 'split/openapi.yaml',
      line: lineOf(FIXTURES, 'split/openapi.yaml', '    get:', '  /health:'),
      logical: ['health']
    })
  })

  it('Swagger 2.0: basePath is part of the match; a path outside it keeps the workflow file', () => {
    const [item, outside] = results(
      [finding('PUT', '/api/v2/items/42'), finding('PUT', '/items/42', { type: 'xss' })],
      locator('swagger2.yaml')
    )
    expect(place(item?.locations?.[0])).toEqual({
      uri: 'swagger2.yaml',
      uriBaseId: '%SRCROOT%',
      line: lineOf(FIXTURES, 'swagger2.yaml', '    put:', '  /items/{itemId}:'),
      logical: ['updateItem']
    })
    expect(place(outside?.locations?.[0])).toEqual({
      uri: WORKFLOW,
      uriBaseId: '%SRCROOT%',
      line: 1,
      logical: undefined
    })
  })

  it('JSON spec: at the line of the method key', () => {
    const [mine] = results([finding('GET', '/v2/pets/mine')], locator('petstore.json'))
    const line = place(mine?.locations?.[0]).line!
    expect(place(mine?.locations?.[0])).toMatchObject({ uri: 'petstore.json', logical: ['myPets'] })
    expect(lineText(FIXTURES, 'petstore.json', line)).toMatch(/^\s*"get": \{ "operationId": "myPets"/)
    expect(lineText(FIXTURES, 'petstore.json', line - 1)).toContain('"/pets/mine"')
  })

  it('a tie, no operation, or no method and path: today’s location, no logical location', () => {
    const ties = locator('ties.yaml')
    const found = results(
      [
        finding('GET', '/books/me'),
        finding('GET', '/items/5', { type: 'xss' }),
        finding('GET', '/nowhere', { type: 'rce' }),
        { id: '1', type: 'ptrav', threat: 50, code: 'S1' }
      ],
      ties
    )
    expect(found).toHaveLength(4)
    for (const result of found) {
      expect(result.locations).toEqual([
        {
          physicalLocation: {
            artifactLocation: { uri: WORKFLOW, uriBaseId: '%SRCROOT%' },
            region: { startLine: 1 }
          }
        }
      ])
    }
    // The literal segment wins: not a tie.
    const [me] = results([finding('GET', '/users/me')], ties)
    expect(place(me?.locations?.[0])).toMatchObject({ uri: 'ties.yaml', logical: ['me'] })
  })

  it('without openapi, every result stays at line 1 of the workflow file', () => {
    const [user] = results([finding('GET', '/v1/users/7')])
    expect(place(user?.locations?.[0])).toEqual({
      uri: WORKFLOW,
      uriBaseId: '%SRCROOT%',
      line: 1,
      logical: undefined
    })
  })

  it('the message names the endpoint as requested and the parameter', () => {
    const [user] = results(
      [finding('GET', '/v1/users/7', { parameter: 'id' })],
      locator('split/openapi.yaml')
    )
    expect(user?.message.text).toContain('in GET /v1/users/7, parameter id')
  })

  it('an edit of the spec moves the line, never the fingerprints', () => {
    const spec = (padding: string) =>
      [
        'openapi: 3.0.3',
        'info: { title: t, version: "1" }',
        'paths:',
        '  /users/{id}:',
        padding + '    get:',
        '      operationId: getUser',
        '      responses: { "200": { description: ok } }',
        '  /search:',
        '    get:',
        '      responses: { "200": { description: ok } }',
        ''
      ].join('\n')
    const findings = [
      finding('GET', '/users/7', { parameter: 'id' }),
      finding('GET', '/search', { type: 'xss' })
    ]
    const before = results(findings, locator('openapi.yaml', workspaceWith({ 'openapi.yaml': spec('') })))
    const after = results(
      findings,
      locator(
        'openapi.yaml',
        workspaceWith({ 'openapi.yaml': spec('    summary: moved down\n    description: two lines\n') })
      )
    )
    const lines = (rs: Result[]) => rs.map((r) => r.locations?.[0]?.physicalLocation?.region?.startLine)
    expect(lines(before)).toEqual([5, 9])
    expect(lines(after)).toEqual([7, 11])
    expect(after.map((r) => r.partialFingerprints)).toEqual(before.map((r) => r.partialFingerprints))
    // …and they are the fingerprints the finding has without a spec.
    expect(results(findings).map((r) => r.partialFingerprints)).toEqual(
      before.map((r) => r.partialFingerprints)
    )
    const [user, search] = before
    expect(user?.partialFingerprints?.primaryLocationLineHash).not.toBe(
      search?.partialFingerprints?.primaryLocationLineHash
    )
    expect(user?.partialFingerprints?.[FINGERPRINT_KEY]).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('publish with openapi: the SARIF file puts findings at their operation', () => {
  it('in a stop step too (any mode that writes SARIF), from the spec the openapi input names', async () => {
    const runner = new FakeRunner()
    const settings = readSettings(
      (n) => ({ mode: 'stop', token: 't', 'test-run-id': '42', openapi: 'split/openapi.yaml' })[n] ?? '',
      {}
    )
    const rules = loadTriageRules(settings, FIXTURES)
    const env = { RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'publish-sarif-')) }
    const publisher = new Publisher(runner, new OutputSink(runner), settings, env, rules)
    await publisher.publish({
      conclusion: 'failed',
      reason: 'The test run found 1 vulnerability.',
      run: testRun({ state: 'failed' }),
      details: [
        {
          id: '7001',
          type: 'sqli',
          threat: 90,
          method: 'get',
          domain: 'api.example.com',
          path: '/v1/users/7',
          parameter: 'id'
        }
      ],
      warnings: []
    })
    const sarifPath = runner.outputs['sarif-path']
    expect(sarifPath).toBeTruthy()
    const log = JSON.parse(readFileSync(sarifPath!, 'utf8')) as { runs: [{ results: Result[] }] }
    expect(validate(log)).toEqual([])
    expect(place(log.runs[0].results[0]?.locations?.[0])).toEqual({
      uri: 'split/paths/users.yaml',
      uriBaseId: '%SRCROOT%',
      line: lineOf(FIXTURES, 'split/paths/users.yaml', '  get:', 'user:'),
      logical: ['getUser']
    })
  })
})
