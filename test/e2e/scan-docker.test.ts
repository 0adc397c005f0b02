/**
 * scan mode's Docker path, with the real parts: a Docker engine, the emulator's node image
 * (`wallarm-fast-emulator:local`, built by `npm run emulator:image`) in place of wallarm/fast, the
 * emulator's cloud as its own process, the sample application, and the bundled action run as the runner
 * runs it. It starts the container, runs a real test command through it, and the container is gone
 * afterwards: after a pass, after a wrong token, and after a killed step (the post step).
 *
 * Without an engine, the image or the emulator's cloud command, these tests are skipped with a line
 * that says why, unless FAST_REQUIRE_DOCKER=1 (.ci/run), where they fail. FAST_EMULATOR_ROOT points
 * at another checkout's emulator (development only).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTAINER_LABEL } from '../../src/scan/node.js'
import { ROOT, RUN_ID, node24Path, runPostStep, runStep, type StepResult } from './harness.js'
import { EMULATOR_IMAGE, emulatorImageUnavailable } from '../../scripts/lib/docker.js'

const IMAGE = EMULATOR_IMAGE
const EMULATOR_ROOT = process.env.FAST_EMULATOR_ROOT ?? ROOT
const CLOUD_CLI = join(EMULATOR_ROOT, 'emulator', 'cli.ts')

/** Why these tests cannot run here, or undefined when they can. */
function missing(): string | undefined {
  const image = emulatorImageUnavailable(IMAGE)
  if (image !== null) return `${image}; .ci/run provides both`
  if (!existsSync(CLOUD_CLI)) return `the emulator's cloud command ${CLOUD_CLI} is not in this checkout`
  return undefined
}

const why = missing()
/** .ci/run starts an engine and builds the image, and sets this: then these tests must run. */
const required = process.env.FAST_REQUIRE_DOCKER === '1'
if (why !== undefined && !required) console.log(`scan mode's Docker tests skipped: ${why}.`)

/** Containers this action started here (by its label, with this process's run id). */
const ourContainers = (): string[] =>
  execFileSync('docker', ['ps', '--all', '--quiet', '--filter', `label=${CONTAINER_LABEL}=${RUN_ID}`], {
    encoding: 'utf8'
  })
    .split('\n')
    .filter((l) => l !== '')

const visibleLog = (step: StepResult): string =>
  `${step.stdout}\n${step.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

describe
  .skipIf(why !== undefined && !required)
  .sequential('scan mode starts the node container (Docker)', () => {
    const TOKEN = 'fast-docker-node-s3cr3t'
    let cloud: ChildProcess
    let apiUrl: string
    let app: { url: string; close(): Promise<void> }
    let node24: string
    // A port of its own for the node's proxy: other tests share this host network.
    const proxyPort = String(20_000 + (process.pid % 20_000))

    beforeAll(async () => {
      if (why !== undefined) throw new Error(`FAST_REQUIRE_DOCKER=1, but ${why}`)
      node24 = node24Path()
      cloud = spawn(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [CLOUD_CLI, 'cloud', '--port', '0', '--token', TOKEN, '--time-scale', '0.02'],
        { cwd: EMULATOR_ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
      )
      apiUrl = await new Promise<string>((resolve, reject) => {
        let out = ''
        cloud.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          const m = /API:\s+(http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        cloud.once('exit', (code) => reject(new Error(`the emulator's cloud exited (${code}): ${out}`)))
      })
      const candidates = ['sample-app/server.ts', 'test/sample-app/server.ts'].map((p) =>
        join(EMULATOR_ROOT, p)
      )
      const module = (await import(pathToFileURL(candidates.find((p) => existsSync(p))!).href)) as {
        startSampleApp(port?: number, host?: string): Promise<{ url: string; close(): Promise<void> }>
      }
      app = await module.startSampleApp(0, '127.0.0.1')
    }, 300_000)

    afterAll(async () => {
      cloud?.kill('SIGTERM')
      await app?.close()
    })

    const scan = (inputs: Record<string, string>, options: Parameters<typeof runStep>[0] = {}) =>
      runStep({
        node: node24,
        ...options,
        env: { PATH: `${dirname(node24)}:${process.env.PATH}` },
        inputs: {
          mode: 'scan',
          token: TOKEN,
          'api-host': apiUrl,
          'node-image': IMAGE,
          'proxy-port': proxyPort,
          target: app.url,
          'stop-grace-period': '2s',
          'inactivity-timeout': '86400',
          ...inputs
        }
      })

    it('starts the container, runs the tests through it, finds the flaw, and removes it', async () => {
      const before = ourContainers()
      const run = [
        `curl -sSf "${app.url}/api/products/1" >/dev/null`,
        `python3 -c 'import urllib.request; urllib.request.urlopen("${app.url}/api/search?q=tea").read()'`,
        `node --input-type=module -e 'const r = await fetch("${app.url}/api/products"); if (!r.ok) process.exit(1)'`
      ].join('\n')
      const step = await scan({ run })
      const log = visibleLog(step)
      expect(log).toMatch(/The FAST node is connected \(container wallarm-fast-[0-9a-f]{12}/)
      expect(step.outputs['tests-exit-code'], log).toBe('0')
      expect(Number(step.outputs.baselines)).toBe(3)
      expect(step.outputs.conclusion).toBe('failed')
      expect(JSON.parse(step.outputs['vulnerabilities-json']!)).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: '/api/search' })])
      )
      const nodeLog = readFileSync(step.outputs['node-log-path']!, 'utf8')
      expect(nodeLog).toContain('Node connected to Wallarm Cloud')
      expect(nodeLog).not.toContain(TOKEN)
      expect(log).not.toContain(TOKEN)
      expect(step.state['node-container']).toBe('')
      expect(ourContainers()).toEqual(before)
    })

    it('test-record-id: the container is started, the record replayed, the verdict reported, the container gone', async () => {
      const recorded = await scan({ run: `curl -sSf "${app.url}/api/search?q=tea" >/dev/null` })
      const recordId = recorded.outputs['test-record-id']!
      expect(recordId, visibleLog(recorded)).toMatch(/^\d+$/)
      const before = ourContainers()
      const step = await scan({ target: '', 'test-record-id': recordId })
      const log = visibleLog(step)
      expect(log).toMatch(/The FAST node is connected \(container wallarm-fast-[0-9a-f]{12}/)
      expect(log).toContain(`from test record ${recordId}`)
      expect(step.outputs['test-record-id']).toBe(recordId)
      expect(step.outputs['test-run-id']).not.toBe(recorded.outputs['test-run-id'])
      expect(step.outputs.baselines).toBe('1')
      expect(step.outputs.conclusion).toBe('failed')
      expect(step.outputs['tests-exit-code']).toBe('')
      expect(step.exitCode).toBe(1)
      expect(step.summary).toContain(`No tests ran: test record ${recordId} was replayed;`)
      expect(readFileSync(step.outputs['node-log-path']!, 'utf8')).toContain(
        'Node connected to Wallarm Cloud'
      )
      expect(log).not.toContain(TOKEN)
      expect(step.state['node-container']).toBe('')
      expect(ourContainers()).toEqual(before)
    })

    it('the real node leaves hosts outside ALLOWED_HOSTS unrecorded, and the step names them', async () => {
      const other = app.url.replace('127.0.0.1', 'localhost')
      const step = await scan({
        run: `curl -sSf "${app.url}/api/products/1" >/dev/null; curl -sSf "${other}/api/products/2" >/dev/null; curl -sSf "${other}/api/products/3" >/dev/null`
      })
      expect(step.outputs.baselines, visibleLog(step)).toBe('1')
      expect(visibleLog(step)).toContain(
        '2 requests to localhost were proxied but not recorded: not in ALLOWED_HOSTS (127.0.0.1).'
      )
    })

    it('a dead target: the tests’ requests fail, and the verdict is not a pass', async () => {
      const dead = 'http://127.0.0.1:9'
      const step = await scan({ target: dead, run: `curl -s "${dead}/api/products" || true` })
      expect(step.outputs['tests-exit-code']).toBe('0')
      expect(step.outputs.conclusion, visibleLog(step)).toBe('inconclusive')
      expect(step.exitCode).toBe(1)
      expect(step.summary).toMatch(
        /\| GET \| 127\\\.0\.0\.1 \| `\/api\/products` \| 1 \| 0 \| 0 \| 0 \| 1 \| 0 \|/
      )
    })

    it('a wrong token: the node’s own "access denied", early, and no container left', async () => {
      const before = ourContainers()
      const step = await scan({ token: 'fast-docker-wrong-token', run: 'echo never' })
      expect(step.exitCode).toBe(1)
      expect(visibleLog(step)).toMatch(/could not connect to the Wallarm cloud: ".*access denied"/)
      expect(visibleLog(step)).not.toContain('never\n')
      expect(step.outputs.conclusion).toBe('error')
      expect(readFileSync(step.outputs['node-log-path']!, 'utf8')).toContain('access denied')
      expect(step.summary).toContain('Tests did not run;')
      expect(ourContainers()).toEqual(before)
    })

    it('a node container a dead runner left on the port is named, with the command that removes it', async () => {
      const left = `wallarm-fast-left${process.pid}`
      const docker = (args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' })
      // As a runner that died mid-scan leaves it: our label, host networking, its proxy on the port.
      docker([
        'run',
        '--detach',
        '--name',
        left,
        '--label',
        `${CONTAINER_LABEL}=4242`,
        '--network',
        'host',
        ...['--env', `WALLARM_API_TOKEN=${TOKEN}`, '--env', `WALLARM_API_HOST=${new URL(apiUrl).host}`],
        ...['--env', 'WALLARM_API_USE_SSL=false', '--env', `PROXY_PORT=${proxyPort}`],
        IMAGE
      ])
      try {
        while (!docker(['logs', left]).includes('Waiting for TestRun'))
          await new Promise((r) => setTimeout(r, 200))
        const before = ourContainers()
        const step = await scan({ run: 'echo never' })
        expect(step.exitCode).toBe(1)
        expect(visibleLog(step)).toContain(
          `Port ${proxyPort} on the runner is in use (EADDRINUSE: container ${left}, a FAST node this action ` +
            `started (workflow run 4242) and a runner that died left running: remove it with \`docker rm -f ${left}\`)`
        )
        expect(step.outputs.conclusion).toBe('error')
        expect(ourContainers()).toEqual(before)
      } finally {
        docker(['rm', '--force', left])
      }
    })

    it('a cancelled step ends the command, stops the recording and removes the container in the grace period', async () => {
      const before = ourContainers()
      let sentAt = 0
      const step = await scan(
        { run: 'curl -sS "$FAST_PROXY_URL" -o /dev/null; echo "tests $(echo started)"; sleep 120' },
        {
          onSpawn: (child) =>
            child.stdout?.on('data', (chunk: Buffer) => {
              if (sentAt === 0 && chunk.toString().includes('tests started')) {
                sentAt = Date.now()
                child.kill('SIGINT')
              }
            })
        }
      )
      expect(sentAt).toBeGreaterThan(0)
      // The runner sends SIGTERM 7.5 s after SIGINT.
      expect(Date.now() - sentAt).toBeLessThan(7_500)
      expect(step.exitCode).toBe(1)
      expect(visibleLog(step)).toContain('Cancelled: stopped the recording')
      expect(step.state['node-container']).toBe('')
      expect(ourContainers()).toEqual(before)
    })

    it('a killed step leaves its container to the post step, which removes it', async () => {
      const before = ourContainers()
      let killed = false
      const pidFile = join(mkdtempSync(join(tmpdir(), 'fast-scan-killed-')), 'pid')
      const step = await scan(
        { run: `echo $$ > ${pidFile}; echo "tests $(echo started)"; sleep 120` },
        {
          onSpawn: (child) =>
            child.stdout?.on('data', (chunk: Buffer) => {
              if (!killed && chunk.toString().includes('tests started')) {
                killed = true
                child.kill('SIGKILL')
                // The runner ends a killed step's processes too; the command has a process group of its own.
                process.kill(-Number(readFileSync(pidFile, 'utf8')), 'SIGKILL')
              }
            })
        }
      )
      expect(killed).toBe(true)
      const name = step.state['node-container']!
      expect(name).toMatch(/^wallarm-fast-/)
      expect(ourContainers().length).toBe(before.length + 1)
      const post = await runPostStep(step, { node: node24, inputs: { token: TOKEN, 'api-host': apiUrl } })
      expect(post.stdout).toContain(`The FAST node container ${name} was removed`)
      expect(ourContainers()).toEqual(before)
    })
  })
