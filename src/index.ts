/**
 * What the runner starts (action.yml names dist/index.js for the main and the post step): it turns on
 * Node's module compile cache in RUNNER_TEMP, which every step of a job shares, then loads the action
 * (dist/start/index.js, bundled from ./start.ts). The record, stop and post steps of a job then reuse
 * the code the first one compiled instead of compiling the bundle again (see docs/benchmarks.md).
 *
 * It is a separate file because the cache only serves modules loaded after it is turned on. Nothing
 * here may fail the step: without RUNNER_TEMP, or on a Node without the cache, the action just starts.
 */
import module from 'node:module'
import { join } from 'node:path'

const temp = process.env.RUNNER_TEMP
if (temp && typeof module.enableCompileCache === 'function') {
  try {
    module.enableCompileCache(join(temp, 'wallarm-fast-compile-cache'))
  } catch {
    // A cache that cannot be written only costs the time it would have saved.
  }
}

// A separate file of dist/, not bundled here (webpackIgnore), and not a module TypeScript can see.
const action = './start/index.js'
await import(/* webpackIgnore: true */ action)
