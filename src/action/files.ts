import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildJsonReport } from '../report/json-report.js'
import { junitPieces } from '../report/junit.js'
import type { RunReport } from '../report/model.js'
import { buildSarif, type LocateFinding } from '../report/sarif.js'
import { writeJsonFile, writeTextFile } from '../report/stream-write.js'
import { formatBaseline, type Baseline } from '../triage/baseline.js'
import { COMPLETE_CONCLUSIONS, WAITED_CONCLUSIONS } from '../common/constants.js'
import { Redactor } from '../text/untrusted.js'
import type { PathTemplateResolver } from '../common/path-template.js'

export interface WrittenReports {
  reportPath: string
  sarifPath?: string
  junitPath?: string
  baselinePath?: string
}

/**
 * Writes the JSON report always, SARIF and JUnit when the run was waited for, into a folder of
 * RUNNER_TEMP that is unique to this step (matrix legs and several steps of a job never collide).
 */
export function writeReports(
  report: RunReport,
  opts: {
    env: NodeJS.ProcessEnv
    sarif: boolean
    toolVersion: string
    /** The `name` input as given (see buildSarif's legName). */
    legName: string
    /** The spec's templates (`openapi`) for the findings' identities (../triage/identity.ts). */
    resolve?: PathTemplateResolver | undefined
    now: Date
    /** The merged baseline, for a later step or person to commit (written whatever the conclusion). */
    baseline?: Baseline | undefined
    /**
     * The action's tokens: masked in every form in every report file. The API client masks its own token
     * in what the API answers already; this holds whatever else reached a report.
     */
    secrets?: ReadonlyArray<string | undefined>
    /** With `openapi`: where SARIF puts a finding (see buildSarif's locate). */
    locate?: LocateFinding | undefined
  }
): WrittenReports {
  const root = opts.env.RUNNER_TEMP || tmpdir()
  const step = [report.testRunId ?? 'no-run', report.mode, opts.env.GITHUB_ACTION || process.pid].join('-')
  const dir = join(root, 'wallarm-fast', step.replace(/[^A-Za-z0-9_.-]/g, '_'))
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `wallarm-fast-${report.testRunId ?? 'no-run'}`)

  const redactor = new Redactor(opts.secrets ?? [])
  const written: WrittenReports = { reportPath: `${base}.json` }
  // Each file written piece by piece (../report/stream-write.ts): 20,000 findings must not need a copy of
  // every report as one string in memory.
  writeJsonFile(
    written.reportPath,
    buildJsonReport(report, {
      generatedAt: opts.now.toISOString(),
      toolVersion: opts.toolVersion,
      legName: opts.legName,
      resolve: opts.resolve
    }),
    redactor
  )
  if (opts.baseline !== undefined) {
    written.baselinePath = join(dir, 'wallarm-fast-baseline.json')
    writeFileSync(written.baselinePath, formatBaseline(opts.baseline))
  }
  // SARIF only for a complete verdict: code scanning closes every alert an upload does not repeat, so
  // the partial findings of an interrupted or timed-out run would close alerts that still stand.
  if (opts.sarif && COMPLETE_CONCLUSIONS.includes(report.conclusion)) {
    written.sarifPath = `${base}.sarif`
    writeJsonFile(
      written.sarifPath,
      buildSarif(report, {
        toolVersion: opts.toolVersion,
        legName: opts.legName,
        locate: opts.locate,
        resolve: opts.resolve
      }),
      redactor
    )
  }
  // JUnit for every run that was waited for: an interrupted or timed-out run is an error case there. So is
  // a scan's run that ended in error (its node died during the stop or the wait): the run is not lost.
  const waited =
    WAITED_CONCLUSIONS.includes(report.conclusion) ||
    (report.mode === 'scan' && report.conclusion === 'error' && report.run !== undefined)
  if ((report.run || report.matrix) && report.mode !== 'record' && waited) {
    written.junitPath = `${base}.junit.xml`
    writeTextFile(written.junitPath, junitPieces(report), redactor)
  }
  return written
}
