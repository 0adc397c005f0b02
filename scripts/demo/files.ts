/**
 * What the demo keeps: the job summaries and reports it writes to .demo-output/ (or $DEMO_OUTPUT_DIR),
 * masked, and everything the steps put out, raw, for the leak check at the end.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { ROOT, type StepResult } from '../lib/action-runner.js'
import { padEnd } from '../lib/terminal.js'
import { MARKDOWN_MASK, masker, say, style } from './console.js'

export const OUT_DIR = resolve(process.env.DEMO_OUTPUT_DIR || join(ROOT, '.demo-output'))

export function prepareOutputDir(): void {
  if (process.env.DEMO_OUTPUT_DIR) {
    // Someone else's folder: remove only what an earlier demo run wrote.
    mkdirSync(OUT_DIR, { recursive: true })
    for (const file of readdirSync(OUT_DIR)) {
      if (/^\d-[\w.-]+\.(md|json|sarif|xml)$/.test(file)) rmSync(join(OUT_DIR, file), { force: true })
    }
  } else {
    rmSync(OUT_DIR, { recursive: true, force: true })
    mkdirSync(OUT_DIR, { recursive: true })
  }
}

/** The files written (name, raw content) and every step's raw output, labelled. */
export class Evidence {
  readonly written: Array<[string, string]> = []
  readonly raws: Array<[string, string]> = []

  /** Keeps what the step put out; writes its job summary to `summaryFile` when given. */
  step(label: string, result: StepResult, summaryFile?: string): void {
    this.raws.push(...rawParts(label, result))
    if (summaryFile !== undefined) this.file(summaryFile, result.summary)
  }

  /** Writes a file under the output folder, masked, and keeps its raw content. */
  file(name: string, raw: string): void {
    writeFileSync(join(OUT_DIR, name), masker.apply(raw, name.endsWith('.md') ? MARKDOWN_MASK : '***'))
    this.written.push([name, raw])
  }

  /** Prints the files written, each with what it is. */
  show(): void {
    const shownDir = relative(process.cwd(), OUT_DIR) || '.'
    say()
    say(style.bold(`Files written to ${shownDir}/`))
    const width = Math.max(...this.written.map(([file]) => file.length))
    for (const [file] of this.written)
      say(`  ${padEnd(join(shownDir, file), shownDir.length + 1 + width)}  ${what(file)}`)
  }
}

function what(file: string): string {
  if (file.endsWith('-comment.md')) return style.dim('pull-request comment (Markdown)')
  if (file.endsWith('.md')) return style.dim('job summary (Markdown)')
  if (file.endsWith('.sarif')) return style.dim('SARIF 2.1.0, for code scanning')
  if (file.endsWith('.xml')) return style.dim('JUnit XML, one test case per vulnerability')
  return style.dim('JSON report of the test run and its vulnerabilities')
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** Everything a step put out, for the leak check: the log (without the add-mask commands), outputs, env, state, summary. */
function rawParts(label: string, r: StepResult): Array<[string, string]> {
  return [
    [`${label} log`, r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr],
    [`${label} outputs`, JSON.stringify(r.outputs)],
    [`${label} GITHUB_ENV`, JSON.stringify(r.exported)],
    [`${label} GITHUB_STATE`, JSON.stringify(r.state)],
    [`${label} summary`, r.summary]
  ]
}
