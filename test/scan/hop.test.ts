import { execFile } from 'node:child_process'
import http, { type IncomingMessage } from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { viaProxy } from '../emulator/helpers.js'
import { node24Path } from '../e2e/harness.js'
import { startSampleApp, type SampleApp } from '../../sample-app/server.js'
import { MAX_HEADER_BYTES, startHop, type RecordingHop } from '../../src/scan/hop.js'
import type { SeenRequest } from '../../src/scan/traffic.js'
import { parseExclude } from '../../src/triage/exclude.js'
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

  it('sends an excluded request straight to the target: neither recorded nor attacked, and noted as excluded', async () => {
    emu = keep(await startEmulator({ tokens: ['fast-hop-token'], readyDelayMs: 0 }))
    app = keep(await startSampleApp())
    hop = keep(
      await startHop({
        upstream: emu.proxyUrl,
        onRequest: (r) => seen.push(r),
        exclude: parseExclude('POST ^/api/cart$')
      })
    )
    const created = emu.model.createTestRun('fast-hop-token', { name: 'hop' })
    const { stdout } = await run('curl', ['-sS', '-x', hop.url, '-d', 'cart=1', `${app.url}/api/cart`])
    expect(JSON.parse(stdout)).toEqual({ ok: true, received: 6 }) // the application got it
    // Plain HTTP inside a CONNECT tunnel (curl -p) too: the hop reads the path there.
    const { stdout: again } = await run('curl', [
      '-sS',
      '-p',
      '-x',
      hop.url,
      '-d',
      'cart=22',
      `${app.url}/api/cart`
    ])
    expect(JSON.parse(again)).toEqual({ ok: true, received: 7 })
    await run('curl', ['-sS', '-x', hop.url, `${app.url}/api/products/2`])
    // Only the request in scope reached the node.
    expect(emu.model.getTestRun('fast-hop-token', created.id).baseline_count).toBe(1)
    expect(seen).toEqual([
      { method: 'POST', host: '127.0.0.1', path: '/api/cart', status: 201, excluded: true },
      { method: 'POST', host: '127.0.0.1', path: '/api/cart', status: 201, excluded: true },
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

/**
 * A stand-in for the node's proxy that keeps the bytes of every request head it gets, and answers each
 * with `answer` (a keep-alive 200 by default): what the hop passes on, seen without any parser between.
 */
async function recordingUpstream(
  answer = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
): Promise<{ url: string; heads: string[]; close(): Promise<unknown> }> {
  const heads: string[] = []
  const server = net.createServer((socket) => {
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        heads.push(pending.subarray(0, end).toString('latin1'))
        pending = pending.subarray(end + 4)
        socket.write(answer)
      }
    })
    socket.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads,
    close: () => new Promise((r) => server.close(r))
  }
}

/** Sends `bytes` to `port` on a raw socket and gives back all it answered (the hop closes, or `until` is seen). */
function rawExchange(port: number, bytes: string | Buffer, until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    let got = ''
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      if (until !== undefined && got.includes(until)) socket.destroy()
    })
    socket.on('close', () => resolve(got))
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' ? resolve(got) : reject(err)
    )
  })
}

/** What URL parsing would have done to each: the node would record, and attack, another request. */
const TARGETS = [
  '/static/../admin',
  '/files/%2e%2e/%2E%2E/etc/passwd',
  '/a\\b',
  "/search?q='x'",
  '/api/{id}/x'
]

describe('the hop passes the request on as the tests sent it', () => {
  it('the request target byte for byte, absolute-form and inside a plain-HTTP tunnel; headers in their case and order', async () => {
    const up = keep(await recordingUpstream())
    const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
    for (const path of TARGETS) {
      const request =
        `GET http://app.test:3000${path} HTTP/1.1\r\nHost: app.test:3000\r\nX-Mixed-Case: 1\r\n` +
        `Accept: */*\r\nProxy-Connection: keep-alive\r\nConnection: close\r\n\r\n`
      expect(await rawExchange(hop.port, request)).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/)
    }
    // Node's fetch and curl -p: CONNECT, then origin-form requests inside the tunnel.
    const tunnelled =
      'CONNECT app.test:3000 HTTP/1.1\r\nHost: app.test:3000\r\n\r\n' +
      TARGETS.map((path) => `GET ${path} HTTP/1.1\r\nHost: app.test:3000\r\n\r\n`).join('')
    const answers = await rawExchange(hop.port, `${tunnelled.slice(0, -2)}Connection: close\r\n\r\n`)
    expect(answers.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(TARGETS.length)

    const lines = up.heads.map((head) => head.split('\r\n')[0])
    expect(lines).toEqual([...TARGETS, ...TARGETS].map((path) => `GET http://app.test:3000${path} HTTP/1.1`))
    // Headers as sent, in their order and case, less the connection's own.
    expect(up.heads[0]!.split('\r\n').slice(1, 4)).toEqual([
      'Host: app.test:3000',
      'X-Mixed-Case: 1',
      'Accept: */*'
    ])
    expect(up.heads[0]).not.toMatch(/proxy-connection/i)
    // Counted under the paths as sent.
    expect(seen.map((r) => r.path)).toEqual([...TARGETS, ...TARGETS].map((p) => p.split('?')[0]))
    expect(new Set(seen.map((r) => `${r.method} ${r.host} ${r.status}`))).toEqual(
      new Set(['GET app.test 200'])
    )
  })

  it('a real curl --path-as-is, plain and tunnelled (-p): the node gets the path curl sent', async () => {
    const up = keep(await recordingUpstream())
    const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
    for (const tunnel of [[], ['-p']]) {
      for (const path of TARGETS) {
        const { stdout } = await run('curl', [
          '-sS',
          '-g',
          '--path-as-is',
          ...tunnel,
          '-x',
          hop.url,
          `http://app.test:3000${path}`
        ])
        expect(stdout).toBe('ok')
      }
    }
    expect(up.heads.map((head) => head.split('\r\n')[0])).toEqual(
      [...TARGETS, ...TARGETS].map((path) => `GET http://app.test:3000${path} HTTP/1.1`)
    )
  })
})

describe('header sections larger than Node’s 16 KiB default', () => {
  const kb6 = (name: string): string => `${name}: ${'c'.repeat(6 * 1024)}`

  it('three 6 KB request headers (each within nginx’s 8k) reach the node; a 20 KB Set-Cookie reaches curl', async () => {
    const cookie = `big=${'v'.repeat(20 * 1024)}`
    const up = keep(
      await recordingUpstream(`HTTP/1.1 200 OK\r\nSet-Cookie: ${cookie}\r\nContent-Length: 2\r\n\r\nok`)
    )
    const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
    const { stdout } = await run(
      'curl',
      [
        '-sS',
        '-D',
        '-',
        '-x',
        hop.url,
        '-H',
        kb6('X-One'),
        '-H',
        kb6('X-Two'),
        '-H',
        kb6('X-Three'),
        'http://app.test/big'
      ],
      { maxBuffer: 1024 * 1024 }
    )
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(stdout).toContain(`Set-Cookie: ${cookie}\r\n`)
    expect(up.heads).toHaveLength(1)
    for (const name of ['X-One', 'X-Two', 'X-Three']) expect(up.heads[0]).toContain(kb6(name))
    expect(seen).toEqual([{ method: 'GET', host: 'app.test', path: '/big', status: 200 }])
  })

  it(
    'Node 24’s fetch (NODE_USE_ENV_PROXY: a CONNECT tunnel, even for http://) with three 6 KB headers',
    { timeout: 300_000 },
    async () => {
      const up = keep(await recordingUpstream())
      const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
      const js =
        'const big = "c".repeat(6 * 1024); fetch("http://app.test:3000/api/{id}/../x", ' +
        '{ headers: { "x-one": big, "x-two": big, "x-three": big } }).then((r) => r.text()).then((t) => process.stdout.write(t))'
      const { stdout } = await run(node24Path(), ['-e', js], {
        env: { PATH: process.env.PATH, HTTP_PROXY: hop.url, NODE_USE_ENV_PROXY: '1' }
      })
      expect(stdout).toBe('ok')
      // fetch normalises the URL itself (WHATWG): the hop passes on what fetch sent.
      expect(up.heads.map((head) => head.split('\r\n')[0])).toEqual([
        'GET http://app.test:3000/api/x HTTP/1.1'
      ])
      expect(up.heads[0]).toContain(`x-three: ${'c'.repeat(6 * 1024)}`)
      expect(seen).toEqual([{ method: 'GET', host: 'app.test', path: '/api/x', status: 200 }])
    }
  )

  it(`a request over ${MAX_HEADER_BYTES / 1024} KiB: 431, and counted; an answer over it: 502, counted as answered`, async () => {
    const huge = 'h'.repeat(MAX_HEADER_BYTES + 1024)
    const up = keep(
      await recordingUpstream(`HTTP/1.1 200 OK\r\nSet-Cookie: big=${huge}\r\nContent-Length: 2\r\n\r\nok`)
    )
    const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
    const refused = await rawExchange(
      hop.port,
      `GET http://app.test/huge?x=1 HTTP/1.1\r\nHost: app.test\r\nX-Huge: ${huge}\r\n\r\n`
    )
    expect(refused).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    expect(refused).toContain(`passes header sections up to ${MAX_HEADER_BYTES / 1024} KiB`)
    // In a tunnel, the tunnel names the host.
    const tunnelled = await rawExchange(
      hop.port,
      `CONNECT app.test:8080 HTTP/1.1\r\nHost: app.test:8080\r\n\r\nPOST /form HTTP/1.1\r\nHost: app.test:8080\r\nX-Huge: ${huge}\r\n\r\n`
    )
    expect(tunnelled).toContain('HTTP/1.1 431 ')
    expect(up.heads).toEqual([])

    const answer = await viaProxy(hop.url, 'http://app.test/cookie')
    expect(answer.status).toBe(502)
    expect(answer.body).toContain('could not be read')
    expect(seen).toEqual([
      { method: 'GET', host: 'app.test', path: '/huge', status: 431, refused: true },
      { method: 'POST', host: 'app.test', path: '/form', status: 431, refused: true },
      { method: 'GET', host: 'app.test', path: '/cookie', status: 502 }
    ])
  })

  it('a malformed request is answered 400 and counted when its request line could be read; garbage is not counted', async () => {
    const up = keep(await recordingUpstream())
    const hop = keep(await startHop({ upstream: up.url, onRequest: (r) => seen.push(r) }))
    const bad = await rawExchange(hop.port, 'GET http://app.test/x HTTP/1.1\r\nBad Header\r\n\r\n')
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    // Raw UTF-8 in the target (as curl sends /café): Node's parser refuses it; the refusal is counted.
    const utf8 = await rawExchange(
      hop.port,
      Buffer.concat([
        Buffer.from('GET http://app.test/caf'),
        Buffer.from('é'),
        Buffer.from(' HTTP/1.1\r\nHost: app.test\r\n\r\n')
      ])
    )
    expect(utf8).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(await rawExchange(hop.port, '\x16\x03\x01garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /)
    expect(up.heads).toEqual([])
    expect(seen).toEqual([
      { method: 'GET', host: 'app.test', path: '/x', status: 400, refused: true },
      { method: 'GET', host: 'app.test', path: '/café', status: 400, refused: true }
    ])
  })
})

/**
 * A stand-in for the node: `onRequest` answers absolute-form requests; CONNECT opens a raw TCP tunnel
 * to the authority that passes each end's close on as a half-close, and holds nothing once both ends
 * have closed. Notes every connection the hop opens to it, and when it closed.
 */
async function standInNode(onRequest: http.RequestListener = (_req, res) => res.end('ok')): Promise<{
  url: string
  connections: { closed: boolean }[]
  close(): Promise<unknown>
}> {
  const connections: { closed: boolean }[] = []
  const server = http.createServer(onRequest)
  // nginx's default keepalive_timeout (75 s), not Node's 5 s: an idle connection is the hop's to close.
  server.keepAliveTimeout = 75_000
  server.on('connection', (socket: net.Socket) => {
    const c = { closed: false }
    connections.push(c)
    socket.once('close', () => (c.closed = true))
  })
  server.on('connect', (req: IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':')
    const far = net.connect({ port: Number(port), host, allowHalfOpen: true }, () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n')
      if (head.length > 0) far.write(head)
    })
    // Each end's FIN passed on as a FIN (a half-close), never left unread.
    for (const [from, to] of [
      [client, far],
      [far, client]
    ] as const) {
      from.on('data', (chunk: Buffer) => to.write(chunk))
      from.on('end', () => to.end())
      from.on('error', () => to.destroy())
      from.on('close', () => setTimeout(() => to.destroy(), 1_000))
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(r)
      })
  }
}

describe('the hop under load: it holds nothing after a tunnel or a request', () => {
  it('a tunnel whose far end closes first (Connection: close, a keep-alive timeout) is closed, and holds no socket', async () => {
    const node = keep(await standInNode())
    // The far end answers and closes first, as a server sending `Connection: close` or timing out does.
    const far = keep(await rawServer((socket) => socket.once('data', () => socket.end('bye'))))
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    await sleep(50)
    const before = openFds()
    for (let i = 0; i < 20; i++) {
      const client = await openTunnel(hop.port, far.port)
      // Closed by the hop once the far end is gone: the client sees the end (or gives up after 3 s).
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
    expect(seen).toHaveLength(20)
    expect(new Set(seen.map((r) => `${r.method} ${r.host} ${r.status}`))).toEqual(
      new Set(['CONNECT 127.0.0.1 200'])
    )
  })

  it('a tunnel whose client goes away before sending a byte is closed, and holds no socket', async () => {
    const node = keep(await standInNode())
    const far = keep(await rawServer(() => undefined))
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    await sleep(50)
    const before = openFds()
    for (let i = 0; i < 20; i++) {
      const client = await openTunnel(hop.port, far.port)
      client.end()
      const closed = await new Promise((resolve) => {
        client.once('close', () => resolve(true))
        setTimeout(() => resolve(false), 3_000)
      })
      client.destroy()
      expect(closed).toBe(true)
    }
    expect(await fdsSettled(before)).toBeLessThanOrEqual(before)
    // Nothing went through: nothing is counted.
    expect(seen).toEqual([])
  })
})

describe('the hop under load: a client that goes away, a node that closes, an answer cut off', () => {
  it('a download dropped after 1 MB: the hop closes its node connection, and notes that the client went away', async () => {
    const node = keep(
      await standInNode((_req, res) => {
        res.writeHead(200, { 'content-length': 256 * MB })
        Readable.from(bytesOf(256 * MB)).pipe(res)
      })
    )
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    const got = await getVia(hop.port, 'http://app.test/big.iso', MB)
    expect(got).toMatchObject({ status: 200, complete: false })
    await eventually(() => node.connections.every((c) => c.closed))
    expect(node.connections).toEqual([{ closed: true }])
    await eventually(() => seen.length > 0)
    expect(seen).toEqual([
      { method: 'GET', host: 'app.test', path: '/big.iso', status: 200, incomplete: 'client went away' }
    ])
  })

  it('an upload dropped mid-body: the node request is aborted, and noted as the client gone, not a 408', async () => {
    let received = 0
    const node = keep(
      await standInNode((req, res) => {
        req.on('data', (chunk: Buffer) => (received += chunk.length))
        // As nginx does once its client_body_timeout passes: a 408 that nobody will read.
        req.on('end', () => res.writeHead(408).end())
      })
    )
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    const client = net.connect(hop.port, '127.0.0.1')
    client.on('error', () => undefined)
    client.write('POST http://app.test/upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10000000\r\n\r\n')
    client.write(Buffer.alloc(MB, 'u'))
    await eventually(() => received >= MB)
    client.destroy()
    await eventually(() => node.connections.every((c) => c.closed))
    expect(node.connections).toEqual([{ closed: true }])
    await eventually(() => seen.length > 0)
    expect(seen).toEqual([
      { method: 'POST', host: 'app.test', path: '/upload', status: undefined, incomplete: 'client went away' }
    ])
  })

  it('an answer cut off mid-body by a reset is noted as cut off, not as a 2xx', async () => {
    const node = keep(
      await standInNode((_req, res) => {
        res.writeHead(200, { 'content-length': 4 * MB })
        res.write(Buffer.alloc(100 * 1024, 'c'), () => res.socket?.resetAndDestroy())
      })
    )
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    const got = await getVia(hop.port, 'http://app.test/report.pdf')
    expect(got).toMatchObject({ status: 200, complete: false })
    await eventually(() => seen.length > 0)
    expect(seen).toEqual([
      { method: 'GET', host: 'app.test', path: '/report.pdf', status: 200, incomplete: 'answer cut off' }
    ])
  })

  it('a node connection the node closes as a request arrives: an idempotent request is retried once on a new one', async () => {
    const served = new WeakMap<object, number>()
    const posts: string[] = []
    // Every second request on a connection finds it closed: the node's keep-alive timeout, just then.
    const node = keep(
      await standInNode((req, res) => {
        const n = (served.get(req.socket) ?? 0) + 1
        served.set(req.socket, n)
        if (req.method === 'POST') posts.push(req.url ?? '')
        if (n === 2) req.socket.destroy()
        else res.end('ok')
      })
    )
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    expect(await getVia(hop.port, 'http://app.test/a')).toMatchObject({ status: 200, complete: true })
    expect(await getVia(hop.port, 'http://app.test/b')).toMatchObject({ status: 200, complete: true })
    expect(seen.map((r) => `${r.path} ${r.status}`)).toEqual(['/a 200', '/b 200'])
    // A POST whose bytes went out is not sent twice: the node may have acted on it.
    const post = await viaProxy(hop.url, 'http://app.test/order', { method: 'POST', body: 'x=1' })
    const again = await viaProxy(hop.url, 'http://app.test/order', { method: 'POST', body: 'x=2' })
    expect([post.status, again.status].sort()).toEqual([200, 502])
    expect(posts).toHaveLength(2)
  })

  it('no node connection is reused after it has been idle for a while: the node’s own timeout never races a request', async () => {
    const node = keep(await standInNode())
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    expect(await getVia(hop.port, 'http://app.test/a')).toMatchObject({ status: 200 })
    expect(node.connections).toEqual([{ closed: false }])
    await eventually(() => node.connections[0]!.closed)
    expect(node.connections).toEqual([{ closed: true }])
    expect(await getVia(hop.port, 'http://app.test/b')).toMatchObject({ status: 200 })
    expect(node.connections).toHaveLength(2)
  })

  it('a WebSocket upgrade inside a CONNECT tunnel passes through as raw bytes: 101, then the frames both ways', async () => {
    const target = http.createServer((_req, res) => res.writeHead(426).end('upgrade required'))
    target.on('upgrade', (req: IncomingMessage, socket: net.Socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `X-Seen-Upgrade: ${req.headers.upgrade ?? ''}\r\n\r\n`
      )
      socket.on('data', (chunk: Buffer) => socket.write(chunk)) // an echo
      socket.on('end', () => socket.end())
    })
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r))
    cleanups.push(
      () =>
        new Promise((r) => {
          target.closeAllConnections()
          target.close(r)
        })
    )
    const port = (target.address() as AddressInfo).port
    const node = keep(await standInNode())
    const hop = keep(await startHop({ upstream: node.url, onRequest: (r) => seen.push(r) }))
    const client = await openTunnel(hop.port, port)
    let got = ''
    client.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')))
    client.write(
      `GET /chat?room=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    )
    await eventually(() => got.includes('\r\n\r\n'))
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/)
    expect(got).toContain('X-Seen-Upgrade: websocket')
    got = ''
    client.write(Buffer.from('\x81\x05hello', 'latin1'))
    await eventually(() => got.length >= 7)
    expect(got).toBe('\x81\x05hello')
    client.destroy()
    await eventually(() => seen.length > 0)
    expect(seen).toEqual([{ method: 'GET', host: '127.0.0.1', path: '/chat', status: 101 }])
  })
})
