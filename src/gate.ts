/**
 * The gate: from what the flow concluded and the findings that count, whether the step fails, and the
 * one sentence that says why. Pure, so every combination is a unit test. The findings decide whatever
 * the API's state says: a `passed` run that lists vulnerabilities that count is `failed`.
 */
import type { Conclusion } from './constants.js'
import { countedFindings, type Finding } from './report/model.js'

export interface GateInput {
  conclusion: Conclusion
  reason: string
  failOn: 'vulnerabilities' | 'never'
  minThreat: number
  findings: Finding[]
}

export interface GateDecision {
  conclusion: Conclusion
  reason: string
  failed: boolean
  counted: number
}

export function decide(input: GateInput): GateDecision {
  const counted = countedFindings(input).length
  let { conclusion, reason } = input
  if (conclusion === 'passed' && counted > 0) {
    // The findings decide, whatever the state says: a run that lists vulnerabilities has not passed.
    conclusion = 'failed'
    reason =
      `Testing found ${counted} vulnerabilit${counted === 1 ? 'y' : 'ies'} at or above threat ${input.minThreat}, ` +
      'although the Wallarm API gave the test run the state passed.'
  } else if (conclusion === 'failed' && input.findings.length > 0 && counted === 0) {
    // The API failed the run, but every finding is below min-threat: for this step it is a pass.
    conclusion = 'passed'
    reason = `Testing found ${input.findings.length} vulnerabilit${input.findings.length === 1 ? 'y' : 'ies'}, all below min-threat ${input.minThreat}.`
  } else if (conclusion === 'failed' && counted > 0) {
    reason = `Testing found ${counted} vulnerabilit${counted === 1 ? 'y' : 'ies'} at or above threat ${input.minThreat}.`
  }
  const failing: readonly Conclusion[] =
    input.failOn === 'never' ? ['error'] : ['error', 'failed', 'interrupted', 'timeout']
  return { conclusion, reason, failed: failing.includes(conclusion), counted }
}
