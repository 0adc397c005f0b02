/**
 * The bundle's entry point (dist/index.js), for both the main and the post step: action.yml names
 * dist/index.js for main, and dist/post.js for post, which sets the post-step flag (./step.ts) and then
 * loads this same bundle.
 */
import { corePort } from './action/core-port.js'
import { entry } from './entry.js'
import { currentStep } from './step.js'

await entry(corePort, process, currentStep())
