import { readFileSync } from 'node:fs'
import type { WorkflowContext } from '../report/model.js'

/** Where this step runs, from the runner's GITHUB_* variables. */
export function workflowContext(env: NodeJS.ProcessEnv): WorkflowContext {
  const pick = (name: string): string | undefined => env[name] || undefined
  return {
    serverUrl: pick('GITHUB_SERVER_URL'),
    repository: pick('GITHUB_REPOSITORY'),
    workflow: pick('GITHUB_WORKFLOW'),
    workflowRef: pick('GITHUB_WORKFLOW_REF'),
    job: pick('GITHUB_JOB'),
    runId: pick('GITHUB_RUN_ID'),
    runNumber: pick('GITHUB_RUN_NUMBER'),
    runAttempt: pick('GITHUB_RUN_ATTEMPT'),
    sha: pick('GITHUB_SHA'),
    ref: pick('GITHUB_REF')
  }
}

/**
 * The event that started the workflow (the JSON file at GITHUB_EVENT_PATH), or undefined when there is
 * none or it cannot be read: only the pull-request comment needs it, and a missing comment only warns.
 */
export function readEventPayload(env: NodeJS.ProcessEnv): unknown {
  const path = env.GITHUB_EVENT_PATH
  if (!path) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown
  } catch {
    return undefined
  }
}
