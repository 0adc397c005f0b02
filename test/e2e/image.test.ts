/**
 * The node's container image (`npm run emulator:image`) on a real Docker engine, run as wallarm/fast
 * is: host network, the same variables, logs on stdout. Every container is removed afterwards.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { api, viaProxy, waitFor } from '../emulator/helpers.js'
import {
  EMULATOR_IMAGE,
  docker,
  dockerRequired,
  dockerUnavailable,
  ensureEmulatorImage
} from '../support/docker.js'

/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- API answers as JSON */

const unavailable = dockerUnavailable()
if (unavailable && !dockerRequired) {
  console.log(
    `image tests skipped: ${unavailable}. Start an engine (docs/emulator.md, "The container image") to run them.`
  )
}

/** A port free on loopback now (the container's node listens on the host network). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

describe.skipIf(unavailable !== null && !dockerRequired)('the emulated node’s container image', () => {
  const prefix = `fast-emu-test-${randomBytes(4).toString('hex')}`
  let em: Emulator
  let app: SampleApp

  beforeAll(async () => {
    if (unavailable) throw new Error(`FAST_REQUIRE_DOCKER=1 but ${unavailable}`)
    ensureEmulatorImage()
    em = await startEmulator({ nodes: 'cloud-only', tokens: ['fast-img-a', 'fast-img-b'] })
    app = await startSampleApp()
  }, 300_000)

  afterAll(async () => {
    if (!unavailable) {
      const left = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).trim()
      if (left) await docker(['rm', '-f', ...left.split('\n')])
    }
    await em?.close()
    await app?.close()
  })

  async function run(name: string, env: Record<string, string>): Promise<string> {
    const args = ['run', '-d', '--name', `${prefix}-${name}`, '--network', 'host']
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`)
    return (await docker([...args, EMULATOR_IMAGE])).trim()
  }

  it('connects, records through its proxy, attacks the app and leaves no container behind', async () => {
    const proxyPort = await freePort()
    const id = await run('ok', {
      WALLARM_API_TOKEN: 'fast-img-a',
      WALLARM_API_HOST: new URL(em.apiUrl).host,
      WALLARM_API_USE_SSL: 'false',
      ALLOWED_HOSTS: '127.0.0.1',
      PROXY_PORT: String(proxyPort)
    })
    try {
      await waitFor(async () => (await docker(['logs', id])).includes('Proxy listening'), 30_000, 200)
      expect(await docker(['logs', id])).toMatch(
        /\[info\] Node connected to Wallarm Cloud\n\[info\] Waiting for TestRun to check…/
      )
      const token = 'fast-img-a'
      const created = (await api(em, 'POST', '/v1/test_run', { token, body: { name: 'image' } })).json.body
      await waitFor(
        async () =>
          (await api(em, 'GET', `/v1/test_run/${created.id}`, { token })).json.body.ready_for_recording,
        30_000,
        100
      )
      expect((await viaProxy(`http://127.0.0.1:${proxyPort}`, `${app.url}/api/search?q=tea`)).status).toBe(
        200
      )
      await api(em, 'POST', `/v1/test_run/${created.id}/action/stop`, { token })
      const done = await waitFor(
        async () => {
          const body = (await api(em, 'GET', `/v1/test_run/${created.id}`, { token })).json.body
          return ['passed', 'failed', 'interrupted'].includes(body.state) ? body : null
        },
        60_000,
        100
      )
      expect(done.state).toBe('failed')
      expect(done.vulns.map((v: { type: string }) => v.type)).toEqual(['sqli'])
      expect(app.stats().by_path['/api/search']!.attacks).toBeGreaterThan(0)
    } finally {
      await docker(['rm', '-f', id])
    }
    expect((await docker(['ps', '-aq', '--filter', `id=${id}`])).trim()).toBe('')
  })

  it('logs access denied and exits 1 for a token its cloud rejects', async () => {
    const id = await run('denied', {
      WALLARM_API_TOKEN: 'not-a-token',
      WALLARM_API_HOST: new URL(em.apiUrl).host,
      WALLARM_API_USE_SSL: 'false',
      PROXY_PORT: '0'
    })
    try {
      const code = (await docker(['wait', id], 60_000)).trim()
      expect(code).toBe('1')
      expect(await docker(['logs', id])).toContain("[error] Can't create new instance - access denied")
    } finally {
      await docker(['rm', '-f', id])
    }
  })
})
