import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadApiDescription, OpenApiError, type Operation } from '../../src/openapi/index.js'
import { FIXTURES, lineText, workspaceWith } from './helpers.js'

const load = (file: string, workspace = FIXTURES) => loadApiDescription({ file, workspace })
const byKey = (ops: readonly Operation[]) => new Map(ops.map((o) => [`${o.method} ${o.template}`, o]))

/** The error `load` throws, with its message checked to name the input. */
function refusal(file: string, workspace = FIXTURES): OpenApiError {
  try {
    load(file, workspace)
  } catch (err) {
    expect(err).toBeInstanceOf(OpenApiError)
    expect((err as Error).message).toMatch(/^Input "openapi": /)
    return err as OpenApiError
  }
  throw new Error(`${file} was not refused`)
}

describe('loading an API description', () => {
  it('reads a split OpenAPI 3.1 spec: path items $ref’d into another file, lines in the file that defines them', () => {
    const api = load('split/openapi.yaml')
    expect(api).toMatchObject({ file: 'split/openapi.yaml', version: '3.1.0' })
    const ops = byKey(api.operations)
    expect([...ops.keys()]).toEqual([
      'GET /users',
      'POST /users',
      'GET /users/{id}',
      'DELETE /users/{id}',
      'GET /orders',
      'GET /health',
      'GET /reports/{id}'
    ])
    expect(ops.get('GET /users/{id}')).toMatchObject({
      file: 'split/paths/users.yaml',
      line: 20,
      operationId: 'getUser'
    })
    expect(lineText(FIXTURES, 'split/paths/users.yaml', 20)).toBe('  get:')
    // A $ref without a pointer takes the whole file as the path item.
    expect(ops.get('GET /orders')).toMatchObject({ file: 'split/paths/orders.yaml', line: 1 })
    // A $ref inside the same document (OpenAPI 3.1 components.pathItems).
    expect(ops.get('GET /reports/{id}')).toMatchObject({
      file: 'split/openapi.yaml',
      line: 30,
      deprecated: true
    })
    expect(lineText(FIXTURES, 'split/openapi.yaml', 30)).toBe('      get:')
    expect(ops.get('DELETE /users/{id}')?.operationId).toBeUndefined()
    expect(ops.get('GET /users')?.deprecated).toBe(false)
  })

  it('takes the servers’ path as a prefix, a path item’s own servers over the document’s', () => {
    const ops = byKey(load('split/openapi.yaml').operations)
    expect(ops.get('GET /users/{id}')?.prefixes).toEqual(['/v1'])
    expect(ops.get('GET /health')?.prefixes).toEqual([''])
  })

  it('reads Swagger 2.0 with its basePath', () => {
    const api = load('swagger2.yaml')
    expect(api.version).toBe('2.0')
    const item = byKey(api.operations).get('PUT /items/{itemId}')
    expect(item).toMatchObject({ prefixes: ['/api/v2'], line: 23, operationId: 'updateItem' })
    expect(lineText(FIXTURES, 'swagger2.yaml', 23)).toBe('    put:')
  })

  it('reads JSON, with lines, and server variables by their default and enum', () => {
    const api = load('petstore.json')
    expect(api.version).toBe('3.0.3')
    const pet = byKey(api.operations).get('GET /pets/{petId}')
    expect(pet).toMatchObject({ line: 23, prefixes: ['/v2', '/v3'] })
    expect(lineText(FIXTURES, 'petstore.json', 23)).toMatch(/^\s+"get": /)
  })

  it('skips specification extensions under paths (x-…)', () => {
    expect(load('split/openapi.yaml').operations.some((o) => o.template.startsWith('x-'))).toBe(false)
  })

  it('accepts the input as an absolute path inside the workspace', () => {
    expect(load(join(FIXTURES, 'swagger2.yaml')).file).toBe('swagger2.yaml')
  })

  it('follows a chain of $refs and YAML aliases, and an operation beside the $ref (3.1)', () => {
    const ws = workspaceWith({
      'api.yaml': [
        'openapi: 3.1.0',
        'x-items:',
        '  first:',
        '    $ref: "#/x-items/second"',
        '  second: &shared',
        '    get: {}',
        'paths:',
        '  /a:',
        '    $ref: "#/x-items/first"',
        '    post: {}',
        '  /b: *shared'
      ].join('\n')
    })
    const ops = load('api.yaml', ws).operations
    expect(ops.map((o) => `${o.method} ${o.template}:${o.line}`)).toEqual([
      'GET /a:6',
      'POST /a:10',
      'GET /b:6'
    ])
  })
})

describe('refusing what is not an API description (before any API call)', () => {
  it('a missing file: names the input and the file', () => {
    const err = refusal('nowhere/openapi.yaml')
    expect(err.message).toContain('nowhere/openapi.yaml: no such file')
    expect(err.input).toBe('openapi')
  })

  it('a file that does not parse: names the file and the line', () => {
    const err = refusal('broken/unparsable.yaml')
    expect(err).toMatchObject({ file: 'broken/unparsable.yaml', line: 9 })
    expect(err.message).toMatch(/^Input "openapi": broken\/unparsable\.yaml:9: is not valid YAML or JSON/)
  })

  it('a YAML file that is not an API description', () => {
    const err = refusal('broken/not-an-api.yaml')
    expect(err.message).toContain('broken/not-an-api.yaml:1: is not an API description')
  })

  it('a version it does not read, at the line of the version', () => {
    const err = refusal('broken/bad-version.yaml')
    expect(err.line).toBe(2)
    expect(err.message).toContain('openapi "4.0.0" is a version this action does not read')
  })

  it('a path template that is not one, at its line', () => {
    const err = refusal('broken/bad-template.yaml')
    expect(err).toMatchObject({ line: 6 })
    expect(err.message).toContain('"/users/{id" is not a path template')
  })

  it('a $ref that leaves the workspace, at the line of the $ref', () => {
    const err = refusal('broken/escape.yaml')
    expect(err).toMatchObject({ file: 'broken/escape.yaml', line: 7 })
    expect(err.message).toContain('is outside the workspace')
  })

  it('a $ref through a symbolic link that leads out of the workspace', () => {
    const outside = workspaceWith({ 'secret.yaml': 'get: {}\n' })
    const ws = workspaceWith({ 'api.yaml': 'openapi: 3.0.0\npaths:\n  /s:\n    $ref: ./link/secret.yaml\n' })
    symlinkSync(outside, join(ws, 'link'))
    expect(refusal('api.yaml', ws).message).toContain(
      'api.yaml:4: $ref to link/secret.yaml: is outside the workspace'
    )
  })

  it('an input outside the workspace', () => {
    const ws = workspaceWith({})
    expect(refusal('../elsewhere.yaml', ws).message).toContain('is outside the workspace')
  })

  it.each([
    ['a remote $ref', '$ref: https://example.com/paths.yaml', 'remote references are not followed'],
    ['a $ref to a missing file', '$ref: ./paths/none.yaml', 'paths/none.yaml: no such file'],
    ['a $ref to nothing in the file', '$ref: "#/nothing/here"', 'has nothing at "#/nothing/here"'],
    ['a $ref that is not a string', '$ref: [1]', '"$ref" must be a string'],
    ['a $ref loop', '$ref: "#/paths/~1a"', 'form a loop']
  ])('%s, at the line of the $ref', (_name, ref, says) => {
    const ws = workspaceWith({ 'api.yaml': `openapi: 3.0.0\npaths:\n  /a:\n    ${ref}\n` })
    const err = refusal('api.yaml', ws)
    expect(err.message).toContain(says)
    expect(err.line).toBe(4)
  })

  it.each([
    ['no paths', 'openapi: 3.0.0\ninfo: {}\n', 'has no "paths"'],
    ['paths that are not a mapping', 'openapi: 3.0.0\npaths: [1]\n', '"paths" must be a mapping'],
    ['no operation', 'openapi: 3.0.0\npaths:\n  /a: {}\n', 'describes no operation'],
    [
      'an operation that is not a mapping',
      'openapi: 3.0.0\npaths:\n  /a:\n    get: 3\n',
      '"get" must be an operation'
    ],
    ['a list', '- openapi: 3.0.0\n', 'is not an API description (the document is not a mapping)'],
    ['an empty file', '', 'is not an API description'],
    ['swagger 1.2', 'swagger: "1.2"\npaths: {}\n', 'swagger "1.2" is a version'],
    [
      'a path twice',
      'openapi: 3.0.0\npaths:\n  /a: {get: {}}\n  /a: {put: {}}\n',
      'api.yaml:4: the key "/a" appears twice'
    ],
    [
      'a method twice',
      'openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n    get: {}\n',
      'api.yaml:5: the key "get" appears twice'
    ],
    ['a top-level key twice', 'openapi: 3.0.0\nopenapi: 3.1.0\npaths: {}\n', 'api.yaml:2: the key "openapi"'],
    [
      'an operation key twice',
      'openapi: 3.0.0\npaths:\n  /a:\n    get:\n      deprecated: false\n      deprecated: true\n',
      'api.yaml:6: the key "deprecated"'
    ]
  ])('%s', (_name, text, says) => {
    const ws = workspaceWith({ 'api.yaml': text })
    expect(refusal('api.yaml', ws).message).toContain(says)
  })

  it('an unreadable file (a directory) names the file', () => {
    const ws = workspaceWith({})
    mkdirSync(join(ws, 'spec.yaml'))
    writeFileSync(join(ws, 'x'), '')
    expect(refusal('spec.yaml', ws).message).toContain('spec.yaml: cannot be read (EISDIR)')
  })
})
