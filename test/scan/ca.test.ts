import { execFile, execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { caBundle, fetchNodeCa, systemCaPem, trustedCaPem } from '../../src/scan/ca.js'
import { makeCa } from '../support/tls.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'fast-ca-'))

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
    writeFileSync(corporate, ca.pem)
    const warnings: string[] = []
    const pem = trustedCaPem(
      { SSL_CERT_FILE: corporate, REQUESTS_CA_BUNDLE: corporate, CURL_CA_BUNDLE: join(dir, 'missing.pem') },
      'SYSTEM',
      (w) => warnings.push(w)
    )
    expect(pem).toBe(`SYSTEM\n# From ${corporate}\n${new X509Certificate(ca.pem).toString()}`)
    expect(warnings).toEqual([
      `CURL_CA_BUNDLE names ${join(dir, 'missing.pem')}, which does not exist: left out of the tests' CA bundle.`
    ])
    expect(trustedCaPem({}, 'SYSTEM\n')).toBe('SYSTEM\n')
  })

  it('reads a CA directory (as requests documents REQUESTS_CA_BUNDLE): *.pem, *.crt and hash links, each certificate once', () => {
    const other = makeCa('other')
    const cadir = mkdtempSync(join(tmpdir(), 'fast-ca-dir-'))
    writeFileSync(join(cadir, 'corporate.pem'), ca.pem)
    writeFileSync(join(cadir, 'other.crt'), other.pem)
    // c_rehash / update-ca-certificates: <subject hash>.0 links to the certificate files.
    symlinkSync('corporate.pem', join(cadir, 'a1b2c3d4.0'))
    symlinkSync('gone.pem', join(cadir, 'deadbeef.1'))
    writeFileSync(join(cadir, 'README'), 'not a certificate, and not named as one: not read')
    writeFileSync(join(cadir, 'server.pem'), ca.key)
    writeFileSync(
      join(cadir, 'damaged.crt'),
      `${other.pem}-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n`
    )
    mkdirSync(join(cadir, 'sub.pem'))
    const warnings: string[] = []
    const pem = trustedCaPem({ REQUESTS_CA_BUNDLE: cadir }, 'SYSTEM', (w) => warnings.push(w))
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []
    expect(certs.map((c) => new X509Certificate(c).subject).sort()).toEqual(
      [new X509Certificate(ca.pem).subject, new X509Certificate(other.pem).subject].sort()
    )
    expect(pem.startsWith(`SYSTEM\n# From ${cadir}\n`)).toBe(true)
    const named = `REQUESTS_CA_BUNDLE names ${cadir}`
    expect(warnings.sort()).toEqual(
      [
        `${named}, whose damaged.crt, in which 1 certificate is damaged: it is left out of the tests' CA bundle.`,
        `${named}, whose deadbeef.1, which does not exist: left out of the tests' CA bundle.`,
        `${named}, whose server.pem holds no certificate: left out of the tests' CA bundle.`
      ].sort()
    )
    // A certificate the system bundle has already is not added again.
    expect(
      trustedCaPem({ SSL_CERT_FILE: cadir }, ca.pem, () => undefined).match(/BEGIN CERTIFICATE/g)
    ).toHaveLength(2)
  })

  it('warns, and never throws, for what is not a bundle: an empty directory, a FIFO, a file of no certificate', () => {
    const empty = mkdtempSync(join(tmpdir(), 'fast-ca-empty-'))
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const text = join(dir, 'text.pem')
    writeFileSync(text, 'hello')
    const warnings: string[] = []
    expect(
      trustedCaPem({ SSL_CERT_FILE: empty, CURL_CA_BUNDLE: fifo, NODE_EXTRA_CA_CERTS: text }, 'SYSTEM', (w) =>
        warnings.push(w)
      )
    ).toBe('SYSTEM\n')
    expect(warnings).toEqual([
      `SSL_CERT_FILE names ${empty}, a directory with no certificate file (*.pem, *.crt, hash links): nothing from it is trusted.`,
      `CURL_CA_BUNDLE names ${fifo}, which is neither a file nor a directory: left out of the tests' CA bundle.`,
      `NODE_EXTRA_CA_CERTS names ${text}, which holds no certificate: left out of the tests' CA bundle.`
    ])
  })

  it('a real python requests trusts a server of the directory’s CA through the bundle made from it', async () => {
    const cadir = mkdtempSync(join(tmpdir(), 'fast-ca-py-'))
    writeFileSync(join(cadir, 'corporate.pem'), ca.pem)
    const bundle = join(dir, 'py-bundle.pem')
    writeFileSync(bundle, caBundle(makeCa('node').pem, trustedCaPem({ REQUESTS_CA_BUNDLE: cadir })))
    const server = https.createServer({ cert: ca.pem, key: ca.key }, (_req, res) => res.end('corporate'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `https://localhost:${(server.address() as AddressInfo).port}/`
    const py = `import requests; print(requests.get("${url}").text, end="")`
    try {
      const env = { PATH: process.env.PATH, REQUESTS_CA_BUNDLE: bundle }
      expect((await run('python3', ['-c', py], { env })).stdout).toBe('corporate')
      // The system's CAs alone do not trust it: the test can fail.
      await expect(run('python3', ['-c', py], { env: { PATH: process.env.PATH } })).rejects.toThrow(/SSL/)
    } finally {
      await new Promise((r) => server.close(r))
    }
  })

  it('falls back to the Mozilla roots Node carries when the system has no bundle', () => {
    expect(systemCaPem([join(dir, 'none.pem')]).match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(100)
  })
})
