/**
 * The Wallarm FAST emulator: the cloud API (./api.ts) and the FAST node's recording proxy (./proxy.ts)
 * on loopback, over one pure state model (./model.ts). See docs/emulator.md.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApiHandler, type RecordedApiRequest } from './api.js'
import { FaultRegistry, type Fault } from './faults.js'
import { DEFAULT_TOKENS, FastModel, type EmulatedVuln, type VulnRuleInput } from './model.js'
import { createProxyServer } from './proxy.js'

export type { RecordedApiRequest } from './api.js'
export type { Fault } from './faults.js'
export { FaultRegistry, faultFromJson } from './faults.js'
export {
  FastApiError,
  FastModel,
  defaultVulnRule,
  extensionMatcher,
  plannedRequestsFor,
  vulnerablePathsRule,
  type BaselineInput,
  type EmulatedVuln,
  type ModelOptions,
  type RecordBaselineResult,
  type VulnQuery,
  type VulnRuleInput
} from './model.js'

export interface EmulatorOptions {
  /** Accepted node tokens, one FAST node each; default ['fast-token-a']. */
  tokens?: string[]
  /** Multiply every emulated duration by this; 0.05 = 20x faster. Default 1. */
  timeScale?: number
  /** Emulated ms from create until node_active/ready_for_recording turn true; default 2000. */
  readyDelayMs?: number
  /** Emulated ms a copy stays in `cloning`; default 1000. */
  cloningMs?: number
  /** Default: path or query contains "vulnerable" -> {type:'sqli', threat:80, code:'S0001'}. */
  vulnRule?: (req: VulnRuleInput) => EmulatedVuln | null
  /** ms; default Date.now. */
  clock?: () => number
  /** Default '127.0.0.1'. */
  host?: string
  /** API port, default 0 (a free port). */
  port?: number
  /** Node proxy port, default 0. */
  proxyPort?: number
  /** Emulate old API versions without the ready_for_recording field. */
  omitReadyForRecording?: boolean
  /** Tokens for which POST /v1/objects/vuln answers 403 (to test a client's fallback to body.vulns). */
  vulnReadDenied?: string[]
  /** Status for a missing or unknown token (spec gap 401 vs 403); default 403. */
  authFailureStatus?: 401 | 403
  /** `frontend_url` answered by POST /v1/user; default 'https://us1.my.wallarm.com'. */
  frontendUrl?: string
}

export interface Emulator {
  /** e.g. http://127.0.0.1:41234 */
  apiUrl: string
  /** e.g. http://127.0.0.1:41235: the node of the first token. */
  proxyUrl: string
  /** The same proxy port for each token's node: `http://<token>@127.0.0.1:41235`. */
  proxyUrls: Record<string, string>
  tokens: string[]
  /** Every API request received, in order (including faulted ones; not the control calls). */
  requests: RecordedApiRequest[]
  injectFault(fault: Fault): void
  model: FastModel
  close(): Promise<void>
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1'
  const tokens = options.tokens && options.tokens.length > 0 ? [...options.tokens] : [...DEFAULT_TOKENS]
  const model = new FastModel({ ...options, tokens })
  const faults = new FaultRegistry()
  const requests: RecordedApiRequest[] = []

  const api = http.createServer(
    createApiHandler({
      model,
      faults,
      requests,
      frontendUrl: options.frontendUrl ?? 'https://us1.my.wallarm.com'
    })
  )
  const proxy = createProxyServer(model, tokens[0]!)
  const apiPort = await listen(api, host, options.port ?? 0)
  let proxyPort: number
  try {
    proxyPort = await listen(proxy, host, options.proxyPort ?? 0)
  } catch (err) {
    await closeServer(api)
    throw err
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  const proxyUrl = `http://${hostInUrl}:${proxyPort}`
  const proxyUrls: Record<string, string> = {}
  for (const t of tokens) proxyUrls[t] = `http://${encodeURIComponent(t)}@${hostInUrl}:${proxyPort}`

  let closed: Promise<void> | undefined
  return {
    apiUrl: `http://${hostInUrl}:${apiPort}`,
    proxyUrl,
    proxyUrls,
    tokens,
    requests,
    model,
    injectFault: (fault) => faults.add(fault),
    close: () => (closed ??= Promise.all([closeServer(api), closeServer(proxy)]).then(() => undefined))
  }
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
