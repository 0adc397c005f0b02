/**
 * The Docker engine and the emulator's node image, for what needs real ones: the image and scan-mode
 * tests, and the demo's container variant. One place says why they cannot be used here, so the tests'
 * skip lines and the demo's "left out" line agree.
 */
import { spawnSync } from 'node:child_process'

export const EMULATOR_IMAGE = process.env.EMULATOR_IMAGE || 'wallarm-fast-emulator:local'

/** Why no engine can be used, or null when one answers. */
export function dockerUnavailable(): string | null {
  const r = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 15_000
  })
  if (r.error) return `the docker client cannot run (${r.error.message})`
  if (r.status !== 0) return `no Docker engine answers (${(r.stderr || r.stdout).trim().split('\n')[0]})`
  return null
}

/** Why the emulator's node image cannot be run, or null when the engine has it. */
export function emulatorImageUnavailable(image = EMULATOR_IMAGE): string | null {
  const engine = dockerUnavailable()
  if (engine !== null) return engine
  const r = spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore', timeout: 15_000 })
  return r.status === 0 ? null : `the image ${image} is not built (npm run emulator:image)`
}
