import { describe, expect, it } from 'vitest'
import {
  belowMinCoverage,
  computeCoverage,
  CoverageFormatError,
  coverageLine,
  createMatcher,
  loadApiDescription,
  locateFinding,
  MAX_UNMATCHED_ROWS,
  parseCoverage,
  unionCoverage,
  type Coverage,
  type SentRequest
} from '../../src/openapi/index.js'
import { FIXTURES, lineText } from './helpers.js'

const split = loadApiDescription({ file: 'split/openapi.yaml', workspace: FIXTURES })
const matcher = createMatcher(split.operations)
const sent = (method: string, path: string, count = 1, recorded = true): SentRequest => ({
  method,
  path,
  count,
  recorded
})
const coverageOf = (requests: SentRequest[], extra: Partial<Parameters<typeof computeCoverage>[0]> = {}) =>
  computeCoverage({ matcher, spec: split.file, requests, ...extra })
const rowKeys = (rows: Coverage['rows']) => rows.map((r) => `${r.method} ${r.template}`)

describe('API coverage', () => {
  it('gives every operation a row; never-attacked operations first; the ratio N of M', () => {
    const c = coverageOf([
      sent('GET', '/v1/users/7', 3),
      sent('GET', '/v1/users/8?expand=1', 2),
      sent('GET', '/v1/orders', 4, false), // sent, but the node recorded no baseline: not attacked
      sent('POST', '/v1/users', 1)
    ])
    // In the document's order within each group.
    expect(rowKeys(c.rows)).toEqual([
      'GET /users',
      'DELETE /users/{id}',
      'GET /health',
      'GET /orders',
      'POST /users',
      'GET /users/{id}'
    ])
    expect(c.rows.map((r) => r.status)).toEqual([
      'never-sent',
      'never-sent',
      'never-sent',
      'not-recorded',
      'tested',
      'tested'
    ])
    expect(c.rows.find((r) => r.template === '/users/{id}' && r.method === 'GET')).toMatchObject({
      operationId: 'getUser',
      requests: 5,
      baselines: 5,
      findings: 0,
      file: 'split/paths/users.yaml',
      line: 20
    })
    expect(c.rows.find((r) => r.template === '/orders')).toMatchObject({ requests: 4, baselines: 0 })
    expect({ tested: c.tested, operations: c.operations }).toEqual({ tested: 2, operations: 6 })
    expect(coverageLine(c)).toBe('2 of 6 operations tested (33.3%)')
  })

  it('shows deprecated and excluded operations apart, out of the ratio', () => {
    const c = coverageOf([sent('GET', '/v1/reports/1'), sent('GET', '/health')], {
      exclude: (method, path) => method === 'GET' && /^\/health$/.test(path)
    })
    expect(rowKeys(c.apart)).toEqual(['GET /health', 'GET /reports/{id}'])
    expect(c.apart.map((r) => [r.deprecated, r.excluded, r.requests])).toEqual([
      [false, true, 1],
      [true, false, 1]
    ])
    expect(rowKeys(c.rows)).not.toContain('GET /health')
    expect({ tested: c.tested, operations: c.operations }).toEqual({ tested: 0, operations: 5 })
  })

  it('asks the exclude rule with the server-prefixed template', () => {
    const seen: string[] = []
    coverageOf([], { exclude: (method, path) => (seen.push(`${method} ${path}`), false) })
    expect(seen).toContain('GET /v1/users/{id}')
  })

  it('lists requests that match no operation as not in the spec, with their findings, most findings first', () => {
    const c = coverageOf(
      [sent('GET', '/v1/admin/debug', 2), sent('GET', '/v1/internal?x=1', 5), sent('PUT', '/v1/orders')],
      {
        findings: [
          { method: 'GET', path: '/v1/admin/debug' },
          { method: 'GET', path: '/v1/users/3' },
          { method: 'GET' } // no path: cannot be placed
        ]
      }
    )
    expect(c.notInSpec).toEqual([
      { method: 'GET', path: '/v1/admin/debug', requests: 2, baselines: 2, findings: 1 },
      { method: 'GET', path: '/v1/internal', requests: 5, baselines: 5, findings: 0 },
      { method: 'PUT', path: '/v1/orders', requests: 1, baselines: 1, findings: 0 }
    ])
    expect(c.rows.find((r) => r.operationId === 'getUser')?.findings).toBe(1)
    expect(c.notInSpecOmitted).toBe(0)
  })

  it('keeps the not-in-the-spec list bounded, counting what it leaves off', () => {
    const many = Array.from({ length: MAX_UNMATCHED_ROWS + 7 }, (_, i) => sent('GET', `/v1/junk/${i}/x`))
    const c = coverageOf(many)
    expect(c.notInSpec).toHaveLength(MAX_UNMATCHED_ROWS)
    expect(c.notInSpecOmitted).toBe(7)
  })

  it('counts a request that ties for no operation, and lists it with the operations that tie', () => {
    const ties = loadApiDescription({ file: 'ties.yaml', workspace: FIXTURES })
    const c = computeCoverage({
      matcher: createMatcher(ties.operations),
      spec: ties.file,
      requests: [sent('GET', '/books/me', 2), sent('GET', '/books/me', 1)],
      findings: [{ method: 'GET', path: '/books/me' }]
    })
    expect(c.ties).toEqual([
      {
        method: 'GET',
        path: '/books/me',
        requests: 3,
        baselines: 3,
        findings: 1,
        operations: ['GET /{entity}/me', 'GET /books/{id}']
      }
    ])
    expect(c.tested).toBe(0)
  })
})

describe('min-coverage', () => {
  const c = coverageOf([sent('GET', '/v1/users/7'), sent('POST', '/v1/users')])

  it('passes at or above the percentage; below, names the ratio and the first untested operations', () => {
    expect(belowMinCoverage(c, 33)).toBeUndefined()
    expect(belowMinCoverage(c, 33.3)).toBeUndefined()
    expect(belowMinCoverage(c, 0)).toBeUndefined()
    expect(belowMinCoverage(c, 34)).toBe(
      'API coverage 2 of 6 operations tested (33.3%), below min-coverage 34%. ' +
        'Never attacked: GET /users, DELETE /users/{id}, GET /orders, GET /health.'
    )
  })

  it('says how many more untested operations there are than it names', () => {
    expect(belowMinCoverage(coverageOf([]), 50)).toBe(
      'API coverage 0 of 6 operations tested (0%), below min-coverage 50%. ' +
        'Never attacked: GET /users, POST /users, GET /users/{id}, DELETE /users/{id}, GET /orders and 1 more.'
    )
  })

  it('is below any positive minimum when no operation counts', () => {
    const none = coverageOf([], { exclude: () => true })
    expect(coverageLine(none)).toBe('0 of 0 operations tested')
    expect(belowMinCoverage(none, 1)).toContain('no operation counts')
  })

  it('never shows a ratio below the minimum as the minimum (rounds down)', () => {
    // 2 of 3 is 66.66…%: shown as 66.6%, below a min-coverage of 66.7.
    const three = { ...c, rows: c.rows.slice(0, 3), operations: 3, tested: 2 }
    expect(coverageLine(three)).toBe('2 of 3 operations tested (66.6%)')
    expect(belowMinCoverage(three, 66.7)).toContain('(66.6%), below min-coverage 66.7%')
  })
})

describe('coverage of a matrix', () => {
  it('unions the legs: an operation is tested where any leg tested it; counts are summed', () => {
    const a = coverageOf([sent('GET', '/v1/users/7', 2), sent('GET', '/v1/nope')])
    const b = coverageOf([sent('GET', '/v1/users/8'), sent('POST', '/v1/users'), sent('GET', '/v1/nope', 3)])
    const u = unionCoverage([a, b])
    expect({ tested: u?.tested, operations: u?.operations }).toEqual({ tested: 2, operations: 6 })
    expect(u?.rows.find((r) => r.operationId === 'getUser')).toMatchObject({ requests: 3, status: 'tested' })
    expect(u?.notInSpec).toEqual([
      { method: 'GET', path: '/v1/nope', requests: 4, baselines: 4, findings: 0 }
    ])
    expect(u?.apart.map((r) => r.template)).toEqual(['/reports/{id}'])
    expect(unionCoverage([])).toBeUndefined()
  })

  it('keeps an operation apart where any leg has it deprecated or excluded', () => {
    const a = coverageOf([sent('GET', '/v1/orders')], { exclude: (method, path) => path === '/v1/orders' })
    const b = coverageOf([sent('GET', '/v1/orders')])
    for (const u of [unionCoverage([a, b]), unionCoverage([b, a])]) {
      expect(u?.apart.find((r) => r.template === '/orders')).toMatchObject({ excluded: true, requests: 2 })
      expect(u?.operations).toBe(5)
    }
  })

  it('unions ties and what the legs left off', () => {
    const tie = {
      ...coverageOf([]),
      ties: [
        {
          method: 'GET',
          path: '/b/me',
          requests: 1,
          baselines: 1,
          findings: 0,
          operations: ['GET /b/{id}', 'GET /{e}/me']
        }
      ],
      notInSpecOmitted: 2
    }
    const u = unionCoverage([tie, tie])
    expect(u?.ties).toEqual([{ ...tie.ties[0], requests: 2, baselines: 2 }])
    expect(u?.notInSpecOmitted).toBe(4)
  })

  it('reads a leg’s coverage back from its JSON report, and unions it', () => {
    const a = coverageOf([sent('GET', '/v1/users/7')], { findings: [{ method: 'GET', path: '/v1/x' }] })
    const back = parseCoverage(JSON.parse(JSON.stringify(a)), 'leg-1/report.json')
    expect(back).toEqual(a)
  })

  it('derives the ratio and the statuses from the counts, never from what a leg claims', () => {
    const a = coverageOf([])
    const forged = JSON.parse(JSON.stringify(a)) as Record<string, unknown> & {
      rows: Array<Record<string, unknown>>
    }
    forged.tested = 6
    forged.rows = forged.rows.map((r) => ({ ...r, status: 'tested' }))
    const back = parseCoverage(forged, 'leg')
    expect(back.tested).toBe(0)
    expect(back.rows.every((r) => r.status === 'never-sent')).toBe(true)
  })

  it.each([
    ['not an object', [], 'field "coverage" must be an object'],
    ['rows not a list', { rows: 'x' }, 'field "rows" must be a list'],
    ['a negative count', { rowPatch: { requests: -1 } }, 'field "rows[0].requests" must be a whole number'],
    ['a long text', { rowPatch: { template: 'x'.repeat(3000) } }, 'field "rows[0].template" must be a text'],
    [
      'a flag that is not a boolean',
      { rowPatch: { deprecated: 'yes' } },
      'field "rows[0].deprecated" must be true or false'
    ],
    [
      'a tie without operations',
      { ties: [{ method: 'GET', path: '/', requests: 0, baselines: 0, findings: 0 }] },
      'field "ties[0].operations"'
    ]
  ])('refuses a leg’s coverage with %s, naming the report and the field', (_name, change, says) => {
    const good = JSON.parse(JSON.stringify(coverageOf([]))) as Record<string, unknown> & {
      rows: Array<Record<string, unknown>>
    }
    let value: unknown = change
    if (!Array.isArray(change)) {
      const { rowPatch, ...rest } = change as { rowPatch?: Record<string, unknown> }
      value = { ...good, ...rest }
      if (rowPatch) (value as typeof good).rows = [{ ...good.rows[0], ...rowPatch }]
    }
    expect(() => parseCoverage(value, 'leg-2/report.json')).toThrow(CoverageFormatError)
    expect(() => parseCoverage(value, 'leg-2/report.json')).toThrow(`leg-2/report.json: coverage ${says}`)
  })
})

describe('a finding at its place in the spec', () => {
  it('gives the template (server prefix included, for the identity), the file and line of the method key, and the operationId', () => {
    const at = locateFinding(matcher, 'GET', '/v1/users/42?q=%27')
    expect(at).toEqual({
      pathTemplate: '/v1/users/{id}',
      template: '/users/{id}',
      method: 'GET',
      operationId: 'getUser',
      file: 'split/paths/users.yaml',
      line: 20,
      logicalName: 'getUser'
    })
    expect(lineText(FIXTURES, at!.file, at!.line).trim()).toBe('get:')
  })

  it('names an operation without an operationId by METHOD /template', () => {
    expect(locateFinding(matcher, 'DELETE', '/v1/users/42')?.logicalName).toBe('DELETE /users/{id}')
  })

  it('gives nothing for a path the spec does not describe, or a tie', () => {
    expect(locateFinding(matcher, 'GET', '/v1/admin')).toBeUndefined()
    const ties = createMatcher(loadApiDescription({ file: 'ties.yaml', workspace: FIXTURES }).operations)
    expect(locateFinding(ties, 'GET', '/books/me')).toBeUndefined()
  })
})
