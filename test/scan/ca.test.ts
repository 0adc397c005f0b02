import { execFile, execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caBundle, fetchNodeCa, systemCaPem, trustedCaPem } from '../../src/scan/ca.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'fast-ca-'))

/** A node-like CA (self-signed, CA:TRUE, for localhost), made by openssl. */
function makeCa(): { pem: string; key: string; der: Buffer } {
  const key = join(dir, 'ca.key')
  const crt = join(dir, 'ca.crt')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '2',
      '-subj',
      '/CN=FAST node test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'subjectAltName=DNS:localhost'
    ],
    { stdio: 'ignore' }
  )
  const pem = readFileSync(crt, 'utf8')
  return { pem, key: readFileSync(key, 'utf8'), der: new X509Certificate(pem).raw }
}

describe('the node’s CA for HTTPS targets', () => {
  const ca = makeCa()
  let proxy: http.Server
  let proxyUrl: string
  let answer: { status: number; body: Buffer } = { status: 200, body: ca.der }

  beforeAll(async () => {
    // A stand-in for the node's proxy, which serves its CA at http://wallarm.get/cert.der.
    proxy = http.createServer((req, res) => {
      if (req.url !== 'http://wallarm.get/cert.der') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(answer.status).end(answer.body)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())))

  it('fetches the CA through the node’s proxy, as PEM', async () => {
    answer = { status: 200, body: ca.der }
    const got = await fetchNodeCa(proxyUrl)
    expect(got).toEqual({ pem: new X509Certificate(ca.pem).toString() })
  })

  it('says why when the node serves no CA, or not a certificate', async () => {
    answer = { status: 404, body: Buffer.from('') }
    expect(await fetchNodeCa(proxyUrl)).toEqual({ error: 'http://wallarm.get/cert.der answered 404' })
    answer = { status: 200, body: Buffer.from('<html>hello</html>') }
    expect(await fetchNodeCa(proxyUrl)).toEqual({
      error: 'http://wallarm.get/cert.der did not answer with a certificate'
    })
    expect(await fetchNodeCa('http://127.0.0.1:1')).toHaveProperty('error')
  })

  it('the bundle keeps every system CA and adds the node’s: a real curl trusts both', async () => {
    const system = systemCaPem()
    const bundle = caBundle(ca.pem, system)
    expect(bundle.startsWith(system)).toBe(true)
    const count = (pem: string): number => (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length
    expect(count(bundle)).toBe(count(system) + 1)
    const file = join(dir, 'bundle.pem')
    writeFileSync(file, bundle)

    // An HTTPS server presenting the node's certificate, as the node does when it intercepts TLS.
    const server = https.createServer({ cert: ca.pem, key: ca.key }, (_req, res) => res.end('intercepted'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `https://localhost:${(server.address() as AddressInfo).port}/`
    try {
      const env = { ...process.env, CURL_CA_BUNDLE: file }
      expect((await run('curl', ['-sS', url], { env })).stdout).toBe('intercepted')
      // Without the bundle the same request is refused: the test can fail.
      await expect(
        run('curl', ['-sS', url], { env: { ...process.env, CURL_CA_BUNDLE: '' } })
      ).rejects.toThrow()
    } finally {
      await new Promise((r) => server.close(r))
    }
  })

  it("keeps the bundles the step's environment names, once each, after the system's CAs", () => {
    const corporate = join(dir, 'corporate.pem')
    writeFileSync(corporate, '-----BEGIN CERTIFICATE-----\ncorporate\n-----END CERTIFICATE-----')
    const pem = trustedCaPem(
      { SSL_CERT_FILE: corporate, REQUESTS_CA_BUNDLE: corporate, CURL_CA_BUNDLE: join(dir, 'missing.pem') },
      'SYSTEM'
    )
    expect(pem).toBe(
      `SYSTEM\n# From ${corporate}\n-----BEGIN CERTIFICATE-----\ncorporate\n-----END CERTIFICATE-----\n`
    )
    expect(trustedCaPem({}, 'SYSTEM\n')).toBe('SYSTEM\n')
  })

  it('falls back to the Mozilla roots Node carries when the system has no bundle', () => {
    expect(systemCaPem([join(dir, 'none.pem')]).match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(100)
  })
})
