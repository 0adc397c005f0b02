/**
 * The real {@link RunnerPort}: the runner's own protocol, written as `@actions/core` 3 writes it — inputs
 * and state from `INPUT_*` / `STATE_*`, outputs, state and variables appended to the GITHUB_OUTPUT /
 * GITHUB_STATE / GITHUB_ENV files as `name<<ghadelimiter_<uuid>` blocks, everything else as `::command::`
 * lines on stdout with the same escaping.
 *
 * Why not `@actions/core` itself: it imports its OIDC client, which imports `@actions/http-client`, which
 * imports undici, and evaluating undici was most of every step's start-up time (see docs/benchmarks.md).
 * The few calls the action makes are these; test/action/runner-port.test.ts pins their format, and the
 * end-to-end suite reads them back as the runner does.
 */
import { randomUUID } from 'node:crypto'
import { appendFile, appendFileSync, existsSync } from 'node:fs'
import { EOL } from 'node:os'
import type { AnnotationProperties, RunnerPort } from './port.js'

export const runnerPort: RunnerPort = {
  getInput: (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
  getState: (name) => process.env[`STATE_${name}`] ?? '',
  saveState: (name, value) => fileCommand('STATE', 'save-state', name, value),
  setOutput: (name, value) => fileCommand('OUTPUT', 'set-output', name, value),
  setSecret: (secret) => command('add-mask', {}, secret),
  exportVariable: (name, value) => {
    process.env[name] = value
    fileCommand('ENV', 'set-env', name, value)
  },
  info: (message) => void process.stdout.write(`${message}${EOL}`),
  warning: (message, properties) => command('warning', annotation(properties), message),
  error: (message, properties) => command('error', annotation(properties), message),
  notice: (message, properties) => command('notice', annotation(properties), message),
  setFailed: (message) => {
    process.exitCode = 1
    command('error', {}, message)
  },
  markFailed: () => {
    process.exitCode = 1
  },
  appendSummary: async (markdown) => {
    const path = process.env.GITHUB_STEP_SUMMARY
    if (!path) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY.')
    // The callback form: node:fs/promises would load a dozen more built-in modules at start.
    await new Promise<void>((resolve, reject) =>
      appendFile(path, `${markdown}${EOL}`, { encoding: 'utf8' }, (err) => (err ? reject(err) : resolve()))
    )
  }
}

function annotation(properties: AnnotationProperties | undefined): Record<string, string> {
  return properties?.title ? { title: properties.title } : {}
}

/** `::name key=value,…::message`, escaped so that no value can end the command or start another. */
function command(name: string, properties: Record<string, string>, message: string): void {
  const props = Object.entries(properties)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',')
  process.stdout.write(`::${name}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`)
}

/** A `name<<delimiter` block in the runner's file, or the old stdout command outside a runner. */
function fileCommand(file: 'OUTPUT' | 'STATE' | 'ENV', fallback: string, name: string, value: string): void {
  const path = process.env[`GITHUB_${file}`]
  if (!path) {
    // As core does: set-output starts on a line of its own.
    if (fallback === 'set-output') process.stdout.write(EOL)
    command(fallback, { name }, value)
    return
  }
  if (!existsSync(path)) throw new Error(`Missing file at path: ${path}`)
  const delimiter = `ghadelimiter_${randomUUID()}`
  // A value holding the random delimiter could end the block early and write other outputs.
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`Unexpected input: name or value contains the delimiter "${delimiter}"`)
  }
  appendFileSync(path, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' })
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
