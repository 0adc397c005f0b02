/**
 * Which step this process runs: action.yml names dist/index.js for the main step and dist/post.js (which
 * sets a flag, then loads the same bundle) for the post step. No state is needed to tell them apart, so a
 * main step that could not write its state never makes its post step run as a second main step.
 */
export type Step = 'main' | 'post'

/** The global (Symbol.for) that dist/post.js sets before it loads the bundle. */
export const POST_STEP_FLAG = 'wallarm-fast-action.post-step'

export function currentStep(global: object = globalThis): Step {
  return (global as Record<symbol, unknown>)[Symbol.for(POST_STEP_FLAG)] === true ? 'post' : 'main'
}
