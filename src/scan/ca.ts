/**
 * HTTPS targets: the FAST node intercepts TLS with a CA of its own, which the test clients must trust.
 * The node serves that CA through its proxy at `http://wallarm.get/cert.der` (DER). The clients get a
 * bundle of the system's CAs plus the node's — never the node's CA alone, which would make every other
 * HTTPS connection of the tests (package registries, other services) fail. No `@actions/core` here.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
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
    if (existsSync(file)) return readFileSync(file, 'utf8')
  }
  return rootCertificates.join('\n')
}

/** The variables through which the step's own environment may name a CA bundle the tests rely on. */
const USER_BUNDLES = ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS'] as const

/**
 * What the tests trust already: the system's CAs, plus every bundle the step's environment names (a
 * corporate CA for internal services), since the bundle handed to the tests takes those variables over.
 */
export function trustedCaPem(env: NodeJS.ProcessEnv, systemPem = systemCaPem()): string {
  const files = new Set(
    USER_BUNDLES.map((name) => env[name]).filter((f): f is string => !!f && existsSync(f))
  )
  const parts = [systemPem, ...[...files].map((file) => `# From ${file}\n${readFileSync(file, 'utf8')}`)]
  return parts.map((part) => (part.endsWith('\n') ? part : `${part}\n`)).join('')
}

/** The system's CAs followed by the node's. */
export function caBundle(nodeCaPem: string, systemPem = systemCaPem()): string {
  const system = systemPem.endsWith('\n') ? systemPem : `${systemPem}\n`
  return `${system}# The Wallarm FAST node's CA, which intercepts TLS to test HTTPS targets\n${nodeCaPem.trim()}\n`
}
