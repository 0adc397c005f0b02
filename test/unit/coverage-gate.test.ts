import { describe, expect, it } from 'vitest'
import { computeCoverage, createMatcher, loadApiDescription } from '../../src/openapi/index.js'
import { gateOnCoverage } from '../../src/verdict/coverage-gate.js'
import type { GateDecision } from '../../src/verdict/gate.js'
import { FIXTURES } from '../openapi/helpers.js'

const api = loadApiDescription({ file: 'petstore.json', workspace: FIXTURES })
const coverageOf = (paths: string[]) =>
  computeCoverage({
    matcher: createMatcher(api.operations),
    spec: api.file,
    requests: paths.map((path) => ({ method: 'GET', path, count: 1, recorded: true }))
  })
const passed: GateDecision = {
  conclusion: 'passed',
  reason: 'No vulnerabilities.',
  failed: false,
  counted: 0
}

describe('gateOnCoverage (min-coverage)', () => {
  it('makes a pass below min-coverage inconclusive, naming the ratio and the untested operations', () => {
    const c = coverageOf(['/v2/pets'])
    const d = gateOnCoverage(passed, c, 50, 'vulnerabilities')
    expect(d.conclusion).toBe('inconclusive')
    expect(d.failed).toBe(true)
    expect(d.reason).toContain(`${c.tested} of ${c.operations} operations tested`)
    expect(d.reason).toContain('below min-coverage 50%')
    expect(d.reason).toContain('POST /pets')
    expect(gateOnCoverage(passed, c, 50, 'never').failed).toBe(false)
  })

  it('keeps the pass at or above min-coverage, without min-coverage, and without coverage', () => {
    const all = coverageOf(['/v2/pets', '/v2/pets/mine', '/v2/pets/1', '/v2/files/a.json'])
    expect(gateOnCoverage(passed, coverageOf(['/v2/pets']), undefined, 'vulnerabilities')).toBe(passed)
    expect(gateOnCoverage(passed, undefined, 50, 'vulnerabilities')).toBe(passed)
    expect(gateOnCoverage(passed, all, 80, 'vulnerabilities').conclusion).toBe('passed')
  })

  it('min-coverage where the coverage cannot be known (a matrix whose legs carry none): inconclusive, saying why', () => {
    const d = gateOnCoverage(passed, undefined, 50, 'vulnerabilities', 'no leg carries coverage')
    expect(d).toMatchObject({ conclusion: 'inconclusive', failed: true })
    expect(d.reason).toBe('Inconclusive: min-coverage 50% is set, but no leg carries coverage.')
    expect(gateOnCoverage(passed, undefined, 50, 'never', 'no leg carries coverage').failed).toBe(false)
    expect(gateOnCoverage(passed, undefined, undefined, 'vulnerabilities', 'unknown')).toBe(passed)
  })

  it('leaves a failure a failure: the findings say more than coverage', () => {
    const failed: GateDecision = { conclusion: 'failed', reason: 'Found 1.', failed: true, counted: 1 }
    expect(gateOnCoverage(failed, coverageOf([]), 100, 'vulnerabilities')).toBe(failed)
  })
})
