/**
 * The inputs of scan mode, checked with the rest (src/inputs/settings.ts calls this), in the same error style:
 * the input, its value and what is allowed, before any API call or container. (The defaults live
 * with the others in InputDefaults.)
 */
import { Inputs } from '../common/constants.js'
import {
  InputDefaults,
  InputError,
  bool,
  integer,
  isHttpUrl,
  isSetAndNotDefault,
  refuseCredentials,
  type InputName
} from './parse.js'

/** Inputs only scan mode reads: set in another mode, they are ignored with a warning. */
export const SCAN_ONLY_INPUTS: readonly InputName[] = [
  Inputs.Run,
  Inputs.Target,
  Inputs.AllowedHosts,
  Inputs.NodeImage,
  Inputs.NodeUrl,
  Inputs.ProxyPort,
  Inputs.TestsMustPass
]

/**
 * scan mode records while `run` runs, or (with `test-record-id`, a matrix leg) replays that test record
 * on the node it starts: then there is no command and no target (the node tests the recorded hosts).
 */
export type ScanSettings = ScanNodeSettings &
  (
    | {
        /** The test command (`run`), run with bash. */
        command: string
        /** The application under test, an http(s) URL. */
        target: string
      }
    | {
        /** Replaying `test-record-id` (Settings.testRecordId): no command. */
        command: undefined
        target: undefined
      }
  )

interface ScanNodeSettings {
  /** ALLOWED_HOSTS for the node: the input, else the host of `target`; '' (unset: record all) when replaying. */
  allowedHosts: string
  nodeImage: string
  /** A running node's proxy to use instead of starting a container; undefined starts one. */
  nodeUrl: string | undefined
  /** Where the started node's proxy listens on the runner. */
  proxyPort: number
  /** Failing tests fail the step. */
  testsMustPass: boolean
}

/** The inputs a replaying scan (`test-record-id`) has no use for: set, they are ignored with a warning. */
const RECORDING_ONLY_INPUTS: readonly InputName[] = [Inputs.Target, Inputs.AllowedHosts, Inputs.TestsMustPass]

/**
 * @param warnings where an input a replaying scan ignores is reported
 * @throws InputError for the first bad input; for `run` together with `test-record-id`
 */
export function readScanSettings(raw: (name: InputName) => string, warnings: string[] = []): ScanSettings {
  const command = raw(Inputs.Run)
  const recordId = raw(Inputs.TestRecordId)
  if (recordId !== '') {
    if (command !== '') {
      throw new InputError(
        Inputs.Run,
        command,
        `expected empty together with ${Inputs.TestRecordId} (${recordId}), which replays that test record on the node without running tests; ` +
          `to record a new test record while the tests run, leave ${Inputs.TestRecordId} empty`
      )
    }
    for (const input of RECORDING_ONLY_INPUTS) {
      if (isSetAndNotDefault(raw, input))
        warnings.push(
          `Input "${input}" is ignored in scan mode with ${Inputs.TestRecordId}, which runs no tests.`
        )
    }
    return { command: undefined, target: undefined, allowedHosts: '', ...nodeSettings(raw) }
  }
  if (command === '') {
    throw new InputError(
      Inputs.Run,
      '',
      `expected the command that runs your tests against target, such as npm run test:api: scan mode needs it (or ${Inputs.TestRecordId}, to replay a test record)`
    )
  }
  const target = raw(Inputs.Target)
  refuseCredentials(Inputs.Target, target)
  if (!isHttpUrl(target) || /\s/.test(target)) {
    throw new InputError(
      Inputs.Target,
      target,
      'expected the http(s) URL your tests send their requests to, such as http://localhost:3000: scan mode needs it'
    )
  }
  // An IPv6 host keeps its brackets (`[::1]`), as nginx's $host and the Host header write it.
  const allowedHosts = raw(Inputs.AllowedHosts) || new URL(target).hostname
  if (/[\r\n"'`$\\]/.test(allowedHosts)) {
    throw new InputError(
      Inputs.AllowedHosts,
      allowedHosts,
      'expected host names separated by commas, such as localhost,api.local (or .example.com, *, ~regex)'
    )
  }
  return { command, target, allowedHosts, ...nodeSettings(raw) }
}

/** The node's inputs, the same whether the scan records or replays. */
function nodeSettings(raw: (name: InputName) => string): Omit<ScanNodeSettings, 'allowedHosts'> {
  const withDefault = (name: InputName): string => raw(name) || (InputDefaults[name] ?? '')
  const nodeImage = withDefault(Inputs.NodeImage)
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(nodeImage)) {
    throw new InputError(
      Inputs.NodeImage,
      nodeImage,
      'expected a Docker image reference such as wallarm/fast:<tag> or mirror.example.com/wallarm/fast@sha256:…'
    )
  }
  const nodeUrlRaw = raw(Inputs.NodeUrl)
  refuseCredentials(Inputs.NodeUrl, nodeUrlRaw)
  if (
    nodeUrlRaw !== '' &&
    (!/^http:\/\//i.test(nodeUrlRaw) || !isHttpUrl(nodeUrlRaw) || /\s/.test(nodeUrlRaw))
  ) {
    throw new InputError(
      Inputs.NodeUrl,
      nodeUrlRaw,
      'expected empty (start the node here) or the http:// address of a running FAST node proxy, such as http://localhost:8080'
    )
  }
  return {
    nodeImage,
    nodeUrl: nodeUrlRaw === '' ? undefined : nodeUrlRaw,
    proxyPort: integer(Inputs.ProxyPort, withDefault(Inputs.ProxyPort), 1, 65535) as number,
    testsMustPass: bool(Inputs.TestsMustPass, withDefault(Inputs.TestsMustPass))
  }
}
