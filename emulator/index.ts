/**
 * The Wallarm FAST emulator, both roles in one process: the cloud API (./api.ts) over one pure state
 * model (./cloud/model.ts), and the FAST nodes, either simulated (./proxy.ts: one proxy port for every token,
 * testing on the clock) or real (./node/: one node per token, each with its own proxy, attacking the
 * target). The roles also run apart: see ./cli.ts and docs/emulator.md.
 */
import http from 'node:http'
import { createApiHandler, type RecordedApiRequest } from './api.js'
import { FaultRegistry, type Fault } from './faults.js'
import { closeServer, listen } from './listen.js'
import { DEFAULT_TOKENS, FastModel } from './cloud/model.js'
import type { ModelOptions } from './cloud/types.js'
import { allowedHostsMatcher } from './node/allowed-hosts.js'
import { startNode, type FastNode } from './node/node.js'
import { createProxyServer } from './proxy.js'

export type { RecordedApiRequest } from './api.js'
export type { Fault } from './faults.js'
export { FaultRegistry, faultFromJson } from './faults.js'
export { startNode, NodeAccessDenied, type FastNode, type NodeOptions } from './node/node.js'
export { nodeConfigFromEnv, NodeConfigError, type NodeConfig } from './node/config.js'
export { FastModel } from './cloud/model.js'
export { extensionMatcher } from './cloud/params.js'
export { defaultVulnRule, plannedRequestsFor, vulnerablePathsRule } from './cloud/simulated-node.js'
export {
  FastApiError,
  type BaselineInput,
  type EmulatedVuln,
  type EtaReading,
  ETA_READINGS,
  type ModelOptions,
  type RecordBaselineResult,
  type VulnQuery,
  type VulnRuleInput
} from './cloud/types.js'

/** The model's options, and where the servers listen. */
export interface EmulatorOptions extends ModelOptions {
  /** Default '127.0.0.1'. */
  host?: string
  /** API port, default 0 (a free port). */
  port?: number
  /** The (first) node's proxy port, default 0. */
  proxyPort?: number
  /** `frontend_url` answered by POST /v1/user; default 'https://us1.my.wallarm.com'. */
  frontendUrl?: string
  /** E4 answers this status instead of stopping (the record stop E5 still works). */
  refuseTestRunStop?: 404 | 405
  /**
   * `simulated` (default): one proxy port for every token, testing on the clock (fast, and what a
   * virtual clock can drive). `real`: one real node per token (./node/), each on its own proxy port,
   * attacking the targets it recorded. `cloud-only`: no node at all; runs wait for a node process
   * (`startNode`, `emulator/cli.ts node`, the container image) to connect.
   */
  nodes?: 'simulated' | 'real' | 'cloud-only'
  /** Real nodes: ALLOWED_HOSTS (default: record everything). */
  allowedHosts?: string
  /** Real nodes: where their log lines go (default: nowhere). */
  nodeLog?: (token: string, line: string) => void
  /** Real nodes: FAST_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number
}

export interface Emulator {
  /** e.g. http://127.0.0.1:41234 */
  apiUrl: string
  /** e.g. http://127.0.0.1:41235: the node of the first token ('' for `nodes: 'cloud-only'`). */
  proxyUrl: string
  /**
   * Each token's node. Simulated: the same proxy port, `http://<token>@127.0.0.1:41235`; real: each
   * node's own proxy, `http://127.0.0.1:41236`.
   */
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
  const real = options.nodes === 'real'
  const model = new FastModel({
    ...options,
    tokens,
    simulatedNodes: (options.nodes ?? 'simulated') === 'simulated'
  })
  const faults = new FaultRegistry()
  const requests: RecordedApiRequest[] = []

  const api = http.createServer(
    createApiHandler({
      model,
      faults,
      requests,
      frontendUrl: options.frontendUrl ?? 'https://us1.my.wallarm.com',
      ...(options.refuseTestRunStop ? { refuseTestRunStop: options.refuseTestRunStop } : {})
    })
  )
  const apiPort = await listen(api, host, options.port ?? 0)
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  const apiUrl = `http://${hostInUrl}:${apiPort}`
  const proxyUrls: Record<string, string> = {}
  const nodes: FastNode[] = []
  let proxy: http.Server | undefined
  try {
    if (real) {
      for (const [i, token] of tokens.entries()) {
        const node = await startNode(
          {
            token,
            apiBase: apiUrl,
            allowedHosts: allowedHostsMatcher(options.allowedHosts ?? ''),
            allowedHostsText: options.allowedHosts ?? '',
            backend: null,
            proxyPort: i === 0 ? (options.proxyPort ?? 0) : 0,
            requestTimeoutMs: options.requestTimeoutMs ?? 5000
          },
          { host, log: (line) => options.nodeLog?.(token, line) }
        )
        nodes.push(node)
        proxyUrls[token] = node.proxyUrl
      }
    } else if (options.nodes !== 'cloud-only') {
      proxy = createProxyServer(model, tokens[0]!)
      const proxyPort = await listen(proxy, host, options.proxyPort ?? 0)
      for (const t of tokens) proxyUrls[t] = `http://${encodeURIComponent(t)}@${hostInUrl}:${proxyPort}`
    }
  } catch (err) {
    await Promise.all([closeServer(api), ...nodes.map((n) => n.close())])
    throw err
  }
  const proxyUrl = (proxyUrls[tokens[0]!] ?? '').replace(/\/\/[^@/]*@/, '//')

  let closed: Promise<void> | undefined
  return {
    apiUrl,
    proxyUrl,
    proxyUrls,
    tokens,
    requests,
    model,
    injectFault: (fault) => faults.add(fault),
    close: () =>
      (closed ??= Promise.all([...nodes.map((n) => n.close()), ...(proxy ? [closeServer(proxy)] : [])]).then(
        () => closeServer(api)
      ))
  }
}
