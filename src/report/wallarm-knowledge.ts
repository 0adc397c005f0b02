/**
 * What Wallarm's triage says of each finding on its own, whatever the baseline, ignore and exclude rules
 * make of it: the vulnerability of the same identity Wallarm holds `closed` (found again, a regression),
 * or the one marked false positive. A leg keeps it on its findings, its report carries it
 * (./json-report.ts), and `mode: summarize` turns it back into Wallarm's triage for the matrix, so that
 * the summary decides as the legs did. The rule itself has one home, ../triage/decide.ts: it is asked
 * here with Wallarm's triage alone. Pure.
 */
import { EMPTY_BASELINE } from '../triage/baseline.js'
import { CLOSED, FALSE_POSITIVE, decideStatuses } from '../triage/decide.js'
import { identityOf, isLocated } from '../triage/identity.js'
import type { Finding } from './model.js'

/** The findings, each with `learned` where Wallarm's triage (`wallarm`, any run) says something of it. */
export function withWallarmKnowledge(
  findings: readonly Finding[],
  wallarm: readonly Finding[] | undefined,
  nowMs: number
): Finding[] {
  if (wallarm === undefined || findings.length === 0) return [...findings]
  const decided = decideStatuses(findings, {
    baseline: EMPTY_BASELINE,
    baselineFile: '',
    ignore: [],
    ignoreFile: '',
    exclude: [],
    wallarm,
    failOn: 'vulnerabilities',
    nowMs
  }).findings
  return findings.map((f, i) => {
    const d = decided[i]?.decision
    const falsePositiveOf = d?.status === 'triaged' ? d.triagedVulnerabilityId : undefined
    const regressionOf = d?.regressionOf
    if (falsePositiveOf === undefined && regressionOf === undefined) return f
    return {
      ...f,
      learned: {
        ...(regressionOf === undefined ? {} : { regressionOf }),
        ...(falsePositiveOf === undefined ? {} : { falsePositiveOf })
      }
    }
  })
}

/**
 * Wallarm's triage as the legs learned it, for the matrix's rules: for each located finding a leg learned
 * something of, the vulnerability it names, with the finding's identity and Wallarm's status. A finding
 * with no location is left out: it cannot be told apart from others of its type, and its own status
 * travels with it.
 */
export function wallarmFromKnowledge(findings: readonly Finding[]): Finding[] {
  const out: Finding[] = []
  for (const f of findings) {
    if (!isLocated(f) || f.learned === undefined) continue
    const { regressionOf, falsePositiveOf } = f.learned
    if (regressionOf !== undefined)
      out.push({ ...identityOf(f), id: regressionOf, threat: f.threat, status: CLOSED })
    if (falsePositiveOf !== undefined)
      out.push({ ...identityOf(f), id: falsePositiveOf, threat: f.threat, status: FALSE_POSITIVE })
  }
  return out
}
