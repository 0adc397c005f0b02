/**
 * The bundle's entry point (dist/index.js), for both the main and the post step: action.yml names
 * dist/index.js for main, and dist/post.js for post, which sets the post-step flag (./step.ts) and then
 * loads this same bundle.
 */
import { setFlagsFromString } from 'node:v8'
import { corePort } from './action/core-port.js'
import { entry } from './entry.js'
import { currentStep } from './step.js'

// V8's young generation keeps its first size instead of growing after each scavenge in which much
// survives. Reading and reporting 20,000 findings builds long-lived lists all along, which grew it by
// tens of megabytes never given back (npm run bench, 20,000 findings, the reports already streamed:
// ~280 → ~145 MB peak, and faster). A runtime flag: action.yml gives node no arguments, and Node keeps
// V8's flags writable for v8.setFlagsFromString.
setFlagsFromString('--semi-space-growth-factor=1')

await entry(corePort, process, currentStep())
