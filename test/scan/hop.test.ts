import { execFile } from 'node:child_process'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { viaProxy } from '../emulator/helpers.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { startHop, type RecordingHop } from '../../src/scan/hop.js'
import type { SeenRequest } from '../../src/scan/traffic.js'

const run = promisify(execFile)
const cleanups: (() => Promise<unknown>)[] = []
/** What the hop reported, in order. */
let seen: SeenRequest[] = []
afterEach(async () => {
  seen = []
  for (const c of cleanups.splice(0).reverse()) await c()
})
const keep = <T extends { close(): Promise<unknown> }>(x: T): T => {
  cleanups.push(() => x.close())
  return x
}

describe('the recording hop in front of the FAST node', () => {
  let emu: Emulator
  let app: SampleApp
  let hop: RecordingHop

  const setUp = async (): Promise<void> => {
    emu = keep(await startEmulator({ tokens: ['fast-hop-token'], readyDelayMs: 0 }))
    app = keep(await startSampleApp())
    hop = keep(await startHop({ upstream: emu.proxyUrl, onRequest: (r) => seen.push(r) }))
  }

  it('passes a real curl request on to the node, which records it, and notes what went by', async () => {
    await setUp()
    const created = emu.model.createTestRun('fast-hop-token', { name: 'hop' })
    const { stdout } = await run('curl', ['-sS', '-x', hop.url, '-d', 'cart=1', `${app.url}/api/cart`])
    expect(JSON.parse(stdout)).toEqual({ ok: true, received: 6 })
    const { stdout: body } = await run('curl', ['-sS', '-x', hop.url, `${app.url}/api/products/2`])
    expect(JSON.parse(body)).toMatchObject({ id: 2, name: 'Kettle' })
    expect(emu.model.getTestRun('fast-hop-token', created.id).baseline_count).toBe(2)
    expect(seen).toEqual([
      { method: 'POST', host: '127.0.0.1', path: '/api/cart', status: 201 },
      { method: 'GET', host: '127.0.0.1', path: '/api/products/2', status: 200 }
    ])
  })

  it('answers 502 and notes no answer when the node is down', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer()
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port
        s.close(() => resolve(port))
      })
    })
    hop = keep(await startHop({ upstream: `http://127.0.0.1:${closed}`, onRequest: (r) => seen.push(r) }))
    const answer = await viaProxy(hop.url, 'http://app.test/x')
    expect(answer.status).toBe(502)
    expect(answer.body).toContain('did not answer')
    expect(seen).toEqual([{ method: 'GET', host: 'app.test', path: '/x', status: undefined }])
  })

  it('refuses a request sent to it as a server, and notes nothing', async () => {
    await setUp()
    const res = await fetch(`${hop.url}/api/products`)
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('send requests to the application through it')
    expect(seen).toEqual([])
  })

  it('reads plain HTTP inside a CONNECT tunnel (as Node fetch sends it) and passes it on in absolute form', async () => {
    await setUp()
    const created = emu.model.createTestRun('fast-hop-token', { name: 'hop' })
    // curl's --proxytunnel makes it CONNECT even for http://, as Node 24's fetch does.
    const { stdout } = await run('curl', [
      '-sS',
      '-p',
      '-x',
      hop.url,
      `${app.url}/api/products/1`,
      `${app.url}/api/products`
    ])
    expect(stdout).toContain('"Teapot"')
    expect(seen).toEqual([
      { method: 'GET', host: '127.0.0.1', path: '/api/products/1', status: 200 },
      { method: 'GET', host: '127.0.0.1', path: '/api/products', status: 200 }
    ])
    expect(emu.model.getTestRun('fast-hop-token', created.id).baseline_count).toBe(2)
  })

  it('tunnels TLS through the node’s own CONNECT and notes the host; a refused tunnel is noted with its status', async () => {
    // A stand-in for the node's CONNECT: it accepts the tunnel and notes the first bytes (the
    // ClientHello), or refuses it.
    const hellos: number[] = []
    const upstream = http.createServer()
    upstream.on('connect', (req, socket: net.Socket) => {
      if (req.url?.startsWith('refused.test')) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
        return
      }
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n')
      socket.once('data', (chunk: Buffer) => {
        hellos.push(chunk[0]!)
        socket.destroy()
      })
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    cleanups.push(
      () =>
        new Promise((r) => {
          upstream.closeAllConnections()
          upstream.close(r)
        })
    )
    hop = keep(
      await startHop({
        upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        onRequest: (r) => seen.push(r)
      })
    )
    for (const url of ['https://secure.test:8443/account', 'https://refused.test/']) {
      const failed = await run('curl', ['-sS', '--max-time', '10', '-x', hop.url, url]).catch(
        (e: { code: number }) => e
      )
      expect(failed).toHaveProperty('code')
    }
    expect(hellos).toEqual([0x16])
    expect(seen).toEqual([
      { method: 'CONNECT', host: 'secure.test', path: '', status: 200 },
      { method: 'CONNECT', host: 'refused.test', path: '', status: 403 }
    ])
  })
})
