/**
 * The action bundle's entry point (dist/start/index.js, loaded by ./index.ts), for both the main and the post step (action.yml names the same
 * file twice, as actions/checkout does): the main step saves the `is-post` state, which the runner
 * hands back to the post step only.
 */
import { runnerPort } from './action/runner-port.js'
import { entry } from './entry.js'

await entry(runnerPort, process)
