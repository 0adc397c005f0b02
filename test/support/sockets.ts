/**
 * Sockets for the tests of proxies under load (the recording hop, the emulator's node, the bundled action):
 * descriptors counted, tunnels opened and closed, downloads dropped.
 */
import { readdirSync } from 'node:fs'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'

/** Open descriptors of this process: a socket the hop leaks is one more. */
export const openFds = (): number => readdirSync('/proc/self/fd').length

/** The descriptor count once it has come back to `before` (or after 5 s, whatever it is then). */
export async function fdsSettled(before: number): Promise<number> {
  for (let waited = 0; openFds() > before && waited < 5_000; waited += 50) await sleep(50)
  return openFds()
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Waits until `ok()` holds, or 10 s: then the assertion after it says what did not happen. */
export async function eventually(ok: () => boolean): Promise<void> {
  for (let waited = 0; !ok() && waited < 10_000; waited += 20) await sleep(20)
}

/** A raw TCP server: `onSocket` plays the far end of a tunnel. */
export async function rawServer(
  onSocket: (socket: net.Socket) => void
): Promise<{ port: number; close(): Promise<unknown> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.once('close', () => sockets.delete(socket))
    onSocket(socket)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy()
        server.close(r)
      })
  }
}

/** Opens a CONNECT tunnel through `proxyPort` to `port`; resolves with the socket once it is open. */
export function openTunnel(proxyPort: number, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // As a TLS client does: it reads the close, then says goodbye (a close_notify alert) and closes its
    // own side a moment later.
    const socket = net.connect({ port: proxyPort, host: '127.0.0.1', allowHalfOpen: true }, () =>
      socket.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    )
    socket.once('data', (chunk: Buffer) =>
      chunk.toString('latin1').startsWith('HTTP/1.1 200') ? resolve(socket) : reject(new Error(String(chunk)))
    )
    socket.on('error', reject)
    socket.on('end', () => setTimeout(() => socket.end(CLOSE_NOTIFY), 50))
  })
}

/** A TLS alert record: what a TLS client sends as it closes. */
export const CLOSE_NOTIFY = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00])

/** A TLS-looking first record (the hop tunnels what starts with a handshake byte), then whatever the far end says. */
export const HELLO = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x01, 0x00])

/** A GET through the proxy at `proxyPort` (absolute form): the status, and how much of the body came before the end or `stopAfter`. */
export function getVia(
  proxyPort: number,
  target: string,
  stopAfter = Infinity
): Promise<{ status: number; bytes: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: proxyPort, path: target, agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes >= stopAfter) {
          req.destroy()
          resolve({ status: res.statusCode ?? 0, bytes, complete: false })
        }
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete }))
      res.on('error', () => resolve({ status: res.statusCode ?? 0, bytes, complete: false }))
    })
    req.on('error', reject)
  })
}

export const MB = 1024 * 1024

/** A body of `total` bytes, made as it is read (the node streams it, as a large download). */
export function* bytesOf(total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += 64 * 1024)
    yield Buffer.alloc(Math.min(64 * 1024, total - sent), 'd')
}
