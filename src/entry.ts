import * as core from '@actions/core'
import { State } from './constants.js'
import { message } from './flow.js'
import { runMain } from './main.js'
import { runPost } from './post.js'

/**
 * Runs the main or the post step. When the workflow is cancelled the runner sends SIGINT (then SIGTERM
 * 7.5 s later, then kills): the first signal aborts the work under way so the step can stop a recording
 * it started and write what it knows; a second one ends the process as usual.
 */
export async function entry(): Promise<void> {
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    core.info(`Received ${signal}: cancelling.`)
    // The next signal (the runner's SIGTERM after SIGINT) ends the process as usual.
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    controller.abort()
  }
  const isPost = core.getState(State.IsPost) === 'true'
  // Only the main step has remote work to wind down; the post step is one short stop request.
  if (!isPost) {
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }
  try {
    if (isPost) await runPost(process.env)
    else await runMain({ env: process.env, signal: controller.signal })
  } catch (err) {
    // The post step only cleans up: its own failures are warnings, never a failed job.
    if (isPost) core.warning(message(err))
    else core.setFailed(message(err))
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
