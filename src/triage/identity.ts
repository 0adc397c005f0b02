/**
 * The identity of a finding across runs: what the SARIF fingerprint hashes (../report/sarif.ts), what a
 * baseline entry records and what an ignore entry matches. A new test run creates new vulnerability
 * objects with new ids, so the id is never part of it: `type|METHOD|domain|path|parameter` (type and
 * domain lower-cased, the method upper-cased). A finding known only from a run's summary (no method,
 * domain, path or parameter) is `type|code` instead. One home: SARIF, the baseline and the triage all
 * call {@link identityKey}.
 */
import type { Finding } from '../report/model.js'

/** The fields an identity is made of (a finding, a baseline entry). */
export type IdentityFields = Pick<Finding, 'type' | 'method' | 'domain' | 'path' | 'parameter' | 'code'>

/** Whether the finding says where it is (else its identity is its type and code). */
export function isLocated(f: IdentityFields): boolean {
  return [f.method, f.domain, f.path, f.parameter].some((v) => v !== undefined)
}

/** The identity as one string (see the module comment); hashed by SARIF's fingerprint. */
export function identityKey(f: IdentityFields): string {
  const parts = isLocated(f)
    ? [
        f.type.toLowerCase(),
        (f.method ?? '').toUpperCase(),
        (f.domain ?? '').toLowerCase(),
        f.path ?? '',
        f.parameter ?? ''
      ]
    : [f.type.toLowerCase(), f.code ?? '']
  return parts.join('|')
}

/** Only the identity fields of `f`, normalised as the key normalises them (no empty ones). */
export function identityOf(f: IdentityFields): IdentityFields {
  const out: IdentityFields = { type: f.type.toLowerCase() }
  if (isLocated(f)) {
    if (f.method !== undefined) out.method = f.method.toUpperCase()
    if (f.domain !== undefined) out.domain = f.domain.toLowerCase()
    if (f.path !== undefined) out.path = f.path
    if (f.parameter !== undefined) out.parameter = f.parameter
  } else if (f.code !== undefined) out.code = f.code
  return out
}
