/**
 * The matrix recipe (docs/recipes.md) as a user copies it, in-process: the legs' names from its matrix, their
 * reports uploaded under its artifact name and laid out as download-artifact lays them out (its `path`,
 * then one folder per artifact, then the file `report-path` named), and its summarize step's own inputs.
 * The legs reuse the record (scan mode with `test-record-id` starts a container; the report is the same).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { docsYamlBlocks, type WorkflowStep } from '../support/readme-workflows.js'
import { TOKEN, runMainStep, stepHarness, type StepHarness } from './harness.js'

type Step = WorkflowStep
interface Job {
  strategy?: { matrix?: { include?: Array<Record<string, string>> } }
  steps?: Step[]
}

const recipes = docsYamlBlocks(join(import.meta.dirname, '..', '..'))
  // Whole workflows only: a page may show a summarize step on its own (docs/api-coverage.md).
  .filter((b) => b.kind === 'workflow')
  .map((b) => parse(b.workflow) as { jobs: Record<string, Job> })
  .filter((doc) => JSON.stringify(doc).includes('"mode":"summarize"'))
const recipe = recipes[0]!
const jobs = Object.values(recipe.jobs)
const legsJob = jobs.find((j) => j.strategy?.matrix?.include)!
const summaryJob = jobs.find((j) => (j.steps ?? []).some((s) => s.with?.mode === 'summarize'))!
const upload = legsJob.steps!.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!
const download = summaryJob.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))!
const summarize = summaryJob.steps!.find((s) => s.with?.mode === 'summarize')!
const sarifUpload = summaryJob.steps!.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!
const legNames = legsJob.strategy!.matrix!.include!.map((leg) => leg.name!)
const inputs = (step: Step): Record<string, string> =>
  Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v)]))

let h: StepHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** The legs, the first one vulnerable when asked; each report where the summary job's download puts it. */
async function legs(harness: StepHarness, firstVulnerable: boolean): Promise<string> {
  const workspace = mkdtempSync(join(tmpdir(), 'fast-readme-matrix-'))
  for (const [i, name] of legNames.entries()) {
    const run = await harness.finishedRun(firstVulnerable && i === 0)
    const record = String(harness.emu.model.getTestRun(TOKEN, run).test_record_id)
    const leg = await runMainStep(
      harness,
      harness.runner({ mode: 'reuse', token: TOKEN, name, 'test-record-id': record, sarif: 'false' })
    )
    const report = leg.outputs['report-path']!
    const artifact = String(upload.with!.name).replace(/\$\{\{\s*matrix\.name\s*\}\}/g, name)
    // download-artifact with `pattern` and without `merge-multiple`: <path>/<artifact name>/<file>
    expect(download.with!['merge-multiple']).toBeUndefined()
    const dir = join(workspace, String(download.with!.path), artifact)
    mkdirSync(dir, { recursive: true })
    copyFileSync(report, join(dir, basename(report)))
  }
  return workspace
}

describe('the matrix recipe', () => {
  it('is the one workflow of the docs with a summarize step', () => {
    expect(recipes.length).toBe(1)
  })

  it('has two legs and a summary that reads sarif-path', () => {
    expect(legNames.length).toBeGreaterThanOrEqual(2)
    expect(String(sarifUpload.if)).toContain(`steps.${summarize.id}.outputs.sarif-path`)
  })

  it("its summary step finds every leg's report and gives the SARIF its upload step reads", async () => {
    h = await stepHarness({
      vulnRule: (r) =>
        r.path === '/vulnerable' ? { type: 'sqli', threat: 80, code: 'S1', parameter: 'q' } : null
    })
    const workspace = await legs(h, true)
    const r = await runMainStep(h, h.runner(inputs(summarize)), {
      env: { GITHUB_WORKSPACE: workspace, GITHUB_JOB: 'summary' }
    })
    expect(r.outputs.conclusion).toBe('failed')
    const summary = r.summaries.join('')
    expect(summary).toContain(`### Legs (${legNames.length} reported)`)
    expect(summary).not.toContain('did not report')
    expect(r.outputs['sarif-path']).not.toBe('')
    expect(JSON.parse(readFileSync(r.outputs['sarif-path']!, 'utf8'))).toMatchObject({ version: '2.1.0' })
    expect(r.outputs['report-path']).not.toBe('')
  })

  it('names a leg whose artifact never came, by its matrix name', async () => {
    h = await stepHarness()
    const workspace = await legs(h, false)
    const last = legNames.at(-1)!
    const artifact = String(upload.with!.name).replace(/\$\{\{\s*matrix\.name\s*\}\}/g, last)
    rmSync(join(workspace, String(download.with!.path), artifact), { recursive: true })
    const r = await runMainStep(h, h.runner(inputs(summarize)), { env: { GITHUB_WORKSPACE: workspace } })
    // The present legs passed: a leg missing is never a pass.
    expect(r.outputs.conclusion).toBe('inconclusive')
    expect(r.failure).toContain(`did not report: ${last}`)
  })
})
