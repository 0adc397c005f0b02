/**
 * The YAML blocks of a Markdown file, each turned into the smallest workflow that holds it, so that
 * GitHub's parser can judge what a user copies: whole workflows as they are, a job, steps, or
 * workflow-level keys (`permissions:`, `concurrency:`) wrapped around a minimal job.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

export interface YamlBlock {
  /** 1-based line of the block's first line of YAML in the Markdown file. */
  line: number
  /** The block's text, de-indented (blocks inside list items are indented in the Markdown). */
  text: string
}

export type BlockKind = 'workflow' | 'job' | 'steps' | 'step' | 'workflow keys'

export interface WrappedBlock extends YamlBlock {
  kind: BlockKind
  /** A complete workflow holding the block. */
  workflow: string
  /** How many lines of `workflow` come before the block's first line. */
  offset: number
  /** How many columns the block was moved to the right. */
  indent: number
}

export function yamlBlocks(markdown: string): YamlBlock[] {
  return allYamlBlocks(markdown).filter((b) => !isIgnoreFile(b.text))
}

/** The docs' examples of the action's ignore file (`ignore:` alone): not workflow YAML; the triage tests read them. */
export function ignoreFileBlocks(markdown: string): YamlBlock[] {
  return allYamlBlocks(markdown).filter((b) => isIgnoreFile(b.text))
}

function isIgnoreFile(text: string): boolean {
  const value: unknown = parse(text)
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).join() === 'ignore'
  )
}

function allYamlBlocks(markdown: string): YamlBlock[] {
  const lines = markdown.split('\n')
  const blocks: YamlBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ya?ml\s*$/.exec(lines[i]!)
    if (!open) continue
    const fence = open[1]!
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && lines[j]!.trim() !== '```'; j++) body.push(lines[j]!)
    if (j === lines.length) throw new Error(`the YAML block at line ${i + 1} is never closed`)
    blocks.push({ line: i + 2, text: dedent(body, fence.length) })
    i = j
  }
  return blocks
}

/** Cuts the fence's own indentation (a block inside a list item); steps keep theirs. */
function dedent(lines: string[], fenceIndent: number): string {
  return lines.map((l) => l.slice(Math.min(fenceIndent, leading(l)))).join('\n')
}

const leading = (line: string): number => line.length - line.trimStart().length

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'defaults',
  'concurrency',
  'jobs'
])
const MINIMAL_JOB = ['jobs:', '  readme:', '    runs-on: ubuntu-latest', '    steps:', '      - run: echo ok']

export function kindOf(text: string): BlockKind {
  const value: unknown = parse(text)
  if (Array.isArray(value)) return 'steps'
  if (value === null || typeof value !== 'object') throw new Error('not a YAML mapping or list')
  const keys = Object.keys(value)
  if (keys.includes('jobs')) return 'workflow'
  if (keys.includes('runs-on') || keys.includes('steps')) return 'job'
  if (keys.includes('uses') || keys.includes('run')) return 'step'
  if (keys.every((key) => WORKFLOW_KEYS.has(key))) return 'workflow keys'
  throw new Error(`cannot tell what the block is (keys: ${keys.join(', ')})`)
}

const indentBy = (text: string, n: number): string[] =>
  text.split('\n').map((line) => (line.trim() ? ' '.repeat(n) + line : line))

export function wrap(block: YamlBlock): WrappedBlock {
  const kind = kindOf(block.text)
  const head = ['on: push']
  const jobHead = [...head, 'jobs:', '  readme:', '    runs-on: ubuntu-latest', '    steps:']
  switch (kind) {
    case 'workflow':
      return { ...block, kind, workflow: block.text, offset: 0, indent: 0 }
    case 'job': {
      const prefix = [...head, 'jobs:', '  readme:']
      return {
        ...block,
        kind,
        workflow: [...prefix, ...indentBy(block.text, 4)].join('\n'),
        offset: prefix.length,
        indent: 4
      }
    }
    case 'steps': {
      // A steps block may already be indented as in a job; re-indent it to the job's steps.
      const lines = block.text.split('\n')
      const own = Math.min(...lines.filter((l) => l.trim()).map(leading))
      const moved = lines.map((l) => l.slice(Math.min(own, leading(l))))
      return {
        ...block,
        kind,
        workflow: [...jobHead, ...indentBy(moved.join('\n'), 6)].join('\n'),
        offset: jobHead.length,
        indent: 6 - own
      }
    }
    case 'step': {
      const lines = block.text.split('\n')
      const body = lines.map((l, i) => (i === 0 ? `      - ${l}` : l.trim() ? `        ${l}` : l))
      return { ...block, kind, workflow: [...jobHead, ...body].join('\n'), offset: jobHead.length, indent: 8 }
    }
    case 'workflow keys': {
      const keys = Object.keys(parse(block.text) as object)
      const tail = [...(keys.includes('on') ? [] : head), ...MINIMAL_JOB]
      return { ...block, kind, workflow: [block.text, ...tail].join('\n'), offset: 0, indent: 0 }
    }
  }
}

/** Rewrites GitHub's `(Line: L, Col: C)` in the wrapped workflow to the line and column in the Markdown. */
export function toMarkdownPosition(message: string, block: WrappedBlock, file: string): string {
  return message.replace(/^[^(]*\(Line: (\d+), Col: (\d+)\)/, (_, l: string, c: string) => {
    const line = Number(l) - block.offset + block.line - 1
    return `${file}:${line}:${Math.max(1, Number(c) - block.indent)} (a ${block.kind} block)`
  })
}

/** A step of a workflow of the docs, as the tests read it. */
export interface WorkflowStep {
  id?: string
  uses?: string
  if?: string
  with?: Record<string, string | number | boolean>
}

/**
 * The Markdown files whose YAML a user copies, relative to the repository: the README, CONTRIBUTING.md
 * and every page of docs/. The recipes live in docs/recipes.md; a block moved between them stays checked.
 */
export function workflowDocs(root: string): string[] {
  const pages = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`)
  return ['README.md', 'CONTRIBUTING.md', ...pages]
}

/** A YAML block of one of those files, wrapped into a workflow, with the file it is in. */
export interface DocBlock extends WrappedBlock {
  file: string
}

/** Every workflow YAML block of the README, CONTRIBUTING.md and docs/, in that order. */
export function docsYamlBlocks(root: string): DocBlock[] {
  return workflowDocs(root).flatMap((file) =>
    yamlBlocks(readFileSync(join(root, file), 'utf8')).map((b) => ({ ...wrap(b), file }))
  )
}

/** The ignore-file examples of the same files, each with the file it is in. */
export function docsIgnoreFileBlocks(root: string): Array<YamlBlock & { file: string }> {
  return workflowDocs(root).flatMap((file) =>
    ignoreFileBlocks(readFileSync(join(root, file), 'utf8')).map((b) => ({ ...b, file }))
  )
}

/** The text of those files, one after the other, for what the tests look for in the prose. */
export function docsText(root: string): string {
  return workflowDocs(root)
    .map((file) => readFileSync(join(root, file), 'utf8'))
    .join('\n')
}

/**
 * How many YAML blocks of each kind the README, CONTRIBUTING.md and docs/ hold: the tests assert these
 * exact numbers, so a recipe that moves to a page no test reads, or drops out, fails them. Add to them
 * when you add a workflow to the docs.
 */
export const DOCS_BLOCKS: Readonly<Record<BlockKind, number>> = {
  workflow: 9,
  job: 1,
  steps: 6,
  step: 0,
  'workflow keys': 1
}
