/**
 * scan mode on the runner: the ports runScan needs, built from the little of the runner it uses, and
 * the post step's clean-up. `@actions/core` satisfies ScanRunner today, and so would a runner port.
 */
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { State } from '../common/constants.js'
import { message } from '../common/error-message.js'
import { CommandLog, stdoutSink, withoutSecrets, type Sink } from './command.js'
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
  apiBaseUrl: string,
  /** Where the command's output is written as it comes: this process's stdout, as the runner's lines. */
  write: Sink = stdoutSink
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
    commandOutput: () => commandLog(runner, write)
  }
}

/** A line longer than this is written in pieces, each neutralised: output cannot grow the buffer forever. */
const MAX_LINE_BYTES = 64 * 1024

/**
 * The test command's output in the job log. It opens with workflow commands turned off
 * (`::stop-commands::` with a random token the output cannot guess): the tests print the application's
 * answers, which must neither forge an annotation nor silence the action's own verdict. While they are off
 * the output is written as it comes, byte for byte. `resume` turns them back on, on a line of its own;
 * whatever comes after that (from processes the command left running in the background) is written a
 * line at a time, each line neutralised (logSafe), so it can be no command either. Everything goes to
 * `sink` one piece at a time, each once the one before is out (back-pressure, see CommandLog).
 */
function commandLog(runner: ScanRunner, sink: Sink): CommandLog {
  const resumeToken = `fast-${randomUUID()}`
  runner.info(`::stop-commands::${resumeToken}`)
  let off = true
  let atLineStart = true
  let partial = Buffer.alloc(0)
  /** The lines, each neutralised, as one write. */
  const lines = (list: Buffer[]): Buffer =>
    Buffer.from(list.map((line) => `${logSafe(line.toString('utf8').replace(/\r$/, ''))}\n`).join(''))
  const resume = (done: () => void): void => {
    if (!off) return done()
    off = false
    sink(Buffer.from(`${atLineStart ? '' : '\n'}::${resumeToken}::\n`), done)
  }
  return new CommandLog({
    chunk: (chunk, done) => {
      if (off) {
        atLineStart = chunk[chunk.length - 1] === 0x0a
        return sink(chunk, done)
      }
      partial = Buffer.concat([partial, chunk])
      const whole: Buffer[] = []
      for (let at = partial.indexOf(0x0a); at >= 0; at = partial.indexOf(0x0a)) {
        whole.push(partial.subarray(0, at))
        partial = partial.subarray(at + 1)
      }
      while (partial.length > MAX_LINE_BYTES) {
        whole.push(partial.subarray(0, MAX_LINE_BYTES))
        partial = partial.subarray(MAX_LINE_BYTES)
      }
      if (whole.length === 0) return done()
      sink(lines(whole), done)
    },
    resume,
    close: (done) => {
      const last = partial
      partial = Buffer.alloc(0)
      // A partial line is kept only once commands are back on: then it is the last line, neutralised.
      if (last.length === 0) resume(done)
      else sink(lines([last]), done)
    }
  })
}
