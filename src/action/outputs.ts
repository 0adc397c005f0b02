import * as core from '@actions/core'
import { Outputs } from '../constants.js'

type OutputName = (typeof Outputs)[keyof typeof Outputs]

/**
 * Sets outputs as soon as they are known and, at the end, every declared output that is still unset
 * to '' — so a later step never reads a missing output (what-users-ask #10).
 */
export class OutputSink {
  private readonly written = new Map<OutputName, string>()

  set(name: OutputName, value: string | number | undefined): void {
    const text = value === undefined ? '' : String(value)
    if (this.written.get(name) === text) return
    this.written.set(name, text)
    core.setOutput(name, text)
  }

  /** Sets every declared output not set yet to ''. */
  complete(): void {
    for (const name of Object.values(Outputs)) {
      if (!this.written.has(name)) this.set(name, '')
    }
  }
}
