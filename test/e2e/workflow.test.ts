/**
 * Runs the `action` job of .github/workflows/ci.yml here, step by step, as a runner would: `uses: ./`
 * steps through the bundled action, `run:` steps in bash with the job's and the step's env, and the few
 * `${{ }}` expressions the job uses. It proves the workflow CI runs on GitHub (emulator, proxy, action,
 * the assertions on its outputs) works, which nothing else here could. The job's fixed ports are
 * replaced by free ones.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { ROOT, runStep } from './harness.js'

interface Step {
  id?: string
  name?: string
  if?: string
  uses?: string
  run?: string
  with?: Record<string, string>
  env?: Record<string, string>
}
interface Workflow {
  jobs: Record<string, { env?: Record<string, string | number>; steps: Step[] }>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** The expressions the job uses; anything else fails the test, so the job cannot outgrow this runner. */
function evaluate(
  text: string,
  context: { env: Record<string, string>; steps: Record<string, Record<string, string>> }
) {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    let m: RegExpExecArray | null
    if ((m = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr))) return context.env[m[1]!] ?? ''
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr))) return context.steps[m[1]!]?.[m[2]!] ?? ''
    if (expr === 'github.run_id') return '4242'
    throw new Error(`workflow.test.ts cannot evaluate \${{ ${expr} }}`)
  })
}

const groups: number[] = []
afterAll(() => {
  // The job's background processes (emulator, sample app) live in the process groups of their steps.
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
})

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    if (child.pid) groups.push(child.pid)
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    // Resolve on exit, not close: the step's background processes keep its pipes open.
    child.on('exit', (code) => resolve({ code, output }))
  })
}

describe('the CI workflow', () => {
  it('runs its `uses: ./` job against the emulator: record, the tests through the proxy, stop, reuse', async () => {
    const workflow = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8')) as Workflow
    const job = workflow.jobs.action!
    const runnerTemp = mkdtempSync(join(tmpdir(), 'fast-workflow-'))
    const jobEnv: Record<string, string> = {}
    for (const [name, value] of Object.entries(job.env ?? {})) jobEnv[name] = String(value)
    for (const name of ['API_PORT', 'PROXY_PORT', 'APP_PORT'])
      expect(jobEnv, `the job's env sets ${name}`).toHaveProperty(name)
    for (const name of Object.keys(jobEnv).filter((n) => n.endsWith('_PORT')))
      jobEnv[name] = String(await freePort())

    const steps: Record<string, Record<string, string>> = {}
    const exported: Record<string, string> = {}
    const log: string[] = []
    let failed = false
    for (const step of job.steps) {
      const label = step.name ?? step.uses ?? step.run ?? '?'
      if (failed && step.if !== 'always()') continue
      if (step.uses && step.uses !== './') continue // checkout, setup-node: this checkout and this node
      if (step.run?.trim() === 'npm ci') continue // installed already
      const env = { ...jobEnv, ...exported }
      if (step.uses === './') {
        const inputs: Record<string, string> = {}
        for (const [name, value] of Object.entries(step.with ?? {})) {
          inputs[name] = evaluate(String(value), { env, steps })
        }
        const result = await runStep({ inputs, env, runnerTemp })
        log.push(`▶ ${label} → exit ${result.exitCode}\n${result.stdout}`)
        if (step.id) steps[step.id] = result.outputs
        Object.assign(exported, result.exported)
        if (result.exitCode !== 0) failed = true
      } else {
        const stepEnv: Record<string, string> = {}
        for (const [name, value] of Object.entries(step.env ?? {}))
          stepEnv[name] = evaluate(String(value), { env, steps })
        const result = await bash(step.run ?? '', {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          RUNNER_TEMP: runnerTemp,
          ...env,
          ...stepEnv
        })
        log.push(`▶ ${label} → exit ${result.code}\n${result.output}`)
        if (result.code !== 0) failed = true
      }
    }

    expect(failed, log.join('\n')).toBe(false)
    expect(steps.record).toMatchObject({ conclusion: 'recording' })
    expect(steps.stop).toMatchObject({ conclusion: 'failed', baselines: '3' })
    expect(steps.reuse).toMatchObject({
      conclusion: 'failed',
      'test-record-id': steps.record!['test-record-id']
    })
  }, 180_000)
})
