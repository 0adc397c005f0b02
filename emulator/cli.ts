/**
 * Run the FAST emulator as a process:
 *   npx tsx emulator/cli.ts --port 8555 --proxy-port 8556 --token fast-a --token fast-b [--time-scale 0.05]
 * It prints the API address, the proxy address(es) and the accepted tokens, and runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util'
import { startEmulator, vulnerablePathsRule, type EmulatorOptions } from './index.js'

const usage = `Usage: tsx emulator/cli.ts [options]
  --host <addr>                 listen address (default 127.0.0.1)
  --port <n>                    API port (default 0: any free port)
  --proxy-port <n>              FAST node proxy port (default 0)
  --token <t>                   accepted node token, repeatable (default fast-token-a)
  --time-scale <x>              multiply emulated durations by x (default 1; 0.05 = 20x faster)
  --ready-delay-ms <n>          emulated ms until a new run is ready_for_recording (default 2000)
  --cloning-ms <n>              emulated ms a copy stays in cloning (default 1000)
  --omit-ready-for-recording    behave like old API versions without ready_for_recording
  --vuln-read-denied <t>        POST /v1/objects/vuln answers 403 for this token, repeatable
  --vulnerable-path <p>         requests to this path reveal an sqli (threat 80), repeatable;
                                default rule: a path or query containing "vulnerable"
  --auth-failure-status <401|403>  status for a missing or unknown token (default 403)
  --help`

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n)) {
    console.error(`--${name} must be a number, got ${value}`)
    process.exit(2)
  }
  return n
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
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
        'vulnerable-path': { type: 'string', multiple: true },
        'auth-failure-status': { type: 'string' },
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
  if (values['vulnerable-path']) options.vulnRule = vulnerablePathsRule(values['vulnerable-path'])
  const authStatus = values['auth-failure-status']
  if (authStatus !== undefined) {
    if (authStatus !== '401' && authStatus !== '403') {
      console.error('--auth-failure-status must be 401 or 403')
      process.exit(2)
    }
    options.authFailureStatus = authStatus === '401' ? 401 : 403
  }

  const emulator = await startEmulator(options)
  console.log(`Wallarm FAST emulator`)
  console.log(`  API:    ${emulator.apiUrl}`)
  console.log(`  proxy:  ${emulator.proxyUrl}  (node of ${emulator.tokens[0]})`)
  for (const token of emulator.tokens)
    console.log(`          ${emulator.proxyUrls[token]}  (node of ${token})`)
  console.log(`  tokens: ${emulator.tokens.join(', ')}`)
  console.log(`  time scale: ${emulator.model.timeScale}`)
  console.log('Press Ctrl+C to stop.')

  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping`)
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
