/**
 * A small shop API to test: what the demo, the end-to-end tests and the CI workflow send their
 * "existing tests" to, through the FAST node's proxy. `/api/search` is deliberately injectable: it
 * pastes the query into SQL text, and a quote breaks it (the emulated node reports it as `sqli`).
 *
 *   npx tsx sample-app/server.ts --port 3000
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'

const products = [
  { id: 1, name: 'Teapot', price: 18 },
  { id: 2, name: 'Kettle', price: 35 },
  { id: 3, name: 'Cup', price: 4 }
]

export interface SampleApp {
  url: string
  server: Server
  close(): Promise<void>
}

/** The injectable endpoint, for the emulator's vulnerability rule. */
export const INJECTABLE_PATH = '/api/search'

export function startSampleApp(port = 0, host = '127.0.0.1'): Promise<SampleApp> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app')
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<h1>Sample shop</h1>')
    } else if (url.pathname === '/api/products') {
      json(200, products)
    } else if (url.pathname.startsWith('/api/products/')) {
      const product = products.find((p) => String(p.id) === url.pathname.split('/').pop())
      if (product) json(200, product)
      else json(404, { error: 'not found' })
    } else if (url.pathname === INJECTABLE_PATH) {
      const q = url.searchParams.get('q') ?? ''
      // Deliberately injectable: the query is pasted into SQL text.
      const sql = `SELECT * FROM products WHERE name LIKE '%${q}%'`
      if ((sql.match(/'/g) ?? []).length % 2 === 1) json(500, { error: `SQL syntax error near '${q}'` })
      else
        json(
          200,
          products.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()))
        )
    } else if (url.pathname === '/api/cart' && req.method === 'POST') {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => json(201, { ok: true, received: body.length }))
    } else {
      json(404, { error: 'not found' })
    }
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo
      resolve({
        url: `http://${host}:${bound}`,
        server,
        close: () => new Promise((done) => server.close(() => done()))
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
