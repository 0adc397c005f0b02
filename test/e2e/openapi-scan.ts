/**
 * One scan step with the sample app's spec (sample-app/openapi.yaml), the bundled action on Node 24 as the
 * runner runs it, against the emulator's node: what the openapi e2e tests share. The workspace is the
 * repository root, so `openapi` is the spec's path as a workflow would give it.
 */
import { dirname, resolve } from 'node:path'
import type { Emulator } from '../../emulator/index.js'
import type { SampleApp } from '../../sample-app/server.js'
import { runStep, type StepResult } from './harness.js'

export const REPO = resolve(import.meta.dirname, '..', '..')
export const SPEC = 'sample-app/openapi.yaml'

export interface SpecScan {
  node24: string
  app: SampleApp
  emu: Emulator
  token: string
}

/** scan mode with `openapi: sample-app/openapi.yaml`, the test command `run` and any further inputs. */
export function scanWithSpec(
  at: SpecScan,
  run: string,
  inputs: Record<string, string> = {}
): Promise<StepResult> {
  return runStep({
    node: at.node24,
    env: { PATH: `${dirname(at.node24)}:${process.env.PATH}`, GITHUB_WORKSPACE: REPO, TARGET: at.app.url },
    inputs: {
      mode: 'scan',
      token: at.token,
      'api-host': at.emu.apiUrl,
      'node-url': at.emu.proxyUrl,
      target: at.app.url,
      openapi: SPEC,
      'stop-grace-period': '0s',
      'inactivity-timeout': '86400',
      run,
      ...inputs
    }
  })
}
