import { describe, expect, it } from 'vitest'
import {
  createMatcher,
  loadApiDescription,
  type Matcher,
  type MatchResult,
  type Operation
} from '../../src/openapi/index.js'
import { basePathPrefix, pathPrefix, serverPrefixes } from '../../src/openapi/servers.js'
import { FIXTURES } from './helpers.js'

const matcherFor = (file: string): Matcher =>
  createMatcher(loadApiDescription({ file, workspace: FIXTURES }).operations)

/** The result in one line: `GET /users/{id}`, `tie: …`, or `none`. */
function shown(result: MatchResult): string {
  if (result.kind === 'operation') return `${result.operation.method} ${result.operation.template}`
  if (result.kind === 'tie') return `tie: ${result.pathTemplates.join(' | ')}`
  return 'none'
}

const op = (method: string, template: string, prefixes: string[] = ['']): Operation => ({
  method,
  template,
  deprecated: false,
  file: 'api.yaml',
  line: 1,
  prefixes
})

describe('server prefixes', () => {
  it.each([
    ['https://api.example.com/v1', '/v1'],
    ['https://api.example.com/v1/', '/v1'],
    ['https://api.example.com', ''],
    ['//api.example.com/base', '/base'],
    ['/', ''],
    ['', ''],
    ['.', ''],
    ['./v1', '/v1'],
    ['v1', '/v1'],
    ['/api?x=1#f', '/api']
  ])('%s → %s', (url, prefix) => {
    expect(pathPrefix(url)).toBe(prefix)
  })

  it('a server variable takes its default and each enum value; an undefined one stays a template expression', () => {
    expect(
      serverPrefixes([
        {
          url: '{scheme}://h/{version}/{tenant}',
          variables: { scheme: { default: 'https' }, version: { default: 'v1', enum: ['v1', 'v2'] } }
        }
      ])
    ).toEqual(['/v1/{tenant}', '/v2/{tenant}'])
    expect(serverPrefixes([{ url: '/{v}', variables: { v: {} } }])).toEqual(['/{v}'])
  })

  it('names no prefix for no servers, or servers without a URL', () => {
    expect(serverPrefixes(undefined)).toBeUndefined()
    expect(serverPrefixes([{ description: 'no url' }, 'text'])).toBeUndefined()
  })

  it('takes Swagger 2.0 basePath as it is', () => {
    expect(basePathPrefix('/api/v2/')).toBe('/api/v2')
    expect(basePathPrefix(undefined)).toBe('')
  })
})

describe('matching a request to an operation', () => {
  it('matches segment by segment; a literal segment beats a template segment', () => {
    const m = matcherFor('ties.yaml')
    expect(shown(m.match('GET', '/users/me'))).toBe('GET /users/me')
    expect(shown(m.match('GET', '/users/7'))).toBe('GET /users/{id}')
    expect(shown(m.match('GET', '/users/7/x'))).toBe('none')
    expect(shown(m.match('GET', '/users'))).toBe('none')
  })

  it('reports a tie between two operations instead of guessing', () => {
    const m = matcherFor('ties.yaml')
    const books = m.match('GET', '/books/me')
    expect(books.kind).toBe('tie')
    expect(books.kind === 'tie' && books.operations.map((o) => o.operationId).sort()).toEqual([
      'entityMe',
      'getBook'
    ])
    // Templates that differ only in their parameters' names tie too.
    expect(shown(m.match('GET', '/items/1'))).toBe('tie: /items/{id} | /items/{name}')
    // Only one of them has the method: no tie.
    expect(shown(m.match('DELETE', '/items/1'))).toBe('DELETE /items/{name}')
    // Without the other candidate, the same path is no tie.
    expect(shown(m.match('GET', '/books/7'))).toBe('GET /books/{id}')
    expect(shown(m.match('GET', '/authors/me'))).toBe('GET /{entity}/me')
  })

  it('lets method and path decide, never the query string', () => {
    const m = matcherFor('ties.yaml')
    expect(shown(m.match('get', '/users/me?id=7'))).toBe('GET /users/me')
    expect(shown(m.match('GET', '/users/7#top'))).toBe('GET /users/{id}')
    expect(shown(m.match('POST', '/users/7'))).toBe('none')
  })

  it('honours servers prefixes: /v1/users/7 matches /users/{id} under servers url https://api.example.com/v1', () => {
    const m = matcherFor('split/openapi.yaml')
    const result = m.match('GET', '/v1/users/7')
    expect(shown(result)).toBe('GET /users/{id}')
    expect(result.kind === 'operation' && result.pathTemplate).toBe('/v1/users/{id}')
    expect(shown(m.match('GET', '/users/7'))).toBe('none')
    // A path item's own servers: /health is served at the root.
    expect(shown(m.match('GET', '/health'))).toBe('GET /health')
    expect(shown(m.match('GET', '/v1/health'))).toBe('none')
  })

  it('honours basePath (Swagger 2.0) and server variables (JSON)', () => {
    expect(shown(matcherFor('swagger2.yaml').match('PUT', '/api/v2/items/42'))).toBe('PUT /items/{itemId}')
    const pets = matcherFor('petstore.json')
    expect(shown(pets.match('GET', '/v3/pets/mine'))).toBe('GET /pets/mine')
    expect(shown(pets.match('GET', '/v2/pets/9'))).toBe('GET /pets/{petId}')
    expect(shown(pets.match('GET', '/v4/pets/9'))).toBe('none')
  })

  it('matches a segment that mixes literal and expression by the template’s grammar', () => {
    const pets = matcherFor('petstore.json')
    expect(shown(pets.match('GET', '/v2/files/report.json'))).toBe('GET /files/{name}.json')
    expect(shown(pets.match('GET', '/v2/files/report.xml'))).toBe('none')
    expect(shown(pets.match('GET', '/v2/files/.json'))).toBe('none')
  })

  it('takes a full URL by its path, and a trailing slash never decides', () => {
    const m = createMatcher([op('GET', '/users/{id}'), op('GET', '/')])
    expect(shown(m.match('GET', 'https://api.example.com/users/7?x'))).toBe('GET /users/{id}')
    expect(shown(m.match('GET', '/users/7/'))).toBe('GET /users/{id}')
    expect(shown(m.match('GET', '/'))).toBe('GET /')
    expect(shown(m.match('GET', ''))).toBe('GET /')
    expect(shown(m.match('GET', 'users/7'))).toBe('GET /users/{id}')
    // An expression never matches an empty segment.
    expect(shown(m.match('GET', '/users//'))).toBe('none')
  })

  it('ranks the more concrete of two templates that both hold expressions', () => {
    const m = createMatcher([
      op('GET', '/shops/{shop}/pets/{pet}'),
      op('GET', '/shops/{shop}/pets/_search'),
      op('GET', '/{a}/{b}/pets/_search')
    ])
    expect(shown(m.match('GET', '/shops/1/pets/_search'))).toBe('GET /shops/{shop}/pets/_search')
    expect(shown(m.match('GET', '/shops/1/pets/7'))).toBe('GET /shops/{shop}/pets/{pet}')
    expect(shown(m.match('GET', '/malls/1/pets/_search'))).toBe('GET /{a}/{b}/pets/_search')
  })

  it('compares a percent-encoded literal by the grammar (hex digits in either case)', () => {
    const m = createMatcher([op('GET', '/caf%C3%A9')])
    expect(shown(m.match('GET', '/caf%c3%a9'))).toBe('GET /caf%C3%A9')
  })

  it('counts an operation served under two prefixes once', () => {
    // Two servers whose variables have no value: the same path under both, never a tie with itself.
    const m = createMatcher([op('GET', '/users', ['/{tenant}', '/{region}'])])
    expect(shown(m.match('GET', '/eu/users'))).toBe('GET /users')
  })

  it('never guesses where the library cannot rank two templates', () => {
    // Both templates are kept by the load step (its quick check), but the grammar refuses the space.
    const m = createMatcher([op('GET', '/a b/{x}'), op('GET', '/{y}/c')])
    expect(shown(m.match('GET', '/a b/c'))).toBe('tie: /a b/{x} | /{y}/c')
  })
})
