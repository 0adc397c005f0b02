/**
 * The one port between the action and the runner. `runMain` and `runPost` receive it as a parameter
 * (as actions/create-github-app-token passes `core` into its `main`), so the real adapter, which hands
 * every call to `@actions/core` (./core-port.ts), is one file and tests drive the whole step with a typed fake.
 */

/** What an annotation carries besides its text. */
export interface AnnotationProperties {
  title?: string
}

export interface RunnerPort {
  /** The input's value, trimmed; '' when unset. */
  getInput(name: string): string
  /** What the main step saved for the post step; '' when unset. */
  getState(name: string): string
  saveState(name: string, value: string): void
  setOutput(name: string, value: string): void
  /** Masks the value in every later log line. */
  setSecret(secret: string): void
  /** Sets an environment variable for this step's process and every later step of the job. */
  exportVariable(name: string, value: string): void
  info(message: string): void
  warning(message: string, properties?: AnnotationProperties): void
  error(message: string, properties?: AnnotationProperties): void
  notice(message: string, properties?: AnnotationProperties): void
  /** Logs the message as an error and makes the step fail. */
  setFailed(message: string): void
  /** Makes the step fail without a message: what failed it was said already (the verdict annotation). */
  markFailed(): void
  /** Appends Markdown to the job summary (GITHUB_STEP_SUMMARY). */
  appendSummary(markdown: string): Promise<void>
}
