/**
 * The bundle's entry point (dist/index.js), for both the main and the post step: action.yml names the
 * same file twice, as actions/checkout does, and the main step saves the `is-post` state, which the
 * runner hands back to the post step only.
 */
import { corePort } from './action/core-port.js'
import { entry } from './entry.js'

await entry(corePort, process)
