/**
 * Runs the bundled action (dist/index.js) exactly as the GitHub runner does: inputs as INPUT_* variables
 * (names upper-cased, hyphens kept) with action.yml's defaults filled in, the GITHUB_OUTPUT, GITHUB_STATE,
 * GITHUB_ENV and GITHUB_STEP_SUMMARY files, and the post step with the saved state as STATE_* variables.
 */
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadActionManifest } from './github-parser.js'

/**
 * The workflow run id the steps see: this process's own, so that the containers a scan step labels with it
 * (com.wallarm.fast-action=<run id>) tell this test process's apart from another's on the same engine.
 */
export const RUN_ID = String(process.pid)

export const ROOT = resolve(import.meta.dirname, '..', '..')

// As the runner does: a manifest that GitHub's parser refuses is never run.
const action = loadActionManifest(ROOT)

/** The files action.yml names for the main and the post step, as the runner starts them. */
export const DIST = join(ROOT, action.runs.main ?? 'dist/index.js')
export const DIST_POST = join(ROOT, action.runs.post ?? action.runs.main ?? 'dist/index.js')

/** The defaults the runner would pass, with `${{ github.token }}` evaluated to a stand-in. */
export function defaultInputs(githubToken = 'ghs_job_token_stand_in'): Record<string, string> {
  const inputs: Record<string, string> = {}
  for (const [name, input] of Object.entries(action.inputs)) {
    if (input.default === undefined) continue
    inputs[name] = input.default.replace('${{ github.token }}', githubToken)
  }
  return inputs
}

/** Parses the `name<<delimiter` / `name=value` format @actions/core writes to the runner's files. */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^<=]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const body: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!)
      values[name!] = body.join('\n')
    } else if (line.includes('=')) {
      const at = line.indexOf('=')
      values[line.slice(0, at)] = line.slice(at + 1)
    }
  }
  return values
}

export interface StepResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  state: Record<string, string>
  exported: Record<string, string>
  summary: string
  runnerTemp: string
}

export interface StepOptions {
  inputs?: Record<string, string>
  env?: Record<string, string | undefined>
  /** STATE_* values: set for the post step. */
  state?: Record<string, string>
  /** Path of the node binary; default this process's. */
  node?: string
  /** Called once the process is running (e.g. to send it a signal later). */
  onSpawn?: ((child: ReturnType<typeof spawn>) => void) | undefined
  runnerTemp?: string
  /** Which entry of action.yml runs: the main step's (default) or the post step's. */
  entry?: 'main' | 'post'
  /** Another build of the action to run instead of action.yml's entry (a bench comparing two builds). */
  script?: string | undefined
}

let stepCounter = 0

/** Folders made for steps, removed when this process ends. */
const madeDirs: string[] = []
process.once('exit', () => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true })
})

export async function runStep(options: StepOptions = {}): Promise<StepResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fast-step-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_PATH: join(dir, 'path')
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const runnerTemp = options.runnerTemp ?? mkdtempSync(join(tmpdir(), 'fast-runner-temp-'))
  madeDirs.push(dir)
  if (!options.runnerTemp) madeDirs.push(runnerTemp)

  const env: Record<string, string> = {}
  // A clean environment, as a runner's: nothing of this test process leaks into the step.
  for (const key of ['PATH', 'HOME', 'LANG', 'SYSTEMROOT', 'TMPDIR']) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  Object.assign(env, files, {
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: `__wallarm_fast_${++stepCounter}`,
    GITHUB_REPOSITORY: 'octo/shop',
    GITHUB_WORKFLOW: 'security',
    GITHUB_WORKFLOW_REF: 'octo/shop/.github/workflows/security.yml@refs/heads/main',
    GITHUB_JOB: 'fast',
    GITHUB_RUN_ID: RUN_ID,
    GITHUB_RUN_NUMBER: '56',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: 'deadbeef',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push'
  })
  for (const [name, value] of Object.entries({ ...defaultInputs(), ...options.inputs })) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }

  const child = spawn(
    options.node ?? process.execPath,
    [options.script ?? (options.entry === 'post' ? DIST_POST : DIST)],
    {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe']
    }
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  options.onSpawn?.(child)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.on('close', (code, sig) => done([code, sig]))
  )
  return {
    exitCode,
    signal,
    stdout,
    stderr,
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')),
    exported: parseCommandFile(readFileSync(files.GITHUB_ENV, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerTemp
  }
}

/** The post step of a step that ran before: action.yml's post entry, its state back as STATE_*. */
export function runPostStep(main: StepResult, options: StepOptions = {}): Promise<StepResult> {
  return runStep({ ...options, entry: 'post', state: { ...main.state, ...options.state } })
}

let node24: string | undefined

/**
 * A Node 24 binary, the runtime action.yml declares, fetched from the npm registry by `npx -y node@24`
 * (cached by npm after the first time). Throws when it cannot be had: a test on Node 24 must not pass
 * by quietly running on another runtime.
 */
export function node24Path(): string {
  if (node24 !== undefined) return node24
  const out = execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000
  })
  const path = out.trim().split('\n').pop() ?? ''
  if (!existsSync(path)) throw new Error(`npx -y node@24 gave no usable node binary: ${out}`)
  node24 = path
  return path
}
