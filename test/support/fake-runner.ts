/**
 * A typed fake of the runner port (src/action/port.ts): inputs and state in, everything the step says
 * to the runner recorded, so a test runs the whole step in-process and asserts what a user would see.
 */
import type { AnnotationProperties, RunnerPort } from '../../src/action/port.js'

export type LogLevel = 'info' | 'warning' | 'error' | 'notice'

export interface LogLine {
  level: LogLevel
  message: string
  title?: string
}

export class FakeRunner implements RunnerPort {
  readonly outputs: Record<string, string> = {}
  readonly state: Record<string, string>
  readonly exported: Record<string, string> = {}
  readonly secrets: string[] = []
  readonly logs: LogLine[] = []
  readonly failures: string[] = []
  readonly summaries: string[] = []
  /** Set by markFailed and setFailed: the step's exit code would be 1. */
  failed = false
  /** Set to make the job summary fail, as a full disk would. */
  summaryError: Error | undefined
  /** Set to make writing outputs (GITHUB_OUTPUT), state (GITHUB_STATE) or variables (GITHUB_ENV) fail. */
  outputError: Error | undefined
  stateError: Error | undefined
  envError: Error | undefined

  constructor(
    private readonly inputs: Record<string, string> = {},
    state: Record<string, string> = {}
  ) {
    this.state = { ...state }
  }

  getInput(name: string): string {
    return (this.inputs[name] ?? '').trim()
  }
  getState(name: string): string {
    return this.state[name] ?? ''
  }
  saveState(name: string, value: string): void {
    if (this.stateError) throw this.stateError
    this.state[name] = value
  }
  setOutput(name: string, value: string): void {
    if (this.outputError) throw this.outputError
    this.outputs[name] = value
  }
  setSecret(secret: string): void {
    this.secrets.push(secret)
  }
  exportVariable(name: string, value: string): void {
    if (this.envError) throw this.envError
    this.exported[name] = value
  }
  info(message: string): void {
    this.log('info', message)
  }
  warning(message: string, properties?: AnnotationProperties): void {
    this.log('warning', message, properties)
  }
  error(message: string, properties?: AnnotationProperties): void {
    this.log('error', message, properties)
  }
  notice(message: string, properties?: AnnotationProperties): void {
    this.log('notice', message, properties)
  }
  setFailed(message: string): void {
    this.failed = true
    this.failures.push(message)
  }
  markFailed(): void {
    this.failed = true
  }
  appendSummary(markdown: string): Promise<void> {
    if (this.summaryError) return Promise.reject(this.summaryError)
    this.summaries.push(markdown)
    return Promise.resolve()
  }

  /**
   * Why the step failed, as a user reads it: the message of setFailed, or, for a failure already said
   * (markFailed), the first error annotation, which is the verdict.
   */
  get failure(): string | undefined {
    return this.failures[0] ?? (this.failed ? this.lines('error')[0] : undefined)
  }

  /** The messages logged at one level. */
  lines(level: LogLevel): string[] {
    return this.logs.filter((l) => l.level === level).map((l) => l.message)
  }

  /** Everything logged, one line per message, for `toContain` on text a user reads anywhere. */
  get text(): string {
    return [...this.logs.map((l) => l.message), ...this.failures].join('\n')
  }

  private log(level: LogLevel, message: string, properties?: AnnotationProperties): void {
    this.logs.push({ level, message, ...(properties?.title ? { title: properties.title } : {}) })
  }
}
