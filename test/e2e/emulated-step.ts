/** One step of the bundled action against an emulator, with the inputs every e2e test of it sets. */
import type { Emulator } from '../../emulator/index.js'
import { runStep, type StepOptions, type StepResult } from './harness.js'

/**
 * A record step records for a day (no test pauses long enough to end it), a stop step stops at once; no
 * other mode gets inputs it would ignore with a warning.
 */
export function emulatedStep(
  emu: Emulator,
  token: string,
  inputs: Record<string, string>,
  opts: StepOptions = {}
): Promise<StepResult> {
  return runStep({
    ...opts,
    inputs: {
      token,
      'api-host': emu.apiUrl,
      ...(inputs.mode === 'stop' ? { 'stop-grace-period': '0s' } : {}),
      ...(inputs.mode === 'record' ? { 'inactivity-timeout': '86400' } : {}),
      ...inputs
    }
  })
}
