/**
 * The FAST emulator as processes; other tools drive it from outside, so this command line is kept as is:
 *
 *   tsx emulator/cli.ts cloud --port 8555 --token fast-a --token fast-b [--time-scale X] [options]
 *       the Wallarm cloud API alone (no simulated node: runs wait for a real node); prints its address.
 *   WALLARM_API_HOST=127.0.0.1:8555 WALLARM_API_USE_SSL=false WALLARM_API_TOKEN=fast-a \
 *   ALLOWED_HOSTS=127.0.0.1 tsx emulator/cli.ts node [--proxy-port N]
 *       one FAST node, configured by the `wallarm/fast` container's variables; prints its proxy address.
 *   tsx emulator/cli.ts --port 8555 --proxy-port 8556 --token fast-a [options]
 *       both in one process, with the simulated node (the form from before the split).
 *
 * Each runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import {
  ETA_READINGS,
  NodeAccessDenied,
  NodeConfigError,
  nodeConfigFromEnv,
  startEmulator,
  startNode,
  vulnerablePathsRule,
  type EmulatorOptions,
  type EtaReading
} from './index.js'

const cloudOptions = `  --host <addr>                 listen address (default 127.0.0.1)
  --port <n>                    API port (default 0: any free port)
  --token <t>                   accepted node token, repeatable (default fast-token-a)
  --time-scale <x>              multiply emulated durations by x (default 1; 0.05 = 20x faster)
  --ready-delay-ms <n>          simulated node: emulated ms until a new run is ready_for_recording (default 2000)
  --cloning-ms <n>              emulated ms a copy stays in cloning (default 1000)
  --omit-ready-for-recording    behave like old API versions without ready_for_recording
  --vuln-read-denied <t>        POST /v1/objects/vuln answers 403 for this token, repeatable
  --no-node-vuln-read           POST /v1/objects/vuln answers 403 to every node token
  --api-token <t>               an API token of the account (reads POST /v1/objects/vuln), repeatable
  --auth-failure-status <401|403>  status for a missing or unknown token (default 403)
  --eta <counted|queued|absent> how the ETA is read (default counted; see docs/emulator.md)
  --refuse-test-run-stop <404|405>  POST /v1/test_run/{id}/action/stop answers this (the record stop works)`

const usage = `Usage:
  tsx emulator/cli.ts cloud [options]       the Wallarm cloud API alone
${cloudOptions}

  tsx emulator/cli.ts node [--proxy-port N] one FAST node; configured like the wallarm/fast container:
    WALLARM_API_TOKEN, WALLARM_API_HOST (host:port), WALLARM_API_USE_SSL=false, ALLOWED_HOSTS,
    REVERSE_PROXY=true with BACKEND; PROXY_PORT (default 8080), FAST_REQUEST_TIMEOUT_MS (default 5000)

  tsx emulator/cli.ts [options]             cloud and simulated node in one process
${cloudOptions}
  --proxy-port <n>              the simulated node's proxy port (default 0)
  --vulnerable-path <p>         the simulated node reports an sqli (threat 80) on this path, repeatable;
                                default rule: a path or query containing "vulnerable"

Walkthrough, the node as its own process (docs/emulator.md has it step by step, with the outputs):
  npm run emulator -- cloud --port 8555 --token fast-a --time-scale 0.05
  WALLARM_API_HOST=127.0.0.1:8555 WALLARM_API_USE_SSL=false WALLARM_API_TOKEN=fast-a \\
    ALLOWED_HOSTS=127.0.0.1 npm run emulator -- node --proxy-port 8556
  npx tsx sample-app/server.ts --port 3000
  curl -s -X POST localhost:8555/v1/test_run -H 'X-WallarmAPI-Token: fast-a' -d name=try   # → id N
  curl -s localhost:8555/v1/test_run/N -H 'X-WallarmAPI-Token: fast-a'      # until ready_for_recording
  curl -s -x http://127.0.0.1:8556 'http://127.0.0.1:3000/api/search?q=tea'  # recorded as a baseline
  curl -s -X POST localhost:8555/v1/test_run/N/action/stop -H 'X-WallarmAPI-Token: fast-a'
  curl -s localhost:8555/v1/test_run/N -H 'X-WallarmAPI-Token: fast-a'      # the node attacks: failed, sqli`

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got ${value}`)
  return n
}

function onSignals(close: () => Promise<void>): void {
  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping`)
    close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

async function runNode(args: string[]): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        'proxy-port': { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true
    }))
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${usage}`)
  }
  if (values.help) return void console.log(usage)
  const proxyPort = num('proxy-port', values['proxy-port'])
  let config
  try {
    config = nodeConfigFromEnv(process.env, proxyPort === undefined ? {} : { proxyPort })
  } catch (err) {
    if (err instanceof NodeConfigError) fail(`[error] ${err.message}`)
    throw err
  }
  // In a container the proxy must be reachable from outside it; on a workstation, loopback only.
  const host = values.host ?? process.env.PROXY_HOST ?? '127.0.0.1'
  try {
    const node = await startNode(config, { host })
    console.log(`[info] Proxy listening on ${node.proxyUrl}`)
    onSignals(() => node.close())
  } catch (err) {
    if (err instanceof NodeAccessDenied) process.exit(1)
    throw err
  }
}

async function runCloud(args: string[], role: 'cloud' | 'combined'): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'proxy-port': { type: 'string' },
        token: { type: 'string', multiple: true },
        'time-scale': { type: 'string' },
        'ready-delay-ms': { type: 'string' },
        'cloning-ms': { type: 'string' },
        'omit-ready-for-recording': { type: 'boolean' },
        'vuln-read-denied': { type: 'string', multiple: true },
        'no-node-vuln-read': { type: 'boolean' },
        'api-token': { type: 'string', multiple: true },
        'vulnerable-path': { type: 'string', multiple: true },
        'auth-failure-status': { type: 'string' },
        eta: { type: 'string' },
        'refuse-test-run-stop': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true
    }))
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    console.error(usage)
    process.exit(2)
  }
  if (values.help) {
    console.log(usage)
    return
  }
  if (role === 'cloud' && (values['proxy-port'] !== undefined || values['vulnerable-path'] !== undefined))
    fail('--proxy-port and --vulnerable-path belong to the combined form: the cloud has no node')
  const options: EmulatorOptions = {}
  if (values.host !== undefined) options.host = values.host
  const port = num('port', values.port)
  if (port !== undefined) options.port = port
  const proxyPort = num('proxy-port', values['proxy-port'])
  if (proxyPort !== undefined) options.proxyPort = proxyPort
  if (values.token) options.tokens = values.token
  const timeScale = num('time-scale', values['time-scale'])
  if (timeScale !== undefined) options.timeScale = timeScale
  const readyDelayMs = num('ready-delay-ms', values['ready-delay-ms'])
  if (readyDelayMs !== undefined) options.readyDelayMs = readyDelayMs
  const cloningMs = num('cloning-ms', values['cloning-ms'])
  if (cloningMs !== undefined) options.cloningMs = cloningMs
  if (values['omit-ready-for-recording']) options.omitReadyForRecording = true
  if (values['vuln-read-denied']) options.vulnReadDenied = values['vuln-read-denied']
  if (values['no-node-vuln-read']) options.nodeTokensReadVulns = false
  if (values['api-token']) options.apiTokens = values['api-token']
  if (values['vulnerable-path']) options.vulnRule = vulnerablePathsRule(values['vulnerable-path'])
  const authStatus = values['auth-failure-status']
  if (authStatus !== undefined) {
    if (authStatus !== '401' && authStatus !== '403') {
      console.error('--auth-failure-status must be 401 or 403')
      process.exit(2)
    }
    options.authFailureStatus = authStatus === '401' ? 401 : 403
  }

  const eta = values.eta
  if (eta !== undefined) {
    if (!(ETA_READINGS as readonly string[]).includes(eta))
      fail(`--eta must be one of ${ETA_READINGS.join(', ')}, got ${eta}`)
    options.eta = eta as EtaReading
  }
  const refuse = values['refuse-test-run-stop']
  if (refuse !== undefined) {
    if (refuse !== '404' && refuse !== '405') fail(`--refuse-test-run-stop must be 404 or 405, got ${refuse}`)
    options.refuseTestRunStop = refuse === '404' ? 404 : 405
  }
  // The cloud alone: no simulated node tests anything; a real node (`node`) must connect.
  if (role === 'cloud') options.nodes = 'cloud-only'

  const emulator = await startEmulator(options)
  console.log(role === 'cloud' ? 'Wallarm FAST emulator: cloud' : 'Wallarm FAST emulator')
  console.log(`  API:    ${emulator.apiUrl}`)
  if (role === 'combined') {
    console.log(`  proxy:  ${emulator.proxyUrl}  (node of ${emulator.tokens[0]})`)
    for (const token of emulator.tokens)
      console.log(`          ${emulator.proxyUrls[token]}  (node of ${token})`)
  }
  console.log(`  tokens: ${emulator.tokens.join(', ')}`)
  console.log(`  time scale: ${emulator.model.timeScale}`)
  console.log(`  eta: ${emulator.model.eta}`)
  console.log('Press Ctrl+C to stop.')
  onSignals(() => emulator.close())
}

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2)
  if (first === 'cloud') return runCloud(rest, 'cloud')
  if (first === 'node') return runNode(rest)
  return runCloud(process.argv.slice(2), 'combined')
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
