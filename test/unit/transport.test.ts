/**
 * The client's transport on its own: what a server receives, TLS for https URLs, the socket timeout, and
 * no use after dispose. (Proxied requests are covered by the client's proxy tests.)
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createTransport, type Transport } from '../../src/wallarm/transport.js'

let server: http.Server | undefined
let transport: Transport | undefined
afterEach(async () => {
  transport?.dispose()
  server?.closeAllConnections()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = transport = undefined
})

interface Seen {
  method: string | undefined
  url: string | undefined
  headers: http.IncomingHttpHeaders
  body: string
}

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void
): Promise<string> {
  server = http.createServer(handler)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('createTransport', () => {
  it('sends the method, path, headers, user agent and a sized UTF-8 body, and reads the answer', async () => {
    const seen: Seen[] = []
    const host = await serve((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body })
        res.end('{"ok":"ü"}')
      })
    })
    transport = createTransport({ userAgent: 'ua/1', socketTimeoutMs: 5_000 })
    const res = await transport.request('POST', `http://${host}/v1/x?y=1`, '{"a":"é"}', { 'X-Test': '1' })
    expect(res.message.statusCode).toBe(200)
    expect(await res.readBody()).toBe('{"ok":"ü"}')
    expect(seen).toEqual([expect.objectContaining({ method: 'POST', url: '/v1/x?y=1', body: '{"a":"é"}' })])
    expect(seen[0]!.headers).toMatchObject({ 'user-agent': 'ua/1', 'x-test': '1', 'content-length': '10' })
  })

  it('speaks TLS to an https URL', async () => {
    const host = await serve((_req, res) => res.end('plain'))
    transport = createTransport({ userAgent: 'ua', socketTimeoutMs: 5_000 })
    await expect(transport.request('GET', `https://${host}/`, null, {})).rejects.toMatchObject({
      code: expect.stringMatching(/SSL|EPROTO|ECONNRESET/) as unknown
    })
  })

  it('fails a request whose socket stays idle past the timeout, naming the path', async () => {
    const host = await serve(() => undefined)
    transport = createTransport({ userAgent: 'ua', socketTimeoutMs: 100 })
    await expect(transport.request('GET', `http://${host}/slow?q=1`, null, {})).rejects.toThrow(
      'Request timeout: /slow?q=1'
    )
  })

  it('refuses requests once disposed, as @actions/http-client does', async () => {
    transport = createTransport({ userAgent: 'ua', socketTimeoutMs: 100 })
    transport.dispose()
    await expect(transport.request('GET', 'http://127.0.0.1:9/', null, {})).rejects.toThrow(
      'Client has already been disposed.'
    )
  })
})
