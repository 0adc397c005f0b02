import { Outputs, type Conclusion } from '../common/constants.js'
import { message } from '../common/error-message.js'
import type { RunnerPort } from './port.js'

type OutputName = (typeof Outputs)[keyof typeof Outputs]

/**
 * Sets outputs as soon as they are known and, at the end, every declared output that is still unset
 * to '' — so a later step never reads a missing output. A step that ends before it concluded (a bad
 * input, an API error, a crash) ends with the conclusion `error`.
 *
 * A write that fails (GITHUB_OUTPUT or GITHUB_ENV on a full disk, a broken runner) never throws into the
 * work under way: a recording must still be noted and stopped, and the first error stays the one said.
 * The first failure is kept, and {@link OutputSink.failure} words it with the run's ids for the step to
 * report at its end.
 */
export class OutputSink {
  private readonly written = new Map<OutputName, string>()
  private broken: { what: string; error: unknown } | undefined

  constructor(private readonly port: RunnerPort) {}

  set(name: OutputName, value: string | number | undefined): void {
    const text = value === undefined ? '' : String(value)
    if (this.written.get(name) === text) return
    this.written.set(name, text)
    this.guard('outputs (GITHUB_OUTPUT)', () => this.port.setOutput(name, text))
  }

  /** An environment variable for later steps (GITHUB_ENV), with the same care as an output. */
  exportVariable(name: string, value: string): void {
    this.guard('environment variables for later steps (GITHUB_ENV)', () =>
      this.port.exportVariable(name, value)
    )
  }

  conclude(conclusion: Conclusion): void {
    this.set(Outputs.Conclusion, conclusion)
  }

  /** Concludes `error` unless concluded, and sets every declared output not set yet to ''. */
  complete(): void {
    if (!this.written.has(Outputs.Conclusion)) this.conclude('error')
    for (const name of Object.values(Outputs)) {
      if (!this.written.has(name)) this.set(name, '')
    }
  }

  /** What could not be written, with the ids a person needs to find the run; undefined when all was. */
  failure(): string | undefined {
    if (this.broken === undefined) return undefined
    const runId = this.written.get(Outputs.TestRunId)
    const recordId = this.written.get(Outputs.TestRecordId)
    const ids = runId
      ? ` Test run ${runId}${recordId ? ` (test record ${recordId})` : ''}: later steps cannot read its ids from this step.`
      : ''
    return `Writing the step's ${this.broken.what} failed: ${message(this.broken.error).replace(/\.$/, '')}.${ids}`
  }

  private guard(what: string, write: () => void): void {
    try {
      write()
    } catch (error) {
      this.broken ??= { what, error }
    }
  }
}
