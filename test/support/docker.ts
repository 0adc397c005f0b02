/**
 * The Docker engine for the tests that need a real one (the node's container image). Without an
 * engine they are skipped with a line saying why, unless FAST_REQUIRE_DOCKER=1 (set by .ci/run, which
 * starts an engine), where they must run and fail instead.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { ROOT } from '../../scripts/lib/action-runner.js'

export { EMULATOR_IMAGE, dockerUnavailable } from '../../scripts/lib/docker.js'
import { EMULATOR_IMAGE } from '../../scripts/lib/docker.js'

export const dockerRequired = process.env.FAST_REQUIRE_DOCKER === '1'

const execFileAsync = promisify(execFile)

/** A docker command's stdout. Asynchronous: the emulated cloud in this process must keep answering. */
export async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  return (await execFileAsync('docker', args, { encoding: 'utf8', timeout: timeoutMs })).stdout
}

/** Builds the image with `npm run emulator:image` unless the engine already has it. */
export function ensureEmulatorImage(): void {
  const present = spawnSync('docker', ['image', 'inspect', EMULATOR_IMAGE], { stdio: 'ignore' }).status === 0
  if (present && process.env.FAST_REBUILD_IMAGE !== '1') return
  execFileSync('bash', ['scripts/emulator-image.sh'], { cwd: ROOT, stdio: 'inherit', timeout: 300_000 })
}
