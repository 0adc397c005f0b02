/**
 * The real {@link RunnerPort}: every call goes to `@actions/core`, which speaks the runner's protocol
 * (inputs and state from `INPUT_*` / `STATE_*`, outputs, state and variables as delimited blocks in the
 * GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV files, the rest as escaped `::command::` lines on stdout).
 * The port stays so that the in-process tests can drive a whole step with a typed fake
 * (test/action/harness.ts); test/action/core-port.test.ts reads what this adapter writes as the runner does.
 */
import * as core from '@actions/core'
import type { RunnerPort } from './port.js'

/**
 * `core.summary` is one shared buffer that `write()` flushes: appends are chained so that two at once
 * cannot write each other's text twice, and a write that failed leaves nothing behind for the next one.
 */
let summaryWrites: Promise<unknown> = Promise.resolve()

export const corePort: RunnerPort = {
  getInput: (name) => core.getInput(name),
  getState: (name) => core.getState(name),
  saveState: (name, value) => core.saveState(name, value),
  setOutput: (name, value) => core.setOutput(name, value),
  setSecret: (secret) => core.setSecret(secret),
  exportVariable: (name, value) => core.exportVariable(name, value),
  info: (message) => core.info(message),
  warning: (message, properties) => core.warning(message, properties),
  error: (message, properties) => core.error(message, properties),
  notice: (message, properties) => core.notice(message, properties),
  setFailed: (message) => core.setFailed(message),
  markFailed: () => {
    process.exitCode = core.ExitCode.Failure
  },
  appendSummary: (markdown) => {
    const write = summaryWrites.then(async () => {
      try {
        await core.summary.addRaw(markdown, true).write()
      } finally {
        core.summary.emptyBuffer()
      }
    })
    summaryWrites = write.catch(() => undefined)
    return write
  }
}
