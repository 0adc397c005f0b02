/**
 * scan mode on the runner: the ports runScan needs, built from the little of the runner it uses, and
 * the post step's clean-up. `@actions/core` satisfies ScanRunner today, and so would a runner port.
 */
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { State } from '../common/constants.js'
import { message } from '../common/error-message.js'
import { withoutSecrets } from './command.js'
import { removeContainer } from './node.js'
import type { ScanPorts } from './run-scan.js'
import { logSafe } from '../text/untrusted.js'

/** The little of the runner that scan mode needs. */
export interface ScanRunner {
  info(message: string): void
  warning(message: string): void
  saveState(name: string, value: string): void
  getState(name: string): string
}

/**
 * The post step's part: remove the node container of a scan step that was killed before it could. It
 * only warns on failure, as the post step never fails the job.
 */
export async function removeLeftContainer(runner: ScanRunner, env: NodeJS.ProcessEnv): Promise<void> {
  const container = runner.getState(State.NodeContainer)
  if (!container) return
  try {
    const outcome = await removeContainer(container, withoutSecrets(env))
    runner.info(
      `The FAST node container ${container} ${outcome === 'removed' ? 'was removed' : 'was already gone'}.`
    )
  } catch (err) {
    runner.warning(message(err))
  }
}

/** The ports of a step on the runner: the container in the step's state, groups as the runner draws them. */
export function scanPorts(
  runner: ScanRunner,
  env: NodeJS.ProcessEnv,
  token: string,
  apiBaseUrl: string
): ScanPorts {
  return {
    env,
    token,
    apiBaseUrl,
    tempDir: env.RUNNER_TEMP || tmpdir(),
    ...(env.GITHUB_RUN_ID ? { labelValue: env.GITHUB_RUN_ID } : {}),
    onContainer: (name) => runner.saveState(State.NodeContainer, name ?? ''),
    group: (title, text) => {
      // The runner's own group commands, the title escaped as @actions/core escapes command data.
      runner.info(`::group::${title.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`)
      // The text comes from outside (the node's log): each of its lines made inert.
      runner.info(
        text
          .split(/\r\n|\r|\n/)
          .map(logSafe)
          .join('\n')
      )
      runner.info('::endgroup::')
    },
    untrustedOutput: async (run) => {
      // While the tests run, their output (which can carry the application's answers) is no workflow
      // command: it could otherwise forge annotations or stop-commands the action's own verdict. The
      // token that turns commands back on is random, so the output cannot guess it.
      const resume = `fast-${randomUUID()}`
      runner.info(`::stop-commands::${resume}`)
      try {
        return await run()
      } finally {
        // On a line of its own, whether or not the output ended with a line break.
        runner.info('')
        runner.info(`::${resume}::`)
      }
    }
  }
}
