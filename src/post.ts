/**
 * The post step (`post-if: always()`): if a record step of this job left its run recording — the tests
 * failed and the stop step was skipped, or the job was cancelled — stop the recording, so the test
 * record can be reused. It warns on its own hiccups and never fails the job.
 */
import * as core from '@actions/core'
import { Env, Inputs, State } from './constants.js'
import { message } from './flow.js'
import { VERSION } from './version.js'
import { FastClient } from './wallarm/client.js'

export async function runPost(env: NodeJS.ProcessEnv): Promise<void> {
  const runId = Number(core.getState(State.RecordingRunId))
  if (!Number.isInteger(runId) || runId <= 0) return

  const autoStop = core.getInput(Inputs.AutoStop)
  if (/^false$/i.test(autoStop)) {
    core.info(`auto-stop is false: test run ${runId} is left as it is.`)
    return
  }
  const rawToken = core.getInput(Inputs.Token) || env[Env.Token] || ''
  for (const form of new Set([rawToken, rawToken.trim()])) if (form) core.setSecret(form)
  const token = rawToken.trim()
  const baseUrl = core.getState(State.ApiBaseUrl)
  if (!token || !baseUrl) {
    core.warning(
      `Test run ${runId} may still be recording, but the post step has no token or API address to stop it.`
    )
    return
  }

  const client = new FastClient({
    baseUrl,
    token,
    userAgent: `wallarm-fast-action/${VERSION}`,
    attempts: 3,
    timeoutMs: 10_000,
    onNotice: (text) => core.info(text)
  })
  try {
    const run = await client.getTestRun(runId)
    if (!run.recording) {
      core.info(`Test run ${runId} is no longer recording: nothing to clean up.`)
      return
    }
    const stopped = await client.stopRecording(runId)
    core.info(
      `Stopped the recording of test run ${runId}, which this job left running (a step failed before the stop ` +
        `step, or the job was cancelled). Test record ${stopped.test_record_id}, with ` +
        `${stopped.baseline_count} baseline(s), can be reused once this run ends.`
    )
  } catch (err) {
    core.warning(`Could not stop the recording of test run ${runId}: ${message(err)}`)
  } finally {
    client.dispose()
  }
}
