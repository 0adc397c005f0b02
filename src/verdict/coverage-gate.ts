/**
 * `min-coverage`: a run whose tests reached fewer of the spec's operations than asked is `inconclusive`,
 * never `passed`, whatever the findings (a pass must mean the API was tested). Other conclusions stand.
 */
import type { FailOn } from '../common/constants.js'
import { belowMinCoverage, type Coverage } from '../openapi/index.js'
import type { GateDecision } from './gate.js'

export function gateOnCoverage(
  decision: GateDecision,
  coverage: Coverage | undefined,
  minCoverage: number | undefined,
  failOn: FailOn
): GateDecision {
  if (decision.conclusion !== 'passed' || coverage === undefined || minCoverage === undefined) return decision
  const below = belowMinCoverage(coverage, minCoverage)
  if (below === undefined) return decision
  return {
    ...decision,
    conclusion: 'inconclusive',
    reason: `Inconclusive: ${below}`,
    failed: failOn !== 'never'
  }
}
