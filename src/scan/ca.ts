/**
 * HTTPS targets: the FAST node intercepts TLS with a CA of its own, which the test clients must trust.
 * The node serves that CA through its proxy at `http://wallarm.get/cert.der` (DER). The clients get a
 * bundle of the system's CAs plus the node's — never the node's CA alone, which would make every other
 * HTTPS connection of the tests (package registries, other services) fail. No `@actions/core` here.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'

/** Where the node serves its CA, through its own proxy. */
export const NODE_CA_URL = 'http://wallarm.get/cert.der'

/** The system bundles of the common distributions, in the order OpenSSL-based clients look for them. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem'
]

/** The node's CA as PEM, or undefined when the node does not serve one (with why). */
export async function fetchNodeCa(
  proxyUrl: string,
  timeoutMs = 5_000
): Promise<{ pem: string } | { error: string }> {
  const proxy = new URL(proxyUrl)
  const body = await new Promise<{ status: number; data: Buffer } | { error: string }>((resolve) => {
    const req = http.get(
      {
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: proxy.port === '' ? 80 : Number(proxy.port),
        path: NODE_CA_URL,
        headers: { host: 'wallarm.get' },
        timeout: timeoutMs,
        agent: false
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          // A CA certificate is a few kilobytes: anything much larger is not one.
          if (size > 256 * 1024) req.destroy(new Error('answer too large for a certificate'))
          else chunks.push(chunk)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks) }))
        res.on('error', (err) => resolve({ error: err.message }))
      }
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => resolve({ error: err.message }))
  })
  if ('error' in body) return body
  if (body.status !== 200) return { error: `${NODE_CA_URL} answered ${body.status}` }
  try {
    const cert = new X509Certificate(body.data)
    if (!cert.ca) return { error: `${NODE_CA_URL} is a certificate, but not a CA's` }
    return { pem: cert.toString() }
  } catch {
    return { error: `${NODE_CA_URL} did not answer with a certificate` }
  }
}

/** The system's CAs as PEM: the distribution's bundle, else the Mozilla roots Node carries. */
export function systemCaPem(files: readonly string[] = SYSTEM_BUNDLES): string {
  for (const file of files) {
    try {
      if (existsSync(file) && statSync(file).isFile()) return readFileSync(file, 'utf8')
    } catch {
      // Unreadable: the next one, or Node's own roots.
    }
  }
  return rootCertificates.join('\n')
}

/** The variables through which the step's own environment may name a CA bundle the tests rely on. */
const USER_BUNDLES = ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS'] as const

/** In a CA directory: `*.pem`, `*.crt`, and OpenSSL's hash links (`5ad8a5d6.0`; `.r0` are CRLs). */
const CERT_FILE = /^(.+\.(pem|crt)|[0-9a-f]{8}\.\d+)$/i

const LEFT_OUT = "left out of the tests' CA bundle"

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g

/**
 * What the tests trust already: the system's CAs, plus every bundle the step's environment names (a
 * corporate CA for internal services), since the bundle handed to the tests takes those variables over.
 * A variable may name a file or a directory (Python's requests reads either); from a directory, its
 * certificate files. Each certificate once, checked: a damaged one in the bundle would make clients
 * refuse all of it. What cannot be used (missing, unreadable, no certificate) is left out with a
 * warning: the tests may not even need it, so it never stops the step.
 */
export function trustedCaPem(
  env: NodeJS.ProcessEnv,
  systemPem = systemCaPem(),
  warn: (message: string) => void = () => undefined
): string {
  const have = new Set((systemPem.match(PEM_CERT) ?? []).map(normalised))
  const parts = [systemPem]
  const sources = new Map<string, string[]>()
  for (const name of USER_BUNDLES) {
    const path = env[name]
    if (path) sources.set(path, [...(sources.get(path) ?? []), name])
  }
  for (const [path, names] of sources) {
    const named = `${names.join(', ')} names ${path}`
    const certs: string[] = []
    for (const found of certificatesAt(path, named, warn)) {
      const key = normalised(found)
      if (have.has(key)) continue
      have.add(key)
      certs.push(found)
    }
    if (certs.length > 0) parts.push(`# From ${path}\n${certs.join('\n')}`)
  }
  return parts.map((part) => (part.endsWith('\n') ? part : `${part}\n`)).join('')
}

/** The certificates (PEM) of a bundle file or a CA directory, with a warning for what is not usable. */
function certificatesAt(path: string, named: string, warn: (message: string) => void): string[] {
  let stat
  try {
    stat = statSync(path)
  } catch (err) {
    warn(`${named}, which ${reason(err, 'does not exist')}: ${LEFT_OUT}.`)
    return []
  }
  if (stat.isFile()) {
    const certs = certificatesIn(path, named, warn)
    if (certs !== undefined && certs.length === 0) warn(`${named}, which holds no certificate: ${LEFT_OUT}.`)
    return certs ?? []
  }
  if (!stat.isDirectory()) {
    warn(`${named}, which is neither a file nor a directory: ${LEFT_OUT}.`)
    return []
  }
  let entries: string[]
  try {
    entries = readdirSync(path)
      .filter((entry) => CERT_FILE.test(entry))
      .sort()
  } catch (err) {
    warn(`${named}, a directory that ${reason(err, 'cannot be read')}: ${LEFT_OUT}.`)
    return []
  }
  const certs: string[] = []
  for (const entry of entries) {
    const file = join(path, entry)
    const found = certificatesIn(file, `${named}, whose ${entry}`, warn)
    if (found?.length === 0) warn(`${named}, whose ${entry} holds no certificate: ${LEFT_OUT}.`)
    certs.push(...(found ?? []))
  }
  if (entries.length === 0)
    warn(
      `${named}, a directory with no certificate file (*.pem, *.crt, hash links): nothing from it is trusted.`
    )
  return certs
}

/** The certificates of one file (PEM, or a single DER certificate); undefined when it is not a file or cannot be read. */
function certificatesIn(file: string, named: string, warn: (message: string) => void): string[] | undefined {
  let data: Buffer
  try {
    if (!statSync(file).isFile()) return undefined // a directory in the directory: not read
    data = readFileSync(file)
  } catch (err) {
    warn(`${named}, which ${reason(err, 'cannot be read')}: ${LEFT_OUT}.`)
    return undefined
  }
  const blocks = data.toString('latin1').match(PEM_CERT)
  const certs: string[] = []
  let damaged = 0
  for (const block of blocks ?? [data]) {
    try {
      certs.push(new X509Certificate(block).toString().trim())
    } catch {
      damaged++
    }
  }
  if (blocks !== null && damaged > 0)
    warn(
      `${named}, in which ${damaged} certificate${damaged === 1 ? ' is' : 's are'} damaged: ${damaged === 1 ? 'it is' : 'they are'} ${LEFT_OUT}.`
    )
  return certs
}

/** A certificate's PEM without its line breaks, to tell the same certificate however it was wrapped. */
function normalised(pem: string): string {
  return pem.replace(/\s+/g, '')
}

function reason(err: unknown, otherwise: string): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)'
  return code ? `${otherwise} (${code})` : otherwise
}

/** The system's CAs followed by the node's. */
export function caBundle(nodeCaPem: string, systemPem = systemCaPem()): string {
  const system = systemPem.endsWith('\n') ? systemPem : `${systemPem}\n`
  return `${system}# The Wallarm FAST node's CA, which intercepts TLS to test HTTPS targets\n${nodeCaPem.trim()}\n`
}
