/**
 * A matrix as one: the legs' reports merged into one finding list (deduplicated by identity, each naming
 * the legs that found it; a finding with no location never merged) and one conclusion, after what the
 * legs learned from Wallarm and this step's own rules. Pure.
 *
 * The conclusion: `failed` if any finding counts (at or above this step's `min-threat`, of a status that
 * counts); else the worst of the legs' own conclusions, where a leg that only failed on findings this step
 * does not count is a pass (if its counters show it tested something), and `inconclusive`, `interrupted`,
 * `timeout` and `error` are never one, nor a leg whose step failed on its tests (`error`); a leg
 * missing from `expected-legs` makes it at least `inconclusive`; else `passed`.
 */
import type { Conclusion } from '../common/constants.js'
import { counts, type Finding } from '../report/model.js'
import { wallarmFromKnowledge } from '../report/wallarm-knowledge.js'
import { isLocated } from '../triage/identity.js'
import { untrustedPass } from '../verdict/gate.js'
import type { LegFinding, LegReport } from './read.js'
import { differentRunsWarning } from './runs.js'

/** From best to worst: the merged conclusion is the last of these any leg reached. */
const ORDER: readonly Conclusion[] = [
  'passed',
  'skipped',
  'running',
  'recording',
  'inconclusive',
  'interrupted',
  'timeout',
  'error'
]

/**
 * What a leg means for the matrix, once its findings are judged here instead, and why when it is not a
 * pass. A leg that failed is a pass here only when its findings explain the failure and its counters show
 * it tested something (its own gate never asked of a failed run); a leg that passed but whose step failed
 * (scan's tests, with tests-must-pass) is not one; nor a report whose counters contradict its pass.
 */
function legOutcome(leg: LegReport, techFailTolerance: number): { outcome: Conclusion; why?: string } {
  const { conclusion } = leg
  // Failing tests fail a leg whatever its findings, and so the matrix whatever this step makes of them.
  const tests = leg.testsFailed
  if (tests !== undefined)
    return {
      outcome: 'error',
      why: `its tests ${tests.cancelled ? 'were cancelled' : `failed (exit code ${tests.exitCode})`}, and tests-must-pass is true`
    }
  // A leg that did not wait (or only recorded) has no verdict: the matrix cannot pass on it.
  if (conclusion === 'running' || conclusion === 'recording') return { outcome: 'inconclusive' }
  if (conclusion !== 'passed' && conclusion !== 'failed') return { outcome: conclusion }
  if (conclusion === 'passed' && leg.stepFailed)
    return { outcome: 'error', why: `its step failed: ${leg.reason || 'no reason given'}` }
  if (conclusion === 'failed' && leg.findings.length === 0)
    return {
      outcome: 'inconclusive',
      why: 'its report lists no finding to judge here, so its failure cannot be judged again'
    }
  // A verdict comes from a run the leg waited for: a report of one without the run's counters proves nothing.
  if (leg.counters === undefined)
    return {
      outcome: 'inconclusive',
      why: 'its report has no baseline counters, so what it tested is unknown'
    }
  // A pass's own gate already applied the leg's tech-fail-tolerance: only a contradiction is asked here.
  const tolerance = conclusion === 'passed' ? 100 : techFailTolerance
  const untrusted = untrustedPass(leg.mode ?? 'wait', leg.counters, tolerance)
  if (untrusted !== undefined) return { outcome: 'inconclusive', why: untrusted }
  return { outcome: 'passed' }
}

/** What `expected-legs` says: a number of legs, or their names. */
export type ExpectedLegs = { count: number } | { names: string[] }

export interface MergedFinding extends Finding {
  identity: string
  /** The legs that found it, in the legs' order. */
  legs: string[]
}

export interface MatrixOutcome {
  conclusion: Conclusion
  reason: string
  legs: LegReport[]
  findings: MergedFinding[]
  /** Names of the expected legs that did not report; with a count, `n more` placeholders are not made. */
  missing: string[]
  /** How many expected legs did not report (names or count). */
  missingCount: number
  warnings: string[]
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`

/** The same report found twice (one artifact downloaded into two folders) is one leg. */
function distinctLegs(legs: LegReport[], warnings: string[]): LegReport[] {
  const seen = new Map<string, LegReport>()
  const extra: LegReport[] = []
  for (const leg of legs) {
    const key = leg.testRunId !== undefined ? `run:${leg.testRunId}` : `file:${leg.file}`
    const had = seen.get(key)
    if (had !== undefined && sameVerdict(had, leg)) {
      warnings.push(`${leg.file} reports the same test run (${leg.testRunId}) as ${had.file}: counted once.`)
      continue
    }
    if (had !== undefined) {
      // Two different accounts of one run: neither is dropped, so the worse one is not lost.
      warnings.push(
        `${leg.file} reports the same test run (${leg.testRunId}) as ${had.file}, but not the same verdict or findings: both are counted.`
      )
      extra.push(leg)
      continue
    }
    seen.set(key, leg)
  }
  const out = [...seen.values(), ...extra]
  const names = new Map<string, number>()
  for (const leg of out) names.set(leg.leg, (names.get(leg.leg) ?? 0) + 1)
  for (const [name, n] of names) {
    if (n > 1)
      warnings.push(
        `${n} legs are named ${JSON.stringify(name)}: give each leg a name of its own (the name input, such as the matrix value), so the summary can tell them apart.`
      )
  }
  return out
}

/** Whether two reports of one run say the same: conclusion, step result and the findings' identities. */
function sameVerdict(a: LegReport, b: LegReport): boolean {
  const ids = (l: LegReport): string =>
    l.findings
      .map((f) => `${f.identity}:${f.threat}`)
      .sort()
      .join(',')
  return a.conclusion === b.conclusion && a.stepFailed === b.stepFailed && ids(a) === ids(b)
}

/**
 * One finding per identity: the highest threat of them, naming every leg that found it. A finding with no
 * location (known only from its run's summary) is never merged: its identity is only its type and code,
 * which many weaknesses share.
 */
export function dedupe(legs: readonly LegReport[]): MergedFinding[] {
  const byIdentity = new Map<string, MergedFinding>()
  const unlocated: MergedFinding[] = []
  for (const leg of legs) {
    for (const f of leg.findings) {
      if (!isLocated(f)) {
        unlocated.push({ ...withoutLegFields(f), legs: [leg.leg] })
        continue
      }
      const had = byIdentity.get(f.identity)
      if (had === undefined) {
        byIdentity.set(f.identity, { ...withoutLegFields(f), legs: [leg.leg] })
        continue
      }
      if (!had.legs.includes(leg.leg)) had.legs.push(leg.leg)
      if (f.threat > had.threat) byIdentity.set(f.identity, { ...withoutLegFields(f), legs: had.legs })
    }
  }
  return [...byIdentity.values(), ...unlocated].sort((a, b) => b.threat - a.threat)
}

function withoutLegFields(f: LegFinding): Omit<MergedFinding, 'legs'> {
  const { legStatus: _status, ...finding } = f
  return finding
}

export function mergeLegs(
  reports: LegReport[],
  opts: {
    minThreat: number
    /** For a leg that failed on findings this step does not count: did it test enough to be a pass. */
    techFailTolerance: number
    expected: ExpectedLegs | undefined
    /**
     * What the legs learned from Wallarm's triage (`wallarm`), then the baseline, ignore and scope rules,
     * applied once to the merged list (Publisher.matrixRules).
     */
    applyRules: (findings: MergedFinding[], wallarm: readonly Finding[]) => MergedFinding[]
  }
): MatrixOutcome {
  const warnings: string[] = []
  const legs = distinctLegs(reports, warnings)
  const runs = differentRunsWarning(legs)
  if (runs !== undefined) warnings.push(runs)
  const learned = wallarmFromKnowledge(legs.flatMap((l) => l.findings))
  const findings = opts.applyRules(dedupe(legs), learned)
  const counted = findings.filter((f) => counts(f, opts.minThreat))

  let missing: string[] = []
  let missingCount = 0
  const expected = opts.expected
  if (expected !== undefined && 'names' in expected) {
    const present = new Set(legs.map((l) => l.leg))
    missing = expected.names.filter((n) => !present.has(n))
    missingCount = missing.length
    const unexpected = [...present].filter((n) => !expected.names.includes(n))
    if (unexpected.length > 0)
      warnings.push(
        `Legs not in expected-legs reported too: ${unexpected.map((n) => JSON.stringify(n)).join(', ')}.`
      )
  } else if (expected !== undefined) {
    missingCount = Math.max(0, expected.count - legs.length)
    if (legs.length > expected.count)
      warnings.push(`${legs.length} legs reported, more than expected-legs (${expected.count}).`)
  }

  const base = { legs, findings, missing, missingCount, warnings }
  if (counted.length > 0) {
    const where = legs.filter((l) => counted.some((f) => f.legs.includes(l.leg))).map((l) => l.leg)
    return {
      ...base,
      conclusion: 'failed',
      reason:
        `The legs found ${plural(counted.length, 'vulnerability', 'vulnerabilities')} at or above threat ${opts.minThreat} ` +
        `(${where.join(', ')})${missingCount > 0 ? `; and ${missingText(base, expected)}` : ''}.`
    }
  }
  if (legs.length === 0) {
    return {
      ...base,
      conclusion: 'error',
      reason: 'No leg reported: no file matched the reports input.'
    }
  }
  let worst: Conclusion = 'passed'
  const outcomes = legs.map((leg) => ({ leg, ...legOutcome(leg, opts.techFailTolerance) }))
  for (const { outcome } of outcomes) {
    if (ORDER.indexOf(outcome) > ORDER.indexOf(worst)) worst = outcome
  }
  // Every leg skipped (a fork's pull request, no token): so is the matrix.
  if (worst === 'skipped' && legs.some((l) => l.conclusion !== 'skipped')) worst = 'inconclusive'
  if (missingCount > 0 && ORDER.indexOf(worst) < ORDER.indexOf('inconclusive')) worst = 'inconclusive'
  const notPassed = outcomes.filter((o) => o.outcome !== 'passed')
  const parts: string[] = []
  if (missingCount > 0) parts.push(missingText(base, expected))
  if (worst !== 'passed' && notPassed.length > 0)
    parts.push(
      notPassed
        .map((o) => `${o.leg.leg} ended ${o.leg.conclusion}${o.why !== undefined ? ` (${o.why})` : ''}`)
        .join(', ')
    )
  const reason =
    worst === 'passed'
      ? `All ${plural(legs.length, 'leg', 'legs')} passed: no vulnerability at or above threat ${opts.minThreat}.`
      : `Not a pass: ${parts.join('; ')}.`
  return { ...base, conclusion: worst, reason }
}

function missingText(
  o: Pick<MatrixOutcome, 'legs' | 'missing' | 'missingCount'>,
  expected: ExpectedLegs | undefined
): string {
  const total =
    expected === undefined ? o.legs.length : 'names' in expected ? expected.names.length : expected.count
  const reported = o.legs.map((l) => l.leg).join(', ')
  const which = o.missing.length > 0 ? `: ${o.missing.join(', ')}` : ''
  return (
    `${plural(o.missingCount, 'expected leg', 'expected legs')} of ${total} did not report${which} ` +
    `(reported: ${reported === '' ? 'none' : reported})`
  )
}
