/** Certificates for the tests of HTTPS targets, made by openssl. */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A node-like CA (self-signed, CA:TRUE, for localhost), which a test server may also present. */
export function makeCa(name = 'ca'): { pem: string; key: string; der: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'fast-test-ca-'))
  const key = join(dir, `${name}.key`)
  const crt = join(dir, `${name}.crt`)
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
      `/CN=FAST test CA ${name}`,
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
