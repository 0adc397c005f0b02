/**
 * The post step (`post-if: always()`): if a record step of this job left its run recording — the tests
 * failed and the stop step was skipped, or the job was cancelled — stop the recording, so the test
 * record can be reused; if a scan step was killed before it removed its node container, remove it. It warns on its own hiccups and never fails the job (the entry turns what it
 * throws into a warning).
 */
import { Inputs, State } from './common/constants.js'
import type { ClientFactory } from './action/client.js'
import { readInputs } from './action/inputs.js'
import { explain } from './action/remedies.js'
import type { RunnerPort } from './action/port.js'
import { removeLeftContainer } from './scan/runner.js'
import { toId } from './wallarm/normalize.js'

export async function runPost(
  port: RunnerPort,
  createClient: ClientFactory,
  env: NodeJS.ProcessEnv
): Promise<void> {
  await removeLeftContainer(port, env)
  // The id as its exact decimal text: ids above 2^53 must not become another run's.
  const runId = toId(port.getState(State.RecordingRunId))
  if (runId === undefined) return

  // Only a record step leaves a recording behind, whatever the post step is given as mode.
  const settings = readInputs(port, env, { [Inputs.Mode]: 'record' })
  if (!settings.autoStop) {
    port.info(`auto-stop is false: test run ${runId} is left as it is.`)
    return
  }
  const token = settings.token
  const baseUrl = port.getState(State.ApiBaseUrl)
  if (!token || !baseUrl) {
    port.warning(
      `Test run ${runId} may still be recording, but the post step has no token or API address to stop it.`
    )
    return
  }

  const client = createClient({
    baseUrl,
    token,
    attempts: 3,
    timeoutMs: 10_000,
    onNotice: (text) => port.info(text)
  })
  try {
    const run = await client.getTestRun(runId)
    if (!run.recording) {
      port.info(`Test run ${runId} is no longer recording: nothing to clean up.`)
      return
    }
    const stopped = await client.stopRecording(runId)
    port.info(
      `Stopped the recording of test run ${runId}, which this job left running (a step failed before the stop ` +
        `step, or the job was cancelled). Test record ${stopped.test_record_id}, with ` +
        `${stopped.baseline_count} baseline(s), can be reused once this run ends.`
    )
  } catch (err) {
    port.warning(`Could not stop the recording of test run ${runId}: ${explain(err)}`)
  } finally {
    client.dispose()
  }
}
