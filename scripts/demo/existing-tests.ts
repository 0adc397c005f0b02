/**
 * The shop's "existing tests": a few requests to it, sent through the FAST node's proxy (which records
 * each as a baseline), printed like a test run.
 */
import http from 'node:http'
import type { Emulator } from '../../emulator/index.js'
import type { SampleApp } from '../../sample-app/server.js'
import { padEnd } from '../lib/terminal.js'
import { say, style } from './console.js'

export async function existingTests(
  emu: Emulator,
  app: SampleApp
): Promise<{ passed: number; total: number }> {
  const proxy = new URL(emu.proxyUrl)
  const cases: Array<{ name: string; method: string; path: string; body?: string; expect: number }> = [
    { name: 'lists the products', method: 'GET', path: '/api/products', expect: 200 },
    { name: 'shows one product', method: 'GET', path: '/api/products/2', expect: 200 },
    { name: 'searches for tea', method: 'GET', path: '/api/search?q=tea', expect: 200 },
    { name: 'greets a visitor', method: 'GET', path: '/greet?name=Ann', expect: 200 },
    {
      name: 'adds to the cart',
      method: 'POST',
      path: '/api/cart',
      body: '{"productId":1,"qty":2}',
      expect: 201
    },
    { name: 'serves the home page', method: 'GET', path: '/', expect: 200 }
  ]
  say()
  say(style.bold('▶ Run npm test') + style.dim('  (the existing tests)'))
  say(style.dim('  env:'))
  say(style.dim(`    HTTP_PROXY: ${emu.proxyUrl}   (the FAST node records every request as a baseline)`))
  let passed = 0
  const width = Math.max(...cases.map((c) => c.name.length))
  const pathWidth = Math.max(...cases.map((c) => c.path.length))
  for (const c of cases) {
    const t0 = Date.now()
    let status: number | string
    try {
      status = await viaProxy(proxy, new URL(c.path, app.url), c.method, c.body)
    } catch (err) {
      status = err instanceof Error ? err.message : String(err)
    }
    const ok = status === c.expect
    if (ok) passed++
    const mark = ok ? style.green('✓') : style.red('✗')
    const ms = style.dim(`${Date.now() - t0} ms`)
    say(
      `  ${mark} ${padEnd(c.name, width)}  ${padEnd(c.method, 4)} ${padEnd(c.path, pathWidth)}  → ${status}  ${ms}`
    )
  }
  const total = cases.length
  say(
    `  ${passed === total ? style.green(`${passed} passed`) : style.red(`${total - passed} failed, ${passed} passed`)}`
  )
  return { passed, total }
}

function viaProxy(proxy: URL, target: URL, method: string, body?: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: proxy.port,
        method,
        path: target.href,
        headers: {
          host: target.host,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        },
        timeout: 10_000
      },
      (res) => {
        res.resume()
        res.on('end', () => done(res.statusCode ?? 0))
        res.on('error', fail)
      }
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', fail)
    req.end(body)
  })
}
