/**
 * The service-container recipe (docs/recipes.md) sets proxy variables for the tests and says which client
 * reads which. This runs
 * that test step's own `env:` and script, with the tests replaced by one request from each real client
 * (curl, Python, Node.js 24, Java where installed), and checks that the request reached a proxy: what the
 * recipe promises a user, checked with the clients a user has rather than with our own code.
 */
import { execFileSync, spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { node24Path } from '../e2e/harness.js'
import { docsYamlBlocks } from '../support/readme-workflows.js'

const ROOT = join(import.meta.dirname, '..', '..')
const TARGET = 'http://app.test:3000/api/products' // never resolved: only a proxy can answer for it

interface Step {
  name?: string
  env?: Record<string, string>
  run?: string
}

/** The recipe's test step: its env and its script, as docs/recipes.md gives them. */
function recipeTestStep(): Step {
  for (const block of docsYamlBlocks(ROOT)) {
    const doc = parse(block.text) as { jobs?: Record<string, { steps?: Step[] }> }
    for (const job of Object.values(doc.jobs ?? {}))
      for (const step of job.steps ?? [])
        if (step.name === 'Run the existing tests through the FAST node' && step.env?.https_proxy) return step
  }
  throw new Error(
    "The docs' service-container recipe has no step 'Run the existing tests through the FAST node'"
  )
}

/** A forward proxy that answers every request itself and remembers what it was asked. */
let proxy: http.Server
let port = 0
const seen: string[] = []

beforeAll(async () => {
  proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.end('proxied')
  })
  proxy.on('connect', (req: http.IncomingMessage, socket: import('node:net').Socket) => {
    seen.push(`CONNECT ${req.url}`)
    // Answer inside the tunnel as the target would: Node's fetch tunnels even http:// requests.
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    socket.once('data', () =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied')
    )
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  port = (proxy.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())))

/** Runs the step's script with its env (the proxy's port in place of 8080) and `command` as the tests. */
function runAsTheStep(command: string, clientId: string): Promise<{ code: number | null; output: string }> {
  const step = recipeTestStep()
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
  for (const [name, value] of Object.entries(step.env ?? {}))
    env[name] = String(value)
      .replaceAll('localhost:8080', `127.0.0.1:${port}`)
      .replaceAll('=8080', `=${port}`)
  expect(step.run).toContain('npm run test:api')
  const script = step.run!.replace('npm run test:api', command)
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], {
      env: { ...env, CLIENT: clientId },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.on('close', (code) => resolve({ code, output }))
  })
}

function reachedProxy(clientId: string): boolean {
  return seen.some((line) => line.includes(clientId))
}

const has = (cmd: string): boolean => {
  try {
    execFileSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe("the quick start's proxy variables reach the node from real clients", () => {
  it('curl', async () => {
    const { code, output } = await runAsTheStep(`curl -fsS "${TARGET}?client=$CLIENT"`, 'curl')
    expect(code, output).toBe(0)
    expect(output).toBe('proxied')
    expect(reachedProxy('client=curl')).toBe(true)
  })

  it('Python (urllib)', async () => {
    const py = `import urllib.request,os; print(urllib.request.urlopen("${TARGET}?client=" + os.environ["CLIENT"], timeout=10).read().decode())`
    const { code, output } = await runAsTheStep(`python3 -c '${py}'`, 'python')
    expect(code, output).toBe(0)
    expect(output.trim()).toBe('proxied')
    expect(reachedProxy('client=python')).toBe(true)
  })

  it('Node.js 24 http.get', { timeout: 300_000 }, async () => {
    const node = node24Path()
    const js = `require("http").get("${TARGET}?client=" + process.env.CLIENT, (r) => r.pipe(process.stdout))`
    const { code, output } = await runAsTheStep(`"${node}" -e '${js}'`, 'node-http')
    expect(code, output).toBe(0)
    expect(output).toBe('proxied')
    expect(reachedProxy('client=node-http')).toBe(true)
  })

  it('Node.js 24 fetch (a CONNECT tunnel, even for http://)', { timeout: 300_000 }, async () => {
    const node = node24Path()
    seen.length = 0
    const js = `fetch("${TARGET}").then((r) => r.text()).then((t) => process.stdout.write(t))`
    const { code, output } = await runAsTheStep(`"${node}" -e '${js}'`, 'node-fetch')
    expect(code, output).toBe(0)
    expect(output).toBe('proxied')
    expect(seen).toContain('CONNECT app.test:3000')
  })

  it.skipIf(!has('java'))('Java HttpURLConnection (JAVA_TOOL_OPTIONS), java installed here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-java-'))
    const source = join(dir, 'Probe.java')
    writeFileSync(
      source,
      `public class Probe { public static void main(String[] a) throws Exception {
        var c = (java.net.HttpURLConnection) new java.net.URI("${TARGET}?client=" + System.getenv("CLIENT")).toURL().openConnection();
        System.out.print(new String(c.getInputStream().readAllBytes())); } }`
    )
    const { code, output } = await runAsTheStep(`java "${source}"`, 'java')
    expect(code, output).toBe(0)
    expect(output).toContain('proxied')
    expect(reachedProxy('client=java')).toBe(true)
  })
})
