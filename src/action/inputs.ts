/**
 * Reads the inputs for the main and the post step alike: masks the secrets the moment they are read,
 * before anything could print them, then checks every input with the pure {@link readSettings}.
 */
import { Env, Inputs } from '../common/constants.js'
import { readSettings, type Settings } from '../inputs/settings.js'
import type { RunnerPort } from './port.js'

/**
 * @param known inputs whose value the step knows better than the workflow (the post step acts only for a
 *   record step, so it reads `mode` as `record`)
 * @throws InputError for the first bad input (the secrets are masked already)
 */
export function readInputs(
  port: RunnerPort,
  env: NodeJS.ProcessEnv,
  known: Readonly<Record<string, string>> = {}
): Settings {
  // As given and trimmed (the form that is used), should a secret carry a stray line break.
  const token = port.getInput(Inputs.Token) || env[Env.Token] || ''
  mask(port, token)
  mask(port, port.getInput(Inputs.ApiToken))
  mask(port, port.getInput(Inputs.GithubToken))
  return readSettings((name) => known[name] ?? port.getInput(name), env)
}

function mask(port: RunnerPort, secret: string): void {
  for (const form of new Set([secret, secret.trim()])) if (form) port.setSecret(form)
}
