/**
 * What the demo prints: each step as the Actions log shows it (its inputs, its log, its outputs and job
 * summary), always through the mask, as the runner's log is.
 */
import type { StepResult } from '../lib/action-runner.js'
import {
  Masker,
  colourEnabled,
  makeStyle,
  padEnd,
  renderLog,
  renderMarkdown,
  shorten
} from '../lib/terminal.js'

/** `***` as Markdown text, not emphasis. */
export const MARKDOWN_MASK = '\\*\\*\\*'

export const style = makeStyle(colourEnabled())
/** Every secret the demo knows of, and those the steps mask (`::add-mask::`). */
export const masker = new Masker()

/** Prints through the mask, as the runner's log does. */
export function say(text = ''): void {
  console.log(masker.apply(text))
}

export function jobHeader(title: string, note: string): void {
  say()
  say(style.magenta(style.bold(`━━ ${title} `)) + style.dim(`(${note})`))
}

/** One step as the Actions log shows it: the header with its inputs, the log, then outputs and summary. */
export function showStep(
  kind: string,
  inputs: Record<string, string>,
  env: Record<string, string | undefined>,
  result: StepResult,
  ms: number
): void {
  masker.addFromLog(result.stdout)
  say()
  say(
    style.bold(
      kind === 'post' ? '▶ Post Run wallarm-fast-action' : `▶ Run wallarm-fast-action (mode: ${inputs.mode})`
    )
  )
  if (kind !== 'post') {
    say(style.dim('  with:'))
    for (const [name, value] of Object.entries(inputs)) {
      if (name !== 'github-token') say(style.dim(`    ${name}: ${value.replace(/\n/g, '\n      ')}`))
    }
    const envEntries = Object.entries(env).filter(([, v]) => v !== undefined)
    if (envEntries.length > 0) {
      say(style.dim('  env (from the record step, via GITHUB_ENV):'))
      for (const [name, value] of envEntries) say(style.dim(`    ${name}: ${value}`))
    }
  }
  for (const line of renderLog(result.stdout, style)) say(`  ${line}`)
  for (const line of result.stderr.split('\n').filter((l) => l.trim() !== '')) say(`  ${style.red(line)}`)

  const outputs = Object.entries(result.outputs)
  if (outputs.length > 0) {
    say(style.dim('  outputs:'))
    const width = Math.max(...outputs.map(([name]) => name.length))
    const empty: string[] = []
    for (const [name, value] of outputs) {
      if (value === '') empty.push(name)
      else {
        const shown = value.split(result.runnerTemp).join('$RUNNER_TEMP')
        const cut = shorten(shown, 80)
        say(
          `    ${padEnd(name, width)} = ${cut}${cut === shown ? '' : style.dim(` (${shown.length} characters)`)}`
        )
      }
    }
    if (empty.length > 0) say(style.dim(`    (empty: ${empty.join(', ')})`))
  }
  const code = result.exitCode ?? result.signal
  const ending =
    result.exitCode === 0
      ? style.green('exit 0')
      : style.red(
          `exit ${code}${kind === 'stop' || kind === 'reuse' || kind === 'scan' ? ': the step fails, the gate blocks the job' : ''}`
        )
  say(`  ${ending}  ${style.dim(`(${(ms / 1000).toFixed(1)} s)`)}`)
  if (result.summary.trim() !== '') {
    say(style.dim('  ┌ job summary'))
    for (const line of renderMarkdown(masker.apply(result.summary, MARKDOWN_MASK), style))
      say(`  ${style.dim('│')} ${line}`.trimEnd())
    say(style.dim('  └'))
  }
}
