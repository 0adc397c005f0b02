/**
 * What a user who copies the workflows of the README and docs/ (the recipes) gets on GitHub, beyond parsing
 * (./github-parser.test.ts):
 * every value our steps pass is one the action accepts without a warning, every output a step reads is
 * one the action has, the jobs hold the permissions their steps need, matrix legs upload under names of
 * their own, and the summarize step's `reports` glob finds the legs' reports where download-artifact puts
 * them (with `pattern` and without `merge-multiple`, each artifact in a folder named after it).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { minimatch } from 'minimatch'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { InputDefaults } from '../../src/inputs/parse.js'
import { readSettings } from '../../src/inputs/settings.js'
import { findFiles } from '../../src/summarize/glob.js'
import { DOCS_BLOCKS, docsText, docsYamlBlocks, type WorkflowStep } from '../support/readme-workflows.js'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

type Step = WorkflowStep
interface Job {
  permissions?: Record<string, string> | string
  strategy?: { matrix?: unknown }
  steps?: Step[]
}
interface Workflow {
  permissions?: Record<string, string> | string
  jobs: Record<string, Job>
}

const action = parse(read('action.yml')) as { outputs: Record<string, unknown> }
const blocks = docsYamlBlocks(ROOT)
const workflows = blocks
  .filter((b) => b.kind === 'workflow')
  .map((b) => [`${b.file}:${b.line}`, parse(b.workflow) as Workflow] as const)
const prose = docsText(ROOT)
const ours = (step: Step): boolean => step.uses?.startsWith('wallarm/fast-action@') === true

/** A plausible value for an expression, by the input it feeds: what GitHub would pass at run time. */
function evaluate(input: string, value: string): string {
  if (!value.includes('${{')) return value
  if (/^(test-record-id|test-run-id|policy-id)$/.test(input)) return '104'
  if (input === 'token' || input === 'github-token') return 'secret-value'
  return 'leg-a'
}

/** The literal value of `with` a step gives, stringified as the runner does. */
const withOf = (step: Step): Record<string, string> =>
  Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, evaluate(k, String(v))]))

const env = {
  GITHUB_REPOSITORY: 'octo/app',
  GITHUB_WORKFLOW: 'CI',
  GITHUB_RUN_NUMBER: '1',
  GITHUB_JOB: 'fast',
  // what a record step earlier in the job leaves for a stop step
  WALLARM_FAST_TEST_RUN_ID: '7'
}

describe("the docs' steps of this action pass values it takes", () => {
  const steps = blocks.flatMap((b) => {
    const doc = parse(b.workflow) as Workflow
    return Object.values(doc.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter(ours)
      .map((step) => [`${b.file}:${b.line}`, withOf(step)] as const)
  })

  it('finds them', () => {
    expect(steps.length).toBe(18)
  })

  it.each(steps)('block at %s: accepted, with no warning', (_, given) => {
    const settings = readSettings((name) => given[name] ?? '', env)
    expect(settings.warnings).toEqual([])
  })
})

describe("the docs' workflows", () => {
  it('finds every one: the quick start and the recipes', () => {
    expect(workflows.length).toBe(DOCS_BLOCKS.workflow)
    expect(workflows.filter(([at]) => at.startsWith('docs/recipes.md:')).length).toBe(8)
  })

  it.each(workflows)('block at %s reads only outputs the action has', (_, doc) => {
    const text = JSON.stringify(doc)
    const ourIds = new Set(
      Object.values(doc.jobs)
        .flatMap((j) => j.steps ?? [])
        .filter((s) => ours(s) && s.id !== undefined)
        .map((s) => s.id)
    )
    const read = [...text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)]
      .filter(([, id]) => ourIds.has(id))
      .map(([, , output]) => output!)
    expect(read.filter((o) => !(o in action.outputs))).toEqual([])
  })

  it.each(workflows)('block at %s: each job has the permissions its steps need', (_, doc) => {
    const missing: string[] = []
    for (const [name, job] of Object.entries(doc.jobs)) {
      const perms = job.permissions ?? doc.permissions ?? {}
      const has = (scope: string, level: string): boolean =>
        perms === 'write-all' ||
        (typeof perms === 'object' && (perms[scope] === level || perms[scope] === 'write'))
      for (const step of job.steps ?? []) {
        const need: [string, string][] = []
        if (step.uses?.startsWith('actions/checkout@')) need.push(['contents', 'read'])
        if (step.uses?.startsWith('github/codeql-action/upload-sarif@'))
          need.push(['security-events', 'write'], ['actions', 'read'], ['contents', 'read'])
        if (ours(step) && String(step.with?.comment) === 'true') need.push(['pull-requests', 'write'])
        for (const [scope, level] of need) if (!has(scope, level)) missing.push(`${name}: ${scope}: ${level}`)
      }
    }
    expect(missing).toEqual([])
  })

  it.each(workflows)('block at %s: a matrix job uploads under a name per leg', (_, doc) => {
    const shared = Object.entries(doc.jobs)
      .filter(([, job]) => job.strategy?.matrix !== undefined)
      .flatMap(([name, job]) =>
        (job.steps ?? [])
          .filter((s) => s.uses?.startsWith('actions/upload-artifact@'))
          .filter((s) => !/\$\{\{\s*matrix\./.test(String(s.with?.name)))
          .map(() => name)
      )
    expect(shared).toEqual([])
  })

  it.each(workflows)('block at %s: an upload a re-run repeats replaces the earlier one', (_, doc) => {
    // A re-run of a job is the same workflow run: upload-artifact refuses a name it holds (409) unless
    // overwrite is set, so "Re-run failed jobs" on a leg would fail at its upload.
    const refused = Object.entries(doc.jobs).flatMap(([name, job]) =>
      (job.steps ?? [])
        .filter((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.overwrite !== true)
        .map((s) => `${name}: ${String(s.with?.name)}`)
    )
    expect(refused).toEqual([])
  })
})

describe("the matrix recipe: the summary finds the legs' reports", () => {
  const matrix = workflows.filter(([, doc]) =>
    Object.values(doc.jobs).some((j) => (j.steps ?? []).some((s) => ours(s) && s.with?.mode === 'summarize'))
  )

  it('finds it', () => {
    expect(matrix.length).toBeGreaterThanOrEqual(1)
  })

  it.each(matrix)('block at %s', async (_, doc) => {
    const jobs = Object.values(doc.jobs)
    const upload = jobs
      .flatMap((j) => j.steps ?? [])
      .find((s) => s.uses?.startsWith('actions/upload-artifact@') && /matrix\./.test(String(s.with?.name)))
    const summaryJob = jobs.find((j) => (j.steps ?? []).some((s) => ours(s) && s.with?.mode === 'summarize'))!
    const download = summaryJob.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))
    const summarize = summaryJob.steps!.find((s) => ours(s))!
    expect(upload?.with?.path).toMatch(/steps\.[\w-]+\.outputs\.report-path/)
    expect(download?.with?.pattern).toBeDefined()
    // Without merge-multiple, each artifact is extracted into <path>/<artifact name>/; the report's
    // own file name is wallarm-fast-<test run id>.json (src/action/files.ts).
    const artifact = String(upload!.with!.name).replace(/\$\{\{[^}]*\}\}/g, 'injections')
    // download-artifact matches its pattern against the artifacts' names with minimatch.
    expect(minimatch(artifact, String(download!.with!.pattern))).toBe(true)
    const merged = String(download!.with!['merge-multiple'] ?? 'false') === 'true'
    const folder = String(download!.with!.path ?? '.').replace(/\/$/, '')
    const file = `${folder}/${merged ? '' : `${artifact}/`}wallarm-fast-12345.json`
    const reports = String(summarize.with?.reports ?? InputDefaults.reports)
    // The files laid out as download-artifact writes them, found as summarize mode finds them.
    const workspace = mkdtempSync(join(tmpdir(), 'readme-matrix-'))
    mkdirSync(dirname(join(workspace, file)), { recursive: true })
    writeFileSync(join(workspace, file), '{}')
    expect((await findFiles(reports, workspace)).files).toEqual([join(workspace, file)])
    // The step that uploads the summary's SARIF reads an output summarize mode sets.
    expect(JSON.stringify(summaryJob)).not.toMatch(
      /outputs\.(baseline-path|test-run-id|tests-exit-code|node-log-path)/
    )
  })
})

describe('the baseline recipe', () => {
  it('commits the merged baseline where baseline-file reads it by default', () => {
    const committed = [...prose.matchAll(/commit it\s+as\s+`([^`]+)`/g)].map((m) => m[1])
    expect(committed.length).toBeGreaterThanOrEqual(1)
    for (const path of committed) expect(path).toBe(InputDefaults['baseline-file'])
  })

  // RUNNER_TEMP is gone when the job ends: a workflow whose gate reads a baseline keeps the merged one
  // as an artifact, and the recipe shows how a person downloads it to where baseline-file reads it.
  const gated = workflows.filter(([, doc]) =>
    Object.values(doc.jobs).some((j) =>
      (j.steps ?? []).some((s) => ours(s) && s.with?.['fail-on'] === 'new-vulnerabilities')
    )
  )
  const uploads = (doc: Workflow): Step[] =>
    Object.values(doc.jobs)
      .flatMap((j) => j.steps ?? [])
      .filter(
        (s) =>
          s.uses?.startsWith('actions/upload-artifact@') &&
          /steps\.[\w-]+\.outputs\.baseline-path/.test(String(s.with?.path))
      )

  it('finds the pull-request check', () => expect(gated.length).toBeGreaterThanOrEqual(1))

  it.each(gated)('block at %s: uploads the merged baseline', (_, doc) => {
    expect(uploads(doc).length).toBe(1)
  })

  it('shows the command that puts the artifact where baseline-file reads it', () => {
    const names = new Set(workflows.flatMap(([, doc]) => uploads(doc).map((s) => String(s.with?.name))))
    const downloads = [...prose.matchAll(/gh run download \S+ --name (\S+) --dir (\S+)/g)]
    expect(downloads.length).toBeGreaterThanOrEqual(1)
    for (const [, name, dir] of downloads) {
      expect(names).toContain(name)
      // upload-artifact keeps a single file's own name: wallarm-fast-baseline.json (src/action/files.ts).
      expect(`${dir!.replace(/\/$/, '')}/wallarm-fast-baseline.json`).toBe(InputDefaults['baseline-file'])
    }
  })
})

describe('CONTRIBUTING.md', () => {
  const develop = read('CONTRIBUTING.md')
  const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: object }).scripts)

  it('runs npm scripts the package has', () => {
    const used = [...develop.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!)
    expect(used.length).toBeGreaterThanOrEqual(5)
    expect(used.filter((s) => !scripts.includes(s))).toEqual([])
    expect(scripts).toContain('test')
  })

  it('names files and folders that exist', () => {
    const paths = [
      ...develop.matchAll(/`((?:src|emulator|sample-app|scripts|test|docs|\.ci|\.github|dist)\/[\w./-]*)`/g)
    ]
      .map((m) => m[1]!)
      .concat([...develop.matchAll(/\]\(((?:docs|\.github)\/[\w./-]+)\)/g)].map((m) => m[1]!))
    expect(paths.length).toBeGreaterThanOrEqual(10)
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([])
  })

  it("lists every folder of src/ in the code's table", () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `src/${d.name}/`)
    expect(folders.filter((f) => !develop.includes(`\`${f}\``))).toEqual([])
  })
})
