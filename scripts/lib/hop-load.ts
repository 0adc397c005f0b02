/**
 * Load through a forward proxy, as test suites make it: small GETs and 64 KB POSTs on kept-alive
 * connections, HTTPS tunnels that the server closes first (`Connection: close`) or the client does,
 * tunnels the client leaves before its first byte, downloads and uploads dropped midway, and one
 * WebSocket inside a tunnel. Its far ends (an HTTP and an HTTPS server) run in this process.
 *
 * Run by Node 24 as it is (type stripping; node: modules only), as a scan's `run` command or on its own:
 *   LOAD_PROXY       the proxy (default: HTTP_PROXY, which scan mode sets to the recording hop)
 *   LOAD_REQUESTS    how many requests (default 200); LOAD_CONCURRENCY how many at once (default 20)
 *   LOAD_ACTION_FDS  1: count the open descriptors of the action (the ancestor running index.js) before
 *                    the load and once it has settled after it
 * Prints one line, `HOPLOAD {json}`: the requests, the unexpected outcomes by kind, the WebSocket's
 * status and echo, and the descriptors.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'

const KINDS = [
  'get',
  'get',
  'get',
  'post',
  'tls-server-closes',
  'tls-client-closes',
  'tunnel-left-empty',
  'download-dropped',
  'upload-dropped',
  'get'
] as const
type Kind = (typeof KINDS)[number]

const proxy = new URL(process.env.LOAD_PROXY ?? process.env.HTTP_PROXY ?? '')
const total = Number(process.env.LOAD_REQUESTS ?? 200)
const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 20)
const KB = 1024
const BIG = 8 * 1024 * KB

function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hop-load-'))
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost'
    ]),
    { stdio: 'ignore' }
  )
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
  )
}

/** The plain far end: small answers, a large download, an upload sink, a WebSocket echo. */
function plainServer(): http.Server {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG })
      const chunk = Buffer.alloc(64 * KB, 'd')
      let sent = 0
      const more = (): void => {
        while (sent < BIG) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', more)
        }
        res.end()
      }
      more()
      res.on('error', () => undefined)
      return
    }
    req.on('error', () => undefined)
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    socket.on('data', (chunk: Buffer) => socket.write(chunk))
    socket.on('error', () => undefined)
    socket.on('end', () => socket.end())
  })
  return server
}

/** A CONNECT through the proxy; resolves with the open socket. */
function connectTunnel(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname,
      port: Number(proxy.port),
      method: 'CONNECT',
      path: `127.0.0.1:${port}`,
      headers: { host: `127.0.0.1:${port}` }
    })
    req.on('connect', (res: http.IncomingMessage, socket: net.Socket) =>
      res.statusCode === 200 ? resolve(socket) : reject(new Error(`CONNECT ${res.statusCode}`))
    )
    req.on('error', reject)
    req.end()
  })
}

/** One HTTPS request inside a tunnel: the server closes first (`close`), or the client does. */
async function tlsRequest(port: number, serverCloses: boolean): Promise<void> {
  const socket = await connectTunnel(port)
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, servername: 'localhost', rejectUnauthorized: false }, () =>
      secure.write(`GET /${serverCloses ? 'close' : 'keep'} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
    )
    let got = ''
    secure.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      if (!serverCloses && got.endsWith('\r\n\r\nok')) secure.end()
    })
    secure.on('close', () => {
      socket.destroy()
      if (got.startsWith('HTTP/1.1 200') && got.endsWith('ok')) resolve()
      else reject(new Error(`tls answer: ${got.slice(0, 40) || 'none'}`))
    })
    secure.on('error', reject)
  })
}

/** A request in absolute form through the proxy on `agent`; resolves with the status once it is whole. */
function viaProxy(agent: http.Agent, target: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: proxy.hostname, port: Number(proxy.port), path: target, method: body ? 'POST' : 'GET', agent },
      (res) => {
        res.resume()
        res.on('end', () => (res.complete ? resolve(res.statusCode ?? 0) : reject(new Error('cut off'))))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** A download dropped after 256 KB. */
function dropDownload(target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: proxy.hostname, port: Number(proxy.port), path: target, agent: false },
      (res) => {
        let got = 0
        res.on('data', (chunk: Buffer) => {
          got += chunk.length
          if (got >= 256 * KB) {
            req.destroy()
            resolve()
          }
        })
        res.on('end', () => reject(new Error('the download was not dropped')))
      }
    )
    req.on('error', (err) => (req.destroyed ? resolve() : reject(err)))
  })
}

/** An upload dropped after 256 KB of 4 MB. */
function dropUpload(target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(proxy.port), proxy.hostname, () => {
      socket.write(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${4 * 1024 * KB}\r\n\r\n`)
      socket.write(Buffer.alloc(256 * KB, 'u'), () => {
        socket.destroy()
        resolve()
      })
    })
    socket.on('error', reject)
  })
}

/** A WebSocket upgrade inside a CONNECT tunnel: the status, and whether a frame came back. */
async function webSocket(port: number): Promise<{ status: string; echo: boolean }> {
  const socket = await connectTunnel(port)
  return new Promise((resolve) => {
    let got = ''
    const done = (): void => {
      socket.destroy()
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 'none'
      resolve({ status, echo: got.includes('\r\n\r\n\x81\x02hi') })
    }
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      if (got.includes('\r\n\r\n') && !got.includes('\x81')) socket.write(Buffer.from('\x81\x02hi', 'latin1'))
      if (got.includes('\x81\x02hi')) done()
    })
    socket.on('error', done)
    setTimeout(done, 10_000).unref()
    socket.write(
      `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    )
  })
}

/** The action's process: the nearest ancestor running index.js. */
function actionPid(): number | undefined {
  for (let pid = process.ppid; pid > 1;) {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (/index\.js/.test(cmdline)) return pid
    pid = Number(/\)\s+\S+\s+(\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 0)
  }
  return undefined
}

const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const plain = plainServer()
  const secure = https.createServer(selfSigned(), (req, res) => {
    res.setHeader('connection', req.url === '/close' ? 'close' : 'keep-alive')
    res.end('ok')
  })
  const [plainPort, securePort] = [await listen(plain), await listen(secure)]
  const base = `http://127.0.0.1:${plainPort}`
  const pid = process.env.LOAD_ACTION_FDS === '1' ? actionPid() : undefined
  const before = pid === undefined ? undefined : fdsOf(pid)

  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const errors: Record<string, number> = {}
  const run = async (kind: Kind, i: number): Promise<void> => {
    switch (kind) {
      case 'get': {
        const status = await viaProxy(agent, `${base}/items/${i}`)
        if (status !== 200) throw new Error(`status ${status}`)
        return
      }
      case 'post': {
        const status = await viaProxy(agent, `${base}/orders`, Buffer.alloc(64 * KB, 'p'))
        if (status !== 200) throw new Error(`status ${status}`)
        return
      }
      case 'tls-server-closes':
        return tlsRequest(securePort, true)
      case 'tls-client-closes':
        return tlsRequest(securePort, false)
      case 'tunnel-left-empty': {
        const socket = await connectTunnel(plainPort)
        socket.destroy()
        return
      }
      case 'download-dropped':
        return dropDownload(`${base}/big`)
      case 'upload-dropped':
        return dropUpload(`${base}/upload`)
    }
  }
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) {
      const kind = KINDS[i % KINDS.length]!
      await run(kind, i).catch((err: Error) => {
        const key = `${kind}: ${err.message.replace(/\d{4,}/g, 'N')}`
        errors[key] = (errors[key] ?? 0) + 1
      })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  agent.destroy()
  const ws = await webSocket(plainPort)

  let after: number | undefined
  if (pid !== undefined && before !== undefined) {
    // Kept-alive node connections close after the hop's idle time: wait for the count to settle.
    for (let waited = 0; (after = fdsOf(pid)) > before && waited < 15_000; waited += 100) await sleep(100)
  }
  process.stdout.write(
    `HOPLOAD ${JSON.stringify({ requests: total, errors, websocket: ws, fds: { before, after } })}\n`
  )
  plain.closeAllConnections()
  secure.closeAllConnections()
  plain.close()
  secure.close()
}

await main()
