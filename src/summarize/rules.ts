/**
 * The seam where the baseline, ignore and scope rules (issue 17's status decision) are applied once to
 * the matrix's merged findings, as every other mode applies them to its own run. Until that decision is
 * part of this action, no rule applies: every finding is judged by `min-threat` alone, and the legs'
 * own statuses are not carried over (they were decided leg by leg, with each leg's rules).
 */
import type { Settings } from '../inputs/settings.js'
import type { MergedFinding } from './merge.js'

export function matrixRules(_settings: Settings): (findings: MergedFinding[]) => MergedFinding[] {
  return (findings) => findings
}
