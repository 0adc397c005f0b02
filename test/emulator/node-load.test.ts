/**
 * The real emulated node's proxy under load, as nginx behaves: a tunnel closed from either end releases
 * both its sockets, and a client that goes away closes the node's connection to the target. Where the
 * emulator held what nginx lets go, the recording hop's own leaks stayed hidden behind it.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import {
  HELLO,
  MB,
  bytesOf,
  eventually,
  fdsSettled,
  getVia,
  openFds,
  openTunnel,
  rawServer,
  sleep
} from '../support/sockets.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function realNode(): Promise<{ em: Emulator; port: number }> {
  const em = await startEmulator({ nodes: 'real', tokens: ['fast-load-token'] })
  cleanups.push(() => em.close())
  return { em, port: Number(new URL(em.proxyUrl).port) }
}

describe('the real node’s proxy under load', () => {
  it('a tunnel whose far end closes first is closed whole, and holds no socket', async () => {
    const { port } = await realNode()
    const far = await rawServer((socket) => socket.once('data', () => socket.end('bye')))
    cleanups.push(() => far.close())
    await sleep(50)
    const before = openFds()
    for (let i = 0; i < 20; i++) {
      const client = await openTunnel(port, far.port)
      const answer = await new Promise<string>((resolve) => {
        let got = ''
        client.on('data', (c: Buffer) => (got += c.toString('latin1')))
        client.on('close', () => resolve(`${got} (closed)`))
        setTimeout(() => resolve(got), 3_000)
        client.write(HELLO)
      })
      client.destroy()
      expect(answer).toBe('bye (closed)')
    }
    expect(await fdsSettled(before)).toBeLessThanOrEqual(before)
  })

  it('a tunnel whose client goes away before a byte is closed whole, and holds no socket', async () => {
    const { port } = await realNode()
    const far = await rawServer(() => undefined)
    cleanups.push(() => far.close())
    await sleep(50)
    const before = openFds()
    for (let i = 0; i < 20; i++) {
      const client = await openTunnel(port, far.port)
      client.end()
      const closed = await new Promise((resolve) => {
        client.once('close', () => resolve(true))
        setTimeout(() => resolve(false), 3_000)
      })
      client.destroy()
      expect(closed).toBe(true)
    }
    expect(await fdsSettled(before)).toBeLessThanOrEqual(before)
  })

  it('a download dropped after 1 MB closes the node’s connection to the target', async () => {
    const { port } = await realNode()
    const targetSockets: { closed: boolean }[] = []
    const target = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': 256 * MB })
      Readable.from(bytesOf(256 * MB)).pipe(res)
    })
    target.on('connection', (socket: Socket) => {
      const c = { closed: false }
      targetSockets.push(c)
      socket.once('close', () => (c.closed = true))
    })
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r))
    cleanups.push(
      () =>
        new Promise((r) => {
          target.closeAllConnections()
          target.close(r)
        })
    )
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/big.iso`
    expect(await getVia(port, url, MB)).toMatchObject({ status: 200, complete: false })
    await eventually(() => targetSockets.every((c) => c.closed))
    expect(targetSockets).toEqual([{ closed: true }])
  })
})
