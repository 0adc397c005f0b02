/**
 * The Wallarm FAST emulator: the cloud API (./api.ts) and the FAST node's recording proxy (./proxy.ts)
 * on loopback, over one pure state model (./model.ts). See docs/emulator.md.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createApiHandler, type RecordedApiRequest } from './api.js'
import { FaultRegistry, type Fault } from './faults.js'
import { DEFAULT_TOKENS, FastModel, type ModelOptions } from './model.js'
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

/** The model's options, and where the servers listen. */
export interface EmulatorOptions extends ModelOptions {
  /** Default '127.0.0.1'. */
  host?: string
  /** API port, default 0 (a free port). */
  port?: number
  /** Node proxy port, default 0. */
  proxyPort?: number
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
