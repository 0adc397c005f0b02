/**
 * What users load or copy, judged by GitHub's own parser (`@actions/workflow-parser`): action.yml, the
 * repository's workflows, and every YAML block of the README, CONTRIBUTING.md and docs/ (the recipes). A
 * general-purpose YAML parser accepted an
 * action.yml that every runner refused; these tests would have failed on it.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { actionErrors, loadActionManifest, workflowErrors } from '../../scripts/lib/github-parser.js'
import {
  DOCS_BLOCKS,
  docsYamlBlocks,
  toMarkdownPosition,
  workflowDocs,
  wrap,
  yamlBlocks,
  type WrappedBlock
} from '../support/readme-workflows.js'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')

async function readmeBlockErrors(block: WrappedBlock, file = 'README.md'): Promise<string[]> {
  const errors = await workflowErrors('readme.yml', block.workflow)
  return errors.map((message) => toMarkdownPosition(message, block, file))
}

describe("GitHub's parser accepts action.yml", () => {
  it('has no error', () => {
    expect(actionErrors('action.yml', read('action.yml'))).toEqual([])
  })

  it('has a description the Marketplace accepts (under 125 characters)', () => {
    const { description } = parse(read('action.yml')) as { description: string }
    expect(description.length).toBeLessThan(125)
  })

  it('refuses an expression in an input description, as the runner does', () => {
    const broken = read('action.yml').replace(
      /(\n {2}name:\n {4}description: >-\n)/,
      '$1      Give each leg a name of its own (e.g. `shop-${{ matrix.target }}`).\n'
    )
    expect(broken).not.toBe(read('action.yml'))
    expect(actionErrors('action.yml', broken).join('\n')).toMatch(/Unrecognized named-value: 'matrix'/)
  })

  it('makes the harness that runs dist/ refuse a manifest the runner would refuse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-manifest-'))
    writeFileSync(
      join(dir, 'action.yml'),
      "name: x\ndescription: '${{ matrix.x }}'\nruns:\n  using: node24\n  main: dist/index.js\n"
    )
    expect(() => loadActionManifest(dir)).toThrow(/GitHub's parser refuses action.yml[\s\S]*matrix/)
    expect(loadActionManifest(ROOT).runs.using).toBe('node24')
  })
})

describe("GitHub's parser accepts the repository's workflows", () => {
  const files = readdirSync(join(ROOT, '.github', 'workflows')).filter((f) => /\.ya?ml$/.test(f))

  it('finds the workflows', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'check-dist.yml', 'codeql.yml', 'release.yml']))
  })

  it.each(files)('%s has no error', async (file) => {
    expect(await workflowErrors(file, read(join('.github', 'workflows', file)))).toEqual([])
  })
})

describe("GitHub's parser accepts every YAML block of the README, CONTRIBUTING.md and docs/", () => {
  const blocks = docsYamlBlocks(ROOT)

  it('finds every whole workflow, job, steps and workflow keys block, the recipes included', () => {
    expect(workflowDocs(ROOT)).toEqual(
      expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/recipes.md', 'docs/scan-mode.md'])
    )
    const counted = Object.fromEntries(
      Object.keys(DOCS_BLOCKS).map((kind) => [kind, blocks.filter((b) => b.kind === kind).length])
    )
    expect(counted).toEqual(DOCS_BLOCKS)
    // The quick start in the README, the recipes in their page.
    expect(blocks.filter((b) => b.file === 'README.md' && b.kind === 'workflow').length).toBe(1)
    expect(blocks.filter((b) => b.file === 'docs/recipes.md' && b.kind === 'workflow').length).toBe(8)
  })

  it.each(blocks.map((b) => [`${b.file}:${b.line} (${b.kind})`, b] as const))(
    'block at %s',
    async (_, block) => {
      expect(await readmeBlockErrors(block, block.file)).toEqual([])
    }
  )

  it('names the README line of an error', async () => {
    const markdown = [
      '# Example', // 1
      '', // 2
      '```yaml', // 3
      '      - name: Tests', // 4
      '        env:', // 5
      '          HTTP_PROXY: http://localhost:8080', // 6
      '          http_proxy: http://localhost:8080', // 7
      '        run: npm test', // 8
      '```'
    ].join('\n')
    const [block] = yamlBlocks(markdown).map(wrap)
    expect(await readmeBlockErrors(block!, 'EXAMPLE.md')).toEqual([
      "EXAMPLE.md:7:11 (a steps block): 'http_proxy' is already defined"
    ])
  })
})

describe("the docs' steps of this action pass inputs it has", () => {
  const action = parse(read('action.yml')) as { inputs: Record<string, { required?: boolean }> }
  const known = new Set(Object.keys(action.inputs))
  const required = Object.entries(action.inputs)
    .filter(([, i]) => i.required)
    .map(([name]) => name)

  interface Step {
    uses?: string
    with?: Record<string, unknown>
  }
  const ourSteps = (workflow: string): Step[] => {
    const doc = parse(workflow) as { jobs: Record<string, { steps?: Step[] }> }
    return Object.values(doc.jobs)
      .flatMap((job) => job.steps ?? [])
      .filter((step) => step.uses?.startsWith('wallarm/fast-action@'))
  }
  const steps = docsYamlBlocks(ROOT).flatMap((block) =>
    ourSteps(block.workflow).map((step) => [`${block.file}:${block.line}`, step] as const)
  )

  it('finds them', () => {
    expect(steps.length).toBe(18)
  })

  it.each(steps)('block at %s', (_, step) => {
    const given = Object.keys(step.with ?? {})
    expect(given.filter((name) => !known.has(name))).toEqual([])
    expect(required.filter((name) => !given.includes(name))).toEqual([])
  })
})

describe('pinned actions', () => {
  const sources = [
    ...workflowDocs(ROOT),
    ...readdirSync(join(ROOT, '.github', 'workflows')).map((f) => join('.github', 'workflows', f))
  ]
  const pins = sources.flatMap((file) =>
    read(file)
      .split('\n')
      .map((line, i) => [`${file}:${i + 1}`, line] as const)
      .filter(([, line]) => /^\s*(- )?uses: (?!\.\/|wallarm\/fast-action@)/.test(line))
  )

  it('finds them', () => {
    expect(pins.length).toBeGreaterThanOrEqual(10)
  })

  it.each(pins)('%s pins a commit SHA and names its release', (_, line) => {
    expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/)
  })
})
