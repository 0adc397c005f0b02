import { Outputs, type Conclusion } from '../common/constants.js'
import type { RunnerPort } from './port.js'

type OutputName = (typeof Outputs)[keyof typeof Outputs]

/**
 * Sets outputs as soon as they are known and, at the end, every declared output that is still unset
 * to '' — so a later step never reads a missing output. A step that ends before it concluded (a bad
 * input, an API error, a crash) ends with the conclusion `error`.
 */
export class OutputSink {
  private readonly written = new Map<OutputName, string>()

  constructor(private readonly port: RunnerPort) {}

  set(name: OutputName, value: string | number | undefined): void {
    const text = value === undefined ? '' : String(value)
    if (this.written.get(name) === text) return
    this.written.set(name, text)
    this.port.setOutput(name, text)
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
}
