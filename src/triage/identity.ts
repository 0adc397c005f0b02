/**
 * The identity of a finding across runs: what the SARIF fingerprint hashes (../report/sarif.ts), what a
 * baseline entry records and what an ignore entry matches. A new test run creates new vulnerability
 * objects with new ids, so the id is never part of it: `type|METHOD|domain|path|parameter` (type and
 * domain lower-cased, the method upper-cased, the path as its template: segments that are ids, such as
 * `/users/123`, become `/users/{id}` by the rule of ../common/path-template.ts, the one the traffic table
 * uses, unless a resolver knows the API's own template: with `openapi`, the template of the operation the
 * method and path match, `/v1/users/{userId}`). In the key, a template's parameter names never decide
 * (`/users/{id}` is `/users/{userId}`: comparableTemplate), so baseline and ignore entries written with the
 * id rule, or with concrete paths, still match once the spec gives the template, and a SARIF alert keeps
 * its fingerprint where both rules agree. One home: SARIF, the baseline and the triage all call
 * {@link identityKey}.
 *
 * A finding known only from a run's summary (the vulnerability details could not be read: no method,
 * domain, path or parameter) is `type|code` instead. That key cannot tell two such findings apart: every
 * sqli of the application has it. So it never matches a baseline entry, an ignore entry or another
 * vulnerability's triage ({@link isLocated}: ./decide.ts), and whoever deduplicates findings by key must
 * keep unlocated ones apart (by their vulnerability id and leg, say).
 */
import { comparableTemplate, templatePath, type PathTemplateResolver } from '../common/path-template.js'
import type { Finding } from '../report/model.js'

/** The fields an identity is made of (a finding, a baseline entry). */
export type IdentityFields = Pick<Finding, 'type' | 'method' | 'domain' | 'path' | 'parameter' | 'code'>

/** Whether the finding says where it is (else its identity is its type and code, which tells nothing apart). */
export function isLocated(f: IdentityFields): boolean {
  return [f.method, f.domain, f.path, f.parameter].some((v) => v !== undefined)
}

/** The identity as one string (see the module comment); hashed by SARIF's fingerprint. */
export function identityKey(f: IdentityFields, resolve?: PathTemplateResolver): string {
  const id = identityOf(f, resolve)
  const parts = isLocated(f)
    ? [id.type, id.method ?? '', id.domain ?? '', comparableTemplate(id.path ?? ''), id.parameter ?? '']
    : [id.type, id.code ?? '']
  return parts.join('|')
}

/**
 * Only the identity fields of `f`, normalised as the key normalises them (no empty ones), the path as its
 * template with the names it has (the spec's `{userId}`, the rule's `{id}`): what a baseline entry records.
 */
export function identityOf(f: IdentityFields, resolve?: PathTemplateResolver): IdentityFields {
  const out: IdentityFields = { type: f.type.toLowerCase() }
  if (isLocated(f)) {
    if (f.method !== undefined) out.method = f.method.toUpperCase()
    if (f.domain !== undefined) out.domain = f.domain.toLowerCase()
    if (f.path !== undefined)
      out.path = templatePath(f.path, { method: out.method, domain: out.domain, resolve })
    if (f.parameter !== undefined) out.parameter = f.parameter
  } else if (f.code !== undefined) out.code = f.code
  return out
}

/** `sqli GET shop.test/search (q)` for messages. */
export function describeIdentity(e: IdentityFields): string {
  const where = [e.method, `${e.domain ?? ''}${e.path ?? ''}`]
    .filter((v) => v !== undefined && v !== '')
    .join(' ')
  const parts = [e.type, where].filter((v) => v !== '')
  let text = parts.join(' ')
  if (e.parameter !== undefined) text += ` (${e.parameter})`
  else if (where === '' && e.code !== undefined) text += ` ${e.code}`
  return text
}
