import type { State } from '../common/constants.js'
import { message } from '../common/error-message.js'
import type { RunnerPort } from './port.js'

export type StateName = (typeof State)[keyof typeof State]

/**
 * What the main step leaves for the post step (GITHUB_STATE). A write that fails never throws into the
 * work under way (the outputs must still be completed, a recording still stopped); the step asks
 * {@link StateSink.broken} and says what the post step cannot do, naming the run.
 */
export class StateSink {
  private error: unknown
  private failed = false

  constructor(private readonly port: RunnerPort) {}

  /** Saves the value; false when GITHUB_STATE could not be written. */
  save(name: StateName, value: string): boolean {
    try {
      this.port.saveState(name, value)
      return true
    } catch (err) {
      if (!this.failed) this.error = err
      this.failed = true
      return false
    }
  }

  /** Why the state could not be written, once one write failed. */
  broken(): string | undefined {
    return this.failed ? message(this.error).replace(/\.$/, '') : undefined
  }
}
