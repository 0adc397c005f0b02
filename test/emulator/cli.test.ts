/**
 * The two roles as separate processes, as other tools drive them: `cli.ts cloud` and `cli.ts node`
 * configured by the container's variables, then a run recorded through the node's proxy and tested.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { api, viaProxy, waitFor } from './helpers.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'

/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- API answers as JSON */
const ROOT = new URL('../..', import.meta.url).pathname
const children: ChildProcess[] = []
let app: SampleApp | undefined

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGTERM')
  await app?.close()
  app = undefined
})

function start(
  args: string[],
  env: Record<string, string> = {}
): { output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  return { output: () => out, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) }
}

describe('cli: cloud and node apart', () => {
  it('records through the node process and fails the run on the flaw it finds', async () => {
    app = await startSampleApp()
    const cloud = start(['cloud', '--port', '0', '--token', 'fast-a'])
    const apiUrl = await waitFor(() => /API:\s+(http:\/\/\S+)/.exec(cloud.output())?.[1], 20_000, 50)
    expect(cloud.output()).not.toContain('proxy:')
    const node = start(['node', '--proxy-port', '0'], {
      WALLARM_API_TOKEN: 'fast-a',
      WALLARM_API_HOST: new URL(apiUrl).host,
      WALLARM_API_USE_SSL: 'false',
      ALLOWED_HOSTS: '127.0.0.1'
    })
    const proxyUrl = await waitFor(
      () => /Proxy listening on (http:\/\/\S+)/.exec(node.output())?.[1],
      20_000,
      50
    )
    expect(node.output()).toMatch(
      /\[info\] Node connected to Wallarm Cloud\n\[info\] Waiting for TestRun to check…/
    )

    const em = { apiUrl }
    const run = (await api(em, 'POST', '/v1/test_run', { token: 'fast-a', body: { name: 'cli' } })).json
      .body as { id: number }
    await waitFor(
      async () =>
        (await api(em, 'GET', `/v1/test_run/${run.id}`, { token: 'fast-a' })).json.body.ready_for_recording
    )
    expect((await viaProxy(proxyUrl, `${app.url}/api/search?q=tea`)).status).toBe(200)
    await api(em, 'POST', `/v1/test_run/${run.id}/action/stop`, { token: 'fast-a' })
    const done = await waitFor(
      async () => {
        const body = (await api(em, 'GET', `/v1/test_run/${run.id}`, { token: 'fast-a' })).json.body
        return body.state === 'failed' ? body : null
      },
      30_000,
      50
    )
    expect(done.vulns.map((v: { type: string }) => v.type)).toEqual(['sqli'])
    expect(app.stats().attacks).toBeGreaterThan(0)
    expect(node.output()).toContain(`[info] Recording baselines for TestRun#${run.id} 'cli'`)
  })

  it('node: access denied for a token the cloud rejects, exit 1', async () => {
    const cloud = start(['cloud', '--port', '0', '--token', 'fast-a'])
    const apiUrl = await waitFor(() => /API:\s+(http:\/\/\S+)/.exec(cloud.output())?.[1], 20_000, 50)
    const node = start(['node', '--proxy-port', '0'], {
      WALLARM_API_TOKEN: 'wrong',
      WALLARM_API_HOST: new URL(apiUrl).host,
      WALLARM_API_USE_SSL: 'false'
    })
    expect(await node.exited).toBe(1)
    expect(node.output()).toContain("[error] Can't create new instance - access denied")
  })

  it('refuses bad options with what is allowed', async () => {
    const bad = start(['cloud', '--eta', 'soon'])
    expect(await bad.exited).toBe(2)
    expect(bad.output()).toContain('--eta must be one of counted, queued, absent, got soon')
    const node = start(['node'], { WALLARM_API_TOKEN: '' })
    expect(await node.exited).toBe(2)
    expect(node.output()).toContain('WALLARM_API_TOKEN is required')
  })
})
