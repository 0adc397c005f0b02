import { createClient as realClient, type ClientFactory } from './action/client.js'
import type { RunnerPort } from './action/port.js'
import { ReportedFailure, message } from './common/error-message.js'
import { runMain, type MainDeps } from './main.js'
import { runPost } from './post.js'
import type { Step } from './step.js'

/** The process as the entry uses it: its environment and the runner's cancel signals. */
export interface EntryProcess {
  env: NodeJS.ProcessEnv
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
}

/**
 * Runs the main or the post step, and is the one place where a step's failure becomes a failed step
 * (main) or a warning (post: it only cleans up). When the workflow is cancelled the runner sends SIGINT
 * (then SIGTERM 7.5 s later, then kills): the first signal aborts the work under way so the step can stop
 * a recording it started and write what it knows; a second one ends the process as usual.
 */
export async function entry(
  port: RunnerPort,
  proc: EntryProcess,
  /** Which entry of action.yml started this process (./step.ts): never guessed from the state. */
  step: Step,
  createClient: ClientFactory = realClient,
  overrides: Partial<Omit<MainDeps, 'env' | 'signal'>> = {}
): Promise<void> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    port.info(`Received ${signal}: cancelling.`)
    // The next signal (the runner's SIGTERM after SIGINT) ends the process as usual.
    proc.off('SIGINT', onSignal)
    proc.off('SIGTERM', onSignal)
    controller.abort()
  }
  const isPost = step === 'post'
  // Only the main step has remote work to wind down; the post step is one short stop request.
  if (!isPost) {
    proc.on('SIGINT', onSignal)
    proc.on('SIGTERM', onSignal)
  }
  try {
    if (isPost) await runPost(port, createClient, proc.env)
    else await runMain(port, createClient, { ...overrides, env: proc.env, signal: controller.signal })
  } catch (err) {
    if (isPost) port.warning(message(err))
    else if (err instanceof ReportedFailure) port.markFailed()
    else port.setFailed(message(err))
  } finally {
    proc.off('SIGINT', onSignal)
    proc.off('SIGTERM', onSignal)
  }
}
