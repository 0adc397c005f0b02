/**
 * Running the bundled action's steps as the runner does (scripts/lib/action-runner.ts), shown as the
 * Actions log shows them; every step process is tracked so that a demo that gives up can kill them.
 */
import type { ChildProcess } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { runPostStep, runStep, type StepOptions, type StepResult } from '../lib/action-runner.js'
import { showStep } from './console.js'

const children = new Set<ChildProcess>()

/** The options with the step's process tracked. */
export function track(options: StepOptions): StepOptions {
  return {
    ...options,
    onSpawn: (child) => {
      children.add(child)
      child.on('close', () => children.delete(child))
    }
  }
}

/** Runs one step (the post step of `main` when given) and shows it. */
export async function step(
  kind: 'scan' | 'record' | 'stop' | 'post',
  options: StepOptions & { inputs: Record<string, string> },
  main?: StepResult
): Promise<StepResult> {
  const t0 = Date.now()
  const result = main ? await runPostStep(main, track(options)) : await runStep(track(options))
  showStep(kind, options.inputs, options.env ?? {}, result, Date.now() - t0)
  return result
}

/** Kills every step still running. */
export function killSteps(): void {
  for (const child of children) child.kill('SIGKILL')
}

/** A loopback port free right now, for an input that needs one (the node container's proxy port). */
export async function freePort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo
  await new Promise((done) => server.close(done))
  return port
}
