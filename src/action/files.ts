import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildJsonReport } from '../report/json-report.js'
import { buildJunit } from '../report/junit.js'
import type { RunReport } from '../report/model.js'
import { buildSarif } from '../report/sarif.js'
import { isTerminalState } from '../wallarm/types.js'

export interface WrittenReports {
  reportPath: string
  sarifPath?: string
  junitPath?: string
}

/**
 * Writes the JSON report always, and SARIF and JUnit once the run has finished, into a folder of
 * RUNNER_TEMP that is unique to this step (matrix legs and several steps of a job never collide).
 */
export function writeReports(
  report: RunReport,
  opts: { env: NodeJS.ProcessEnv; sarif: boolean; toolVersion: string; workflowPath?: string; now: Date }
): WrittenReports {
  const root = opts.env.RUNNER_TEMP || tmpdir()
  const step = [report.testRunId ?? 'no-run', report.mode, opts.env.GITHUB_ACTION || process.pid].join('-')
  const dir = join(root, 'wallarm-fast', step.replace(/[^A-Za-z0-9_.-]/g, '_'))
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `wallarm-fast-${report.testRunId ?? 'no-run'}`)

  const written: WrittenReports = { reportPath: `${base}.json` }
  writeFileSync(written.reportPath, `${JSON.stringify(buildJsonReport(report, opts.now.toISOString()), null, 2)}\n`)
  if (report.run && isTerminalState(report.run.state)) {
    if (opts.sarif) {
      written.sarifPath = `${base}.sarif`
      const sarif = buildSarif(report, { toolVersion: opts.toolVersion, workflowPath: opts.workflowPath })
      writeFileSync(written.sarifPath, `${JSON.stringify(sarif, null, 2)}\n`)
    }
    written.junitPath = `${base}.junit.xml`
    writeFileSync(written.junitPath, buildJunit(report))
  }
  return written
}
