/**
 * summarize mode: the legs of a matrix as one. It reads the legs' JSON reports (../summarize/read.ts),
 * merges them (../summarize/merge.ts), applying what each leg learned from Wallarm's triage before this
 * step's own baseline, ignore and exclude rules, and hands the action layer one report to publish as every other
 * mode does: one verdict, job summary, comment, SARIF and JUnit. No Wallarm API call, no token: Wallarm's
 * triage is what the legs read, as their reports carry it. The legs' API coverage is unioned: an
 * operation is tested if any leg tested it (min-coverage applies to the union: ../action/publish.ts).
 */
import type { Conclusion } from '../common/constants.js'
import type { Settings } from '../inputs/settings.js'
import { MAX_LEGS } from '../inputs/summarize-settings.js'
import { counts, type Finding, type MatrixReport } from '../report/model.js'
import { findFiles } from '../summarize/glob.js'
import { mergeLegs } from '../summarize/merge.js'
import { RefusedReport, readLegReport, type LegReport, type SummarizeSpec } from '../summarize/read.js'
import { unionCoverage, type Coverage } from '../openapi/index.js'
import type { Logger } from './flow.js'

export interface SummarizeResult {
  conclusion: Conclusion
  reason: string
  findings: Finding[]
  matrix: MatrixReport
  /** The test record every leg replayed, when they share one. */
  testRecordId: string | undefined
  warnings: string[]
  /** The union of the legs' API coverage; undefined where no leg's report carries one. */
  coverage?: Coverage | undefined
}

/** Files more than this many legs could have written are not read: the glob matches more than reports. */
const MAX_FILES = MAX_LEGS * 4

/**
 * @param applyRules what the legs learned from Wallarm's triage (`wallarm`), then the baseline, ignore and
 *   scope rules (issue 17's status decision), applied once to the merged findings: the action layer's
 *   Publisher.matrixRules
 * @param spec this step's `openapi`: the findings' identities are recomputed with its templates, as the
 *   legs made them with theirs (without it, a leg's identity that only a spec gives is refused by name)
 */
export async function runSummarize(
  settings: Settings,
  workspace: string,
  log: Logger,
  applyRules: <T extends Finding>(findings: T[], wallarm: readonly Finding[]) => T[],
  spec?: SummarizeSpec
): Promise<SummarizeResult> {
  const summarize = settings.summarize
  if (summarize === undefined) throw new Error('summarize mode needs its settings (reports).')
  const found = await findFiles(summarize.reports, workspace, MAX_FILES)
  const legs: LegReport[] = []
  const refused: RefusedReport[] = []
  for (const file of found.files) {
    try {
      legs.push(readLegReport(file, workspace, spec))
    } catch (err) {
      if (!(err instanceof RefusedReport)) throw err
      refused.push(err)
    }
  }
  log.info(
    `reports (${summarize.reports
      .split(/\r?\n/)
      .filter((p) => p.trim() !== '')
      .join(', ')}) matched ${found.files.length} file(s): ` +
      `${legs.length} leg report(s)${refused.length > 0 ? `, ${refused.length} refused` : ''}.`
  )
  const merged = mergeLegs(legs, {
    minThreat: settings.minThreat,
    techFailTolerance: settings.techFailTolerance,
    expected: summarize.expectedLegs,
    applyRules
  })
  const matrix: MatrixReport = {
    legs: merged.legs.map((leg) => {
      const mine = merged.findings.filter((f) => f.legs.includes(leg.leg))
      return {
        name: leg.leg,
        file: leg.file,
        conclusion: leg.conclusion,
        testRunId: leg.testRunId,
        runUrl: leg.runUrl,
        policy: leg.policy?.name ?? (leg.policy?.id !== undefined ? String(leg.policy.id) : undefined),
        baselines: leg.baselines,
        findings: mine.length,
        counted: mine.filter((f) => counts(f, settings.minThreat)).length
      }
    }),
    missing: merged.missing,
    missingCount: merged.missingCount
  }
  const records = new Set(merged.legs.map((l) => l.testRecordId))
  const result: SummarizeResult = {
    conclusion: merged.conclusion,
    reason: merged.reason,
    findings: merged.findings,
    matrix,
    testRecordId: records.size === 1 ? [...records][0] : undefined,
    warnings: [...merged.warnings, ...coverageWarnings(merged.legs)],
    coverage: unionCoverage(merged.legs.flatMap((l) => (l.coverage === undefined ? [] : [l.coverage])))
  }
  if (found.truncated) {
    return {
      ...result,
      conclusion: 'error',
      reason: `reports (${summarize.reports}) matches more than ${MAX_FILES} files: it should match only the legs' report files.`
    }
  }
  // Nothing is left out silently: a file that is not a leg's report fails the summary, by name.
  if (refused.length > 0) {
    const shown = refused.slice(0, 10).map((r) => r.message)
    const more = refused.length > 10 ? ` (and ${refused.length - 10} more)` : ''
    return {
      ...result,
      conclusion: 'error',
      reason:
        `reports (${summarize.reports
          .split(/\r?\n/)
          .filter((p) => p.trim() !== '')
          .join(
            ', '
          )}) matched ${refused.length} file(s) that are not leg reports this version reads${more}: ` +
        `${shown.join('; ')}.`
    }
  }
  return result
}

/**
 * What the union of the legs' coverage leaves out: legs that carry none (where some do, the union counts
 * only theirs, so it may understate what was tested), and legs measured against different descriptions.
 */
function coverageWarnings(legs: readonly LegReport[]): string[] {
  const carrying = legs.filter((l) => l.coverage !== undefined)
  if (carrying.length === 0) return []
  const warnings = legs
    .filter((l) => l.coverage === undefined)
    .map(
      (l) =>
        `${l.leg} (${l.file}) carries no API coverage: the matrix's coverage is the union of the legs that do ` +
        `(${carrying.map((c) => c.leg).join(', ')}). Coverage is known in scan mode with run and openapi.`
    )
  const specs = [...new Set(carrying.map((l) => l.coverage?.spec))]
  if (specs.length > 1)
    warnings.push(
      `The legs' coverage was measured against different API descriptions (${specs.join(', ')}): their operations are unioned by method and template.`
    )
  return warnings
}
