/**
 * summarize mode: the legs of a matrix as one. It reads the legs' JSON reports (../summarize/read.ts),
 * merges them (../summarize/merge.ts), applying what each leg learned from Wallarm's triage before this
 * step's own baseline, ignore and exclude rules, and hands the action layer one report to publish as every other
 * mode does: one verdict, job summary, comment, SARIF and JUnit. No Wallarm API call, no token: Wallarm's
 * triage is what the legs read, as their reports carry it.
 */
import type { Conclusion } from '../common/constants.js'
import type { Settings } from '../inputs/settings.js'
import { MAX_LEGS } from '../inputs/summarize-settings.js'
import { counts, type Finding, type MatrixReport } from '../report/model.js'
import { findFiles } from '../summarize/glob.js'
import { mergeLegs } from '../summarize/merge.js'
import { RefusedReport, readLegReport, type LegReport } from '../summarize/read.js'
import type { Logger } from './flow.js'

export interface SummarizeResult {
  conclusion: Conclusion
  reason: string
  findings: Finding[]
  matrix: MatrixReport
  /** The test record every leg replayed, when they share one. */
  testRecordId: string | undefined
  warnings: string[]
}

/** Files more than this many legs could have written are not read: the glob matches more than reports. */
const MAX_FILES = MAX_LEGS * 4

/**
 * @param applyRules what the legs learned from Wallarm's triage (`wallarm`), then the baseline, ignore and
 *   scope rules (issue 17's status decision), applied once to the merged findings: the action layer's
 *   Publisher.matrixRules
 */
export async function runSummarize(
  settings: Settings,
  workspace: string,
  log: Logger,
  applyRules: <T extends Finding>(findings: T[], wallarm: readonly Finding[]) => T[]
): Promise<SummarizeResult> {
  const summarize = settings.summarize
  if (summarize === undefined) throw new Error('summarize mode needs its settings (reports).')
  const found = await findFiles(summarize.reports, workspace, MAX_FILES)
  const legs: LegReport[] = []
  const refused: RefusedReport[] = []
  for (const file of found.files) {
    try {
      legs.push(readLegReport(file, workspace))
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
    warnings: merged.warnings
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
