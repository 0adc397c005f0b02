/**
 * `min-coverage`: a run whose tests reached fewer of the spec's operations than asked is `inconclusive`,
 * never `passed`, whatever the findings (a pass must mean the API was tested). Other conclusions stand.
 * Where the coverage cannot be known though min-coverage is set (a matrix whose legs carry none), the
 * caller says why (`unknown`), and a pass is `inconclusive` too: nothing shows the coverage was met.
 */
import type { FailOn } from '../common/constants.js'
import { belowMinCoverage, type Coverage } from '../openapi/index.js'
import type { GateDecision } from './gate.js'

export function gateOnCoverage(
  decision: GateDecision,
  coverage: Coverage | undefined,
  minCoverage: number | undefined,
  failOn: FailOn,
  unknown?: string
): GateDecision {
  if (decision.conclusion !== 'passed' || minCoverage === undefined) return decision
  if (coverage === undefined) {
    if (unknown === undefined) return decision
    return {
      ...decision,
      conclusion: 'inconclusive',
      reason: `Inconclusive: min-coverage ${minCoverage}% is set, but ${unknown}.`,
      failed: failOn !== 'never'
    }
  }
  const below = belowMinCoverage(coverage, minCoverage)
  if (below === undefined) return decision
  return {
    ...decision,
    conclusion: 'inconclusive',
    reason: `Inconclusive: ${below}`,
    failed: failOn !== 'never'
  }
}
