/**
 * A small shop to test: what the demo, the end-to-end tests and the CI workflow send their "existing
 * tests" to, through the FAST node's proxy. It has three real flaws, which the emulated node finds only
 * from the answers to its attack requests, and clean endpoints that must stay clean:
 * - `GET /api/search?q=`: the query is pasted into SQL text; an odd quote makes the "database" fail
 *   with SQLite's error (sqli);
 * - `GET /greet?name=`: the name is written into HTML unescaped (xss);
 * - `GET /files?name=`: the name is resolved against /srv/files without a check, over a small in-memory
 *   file system that has an /etc/passwd (ptrav; nothing on the real disk is ever read).
 * Clean: `/`, `/api/products[/id]`, `/api/echo?text=` (reflects into JSON: not XSS), `/hello?name=`
 * (reflects HTML-escaped), `POST /api/cart`.
 *
 * Its API description is ./openapi.yaml: every route but `GET /files` (undocumented on purpose, so that
 * API coverage has a route "not in the spec" to show).
 *
 * It counts what it receives: `GET /__sample/stats` (not counted) answers
 * `{"requests":N,"attacks":N,"by_path":{...}}`, where an attack request is one whose query or body
 * carries a quote, an angle bracket, `../` or `/etc/`.
 *
 *   npx tsx sample-app/server.ts --port 3000
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { posix } from 'node:path'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'

const products = [
  { id: 1, name: 'Teapot', price: 18 },
  { id: 2, name: 'Kettle', price: 35 },
  { id: 3, name: 'Cup', price: 4 }
]

const FILES: Record<string, string> = {
  '/srv/files/readme.txt': 'Sample shop: returns within 30 days.\n',
  '/srv/files/terms.txt': 'Terms of sale.\n',
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nshop:x:1000:1000:shop:/home/shop:/bin/sh\n'
}

export interface SampleStats {
  requests: number
  attacks: number
  by_path: Record<string, { requests: number; attacks: number }>
}

export interface SampleApp {
  url: string
  server: Server
  stats(): SampleStats
  close(): Promise<void>
}

/** The injectable endpoint. */
export const INJECTABLE_PATH = '/api/search'

/** The app's real flaws, for the checks of the demo and the tests (never for the node). */
export const FLAWS = [
  { type: 'sqli', method: 'GET', path: '/api/search', parameter: 'q' },
  { type: 'xss', method: 'GET', path: '/greet', parameter: 'name' },
  { type: 'ptrav', method: 'GET', path: '/files', parameter: 'name' }
] as const

const ATTACK = /['"<>]|\.\.[/\\]|\/etc\//

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) body += (chunk as Buffer).toString()
  return body
}

export function startSampleApp(port = 0, host = '127.0.0.1'): Promise<SampleApp> {
  const stats: SampleStats = { requests: 0, attacks: 0, by_path: {} }
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://app')
      const body = await readBody(req)
      const json = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(data))
      }
      const html = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
        res.end(`<!doctype html><html><body>${text}</body></html>`)
      }
      if (url.pathname === '/__sample/stats') return json(200, stats)
      let decoded = `${url.search}\n${body}`
      try {
        decoded = decodeURIComponent(decoded.replace(/\+/g, ' '))
      } catch {
        // keep the raw text
      }
      const attack = ATTACK.test(decoded)
      const entry = (stats.by_path[url.pathname] ??= { requests: 0, attacks: 0 })
      stats.requests++
      entry.requests++
      if (attack) {
        stats.attacks++
        entry.attacks++
      }

      const q = url.searchParams
      if (url.pathname === '/') return html(200, '<h1>Sample shop</h1>')
      if (url.pathname === '/api/products') return json(200, products)
      if (url.pathname.startsWith('/api/products/')) {
        const product = products.find((p) => String(p.id) === url.pathname.split('/').pop())
        return product ? json(200, product) : json(404, { error: 'not found' })
      }
      if (url.pathname === INJECTABLE_PATH) {
        const term = q.get('q') ?? ''
        // The flaw: the term is pasted into SQL text.
        const sql = `SELECT * FROM products WHERE name LIKE '%${term}%'`
        if ((sql.match(/'/g) ?? []).length % 2 === 1)
          return json(500, { error: `SQLITE_ERROR: unrecognized token: "'%'"` })
        return json(
          200,
          products.filter((p) => p.name.toLowerCase().includes(term.toLowerCase()))
        )
      }
      if (url.pathname === '/greet') return html(200, `<p>Hello, ${q.get('name') ?? 'guest'}!</p>`) // the flaw
      if (url.pathname === '/hello')
        return html(200, `<p>Hello, ${escapeHtml(q.get('name') ?? 'guest')}!</p>`)
      if (url.pathname === '/api/echo') return json(200, { text: q.get('text') ?? '' })
      if (url.pathname === '/files') {
        // The flaw: no check that the resolved path stays under /srv/files.
        const file = FILES[posix.resolve('/srv/files', q.get('name') ?? '')]
        if (file === undefined) return json(404, { error: 'no such file' })
        res.writeHead(200, { 'content-type': 'text/plain' })
        return void res.end(file)
      }
      if (url.pathname === '/api/cart' && req.method === 'POST')
        return json(201, { ok: true, received: body.length })
      return json(404, { error: 'not found' })
    })().catch(() => res.destroy())
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo
      resolve({
        url: `http://${host}:${bound}`,
        server,
        stats: () => structuredClone(stats),
        close: () =>
          new Promise((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' } } })
  const app = await startSampleApp(Number(values.port))
  console.log(`sample app listening on ${app.url}`)
  const stop = (): void => void app.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
