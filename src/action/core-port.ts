/** The real {@link RunnerPort}: the runner through `@actions/core`. The only file that imports it. */
import * as core from '@actions/core'
import type { RunnerPort } from './port.js'

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
  appendSummary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write()
  }
}
