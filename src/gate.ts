/**
 * The gate: from what the flow concluded and the findings that count, whether the step fails, and the
 * one sentence that says why. Pure, so every combination is a unit test.
 */
import { WAITED_CONCLUSIONS, type Conclusion } from './constants.js'
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
  if (conclusion === 'failed' && input.findings.length > 0 && counted === 0) {
    // The API failed the run, but every finding is below min-threat: for this step it is a pass.
    conclusion = 'passed'
    reason = `Testing found ${input.findings.length} vulnerabilit${input.findings.length === 1 ? 'y' : 'ies'}, all below min-threat ${input.minThreat}.`
  } else if (conclusion === 'failed' && counted > 0) {
    reason = `Testing found ${counted} vulnerabilit${counted === 1 ? 'y' : 'ies'} at or above threat ${input.minThreat}.`
  }
  // An error always fails; with fail-on: vulnerabilities, so does every end of a waited run but a pass.
  const failed =
    conclusion === 'error' ||
    (input.failOn === 'vulnerabilities' && conclusion !== 'passed' && WAITED_CONCLUSIONS.includes(conclusion))
  return { conclusion, reason, failed, counted }
}
