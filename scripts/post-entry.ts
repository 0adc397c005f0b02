/**
 * Writes dist/post.js, the post step's entry (action.yml `post:`), after `ncc` built dist/index.js
 * (`npm run bundle` runs both). The post step must know it is the post step without any state that the
 * main step may have failed to write: this file says so, then loads the one bundle.
 */
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { POST_STEP_FLAG } from '../src/step.js'

export const POST_ENTRY = [
  "// The post step's entry (action.yml `post:`): it says it is the post step, then runs the one bundle.",
  '// Written by scripts/post-entry.ts (npm run bundle).',
  `globalThis[Symbol.for(${JSON.stringify(POST_STEP_FLAG)})] = true`,
  "await import('./index.js')",
  ''
].join('\n')

const dist = resolve(import.meta.dirname, '..', 'dist')
writeFileSync(join(dist, 'post.js'), POST_ENTRY)
