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
 * The workflow file's path in the repository, from GITHUB_WORKFLOW_REF
 * (`owner/repo/.github/workflows/ci.yml@refs/heads/main` → `.github/workflows/ci.yml`).
 */
export function workflowPath(context: WorkflowContext): string | undefined {
  const ref = context.workflowRef
  if (!ref) return undefined
  const withoutRef = ref.split('@')[0] ?? ''
  const prefix = context.repository ? `${context.repository}/` : ''
  if (prefix && withoutRef.startsWith(prefix)) return withoutRef.slice(prefix.length)
  const at = withoutRef.indexOf('.github/')
  return at >= 0 ? withoutRef.slice(at) : undefined
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
