/**
 * The Docker CLI, spawned like any other tool (no library that talks to the engine's socket): the
 * runner's Docker configuration (DOCKER_HOST, contexts, credentials for a mirror) applies as it does in
 * a `run` step. Every call is bounded, and one that outlives its bound says so. No `@actions/core` here.
 */
import { execFile } from 'node:child_process'

/** The label on every container this action starts, so that one left behind can be found. */
export const CONTAINER_LABEL = 'com.wallarm.fast-action'

export interface DockerResult {
  code: number
  stdout: string
  stderr: string
}

/** `30 s`, `0.5 s`: a bound as the messages name it. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

/**
 * Runs `docker args…`; a missing binary is code 127, as a shell says it, and one that outlived
 * `timeoutMs` is code 124, as timeout(1) says it, with "docker <command> timed out after N s" as its
 * error (not the "Command failed" of the process killed for it).
 */
export function docker(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  signal?: AbortSignal
): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      args,
      { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, ...(signal ? { signal } : {}) },
      (err, stdout, stderr) => {
        if (err?.killed && !signal?.aborted) {
          resolve({
            code: 124,
            stdout: String(stdout),
            stderr: `docker ${args[0] ?? ''} timed out after ${seconds(timeoutMs)}`
          })
          return
        }
        const code =
          err === null
            ? 0
            : (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? 127
              : typeof err.code === 'number'
                ? err.code
                : 1
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err?.message ?? '') })
      }
    )
  })
}
