import { describe, expect, it } from 'vitest'
import {
  ID_PLACEHOLDER,
  isIdSegment,
  templatePath,
  type PathTemplateQuery
} from '../../src/common/path-template.js'
import { pathPattern } from '../../src/scan/traffic.js'
import { identityKey } from '../../src/triage/identity.js'

describe('the id rule: which path segments are ids', () => {
  it.each([
    ['42', 'a decimal number'],
    ['0', 'zero'],
    ['12345678901234567890123', 'a number past 2^53'],
    ['3f2b8a1e-9c4d-4e5f-8a6b-1c2d3e4f5a6b', 'a UUID'],
    ['3F2B8A1E-9C4D-4E5F-8A6B-1C2D3E4F5A6B', 'an upper-case UUID'],
    ['0123456789abcdef0123', 'long hexadecimal'],
    ['507f1f77bcf86cd799439011', 'a MongoDB ObjectId'],
    ['V1StGXR8_Z5jdHi6B-myT', 'a nanoid'],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'a ULID'],
    ['cus_NffrFeUfNV2Hib', 'a Stripe id'],
    ['dGhpcyBpcyBhIHRlc3Q=', 'base64 with padding'],
    ['k3j4h5g6f7d8s9a0q1', 'lower-case base36'],
    ['aB3dE5gH7jK9mN1p', 'exactly 16 characters']
  ])('%s (%s)', (segment) => expect(isIdSegment(segment)).toBe(true))

  it.each([
    ['reviews', 'an ordinary word'],
    ['search', 'an ordinary word'],
    ['internationalization', 'a long word without digits'],
    ['v2', 'a version'],
    ['v1.2.3', 'a dotted version'],
    ['2024-01-01', 'a date'],
    ['abc123', 'short letters and digits'],
    ['aB3dE5gH7jK9mN1', '15 mixed characters'],
    ['aGVsbG8gd29ybGQ', '15 characters of base64'],
    ['how-to-upgrade-to-v2', 'a slug'],
    ['iphone-15-pro-max-256gb', 'a slug with numbers'],
    ['Annual-Report-2024-Final', 'a capitalised slug'],
    ['windows10installer', 'one word with one run of digits'],
    ['API2Gateway', 'short camel case'],
    ['deadbeefdeadbeefdeadbeef-not', 'hex-looking letters without a digit'],
    ['report.pdf', 'a file name'],
    ['{id}', 'the placeholder itself'],
    ['', 'an empty segment'],
    ['%20', 'an escape'],
    ['-42', 'a signed number']
  ])('not %j (%s)', (segment) => expect(isIdSegment(segment)).toBe(false))
})

describe('templatePath', () => {
  it.each([
    ['/api/products/42', '/api/products/{id}'],
    ['/users/3f2b8a1e-9c4d-4e5f-8a6b-1c2d3e4f5a6b/cart', '/users/{id}/cart'],
    ['/files/V1StGXR8_Z5jdHi6B-myT/download', '/files/{id}/download'],
    ['/users/42/', '/users/{id}/'],
    ['/users/42?expand=1&id=7', '/users/{id}?expand=1&id=7'],
    ['/users/42#top', '/users/{id}#top'],
    ['/api/v2/search', '/api/v2/search'],
    ['/', '/'],
    ['', '']
  ])('%j → %j', (path, template) => expect(templatePath(path)).toBe(template))

  it('an OpenAPI template wins over the rule when the resolver gives one', () => {
    const resolve = (where: PathTemplateQuery): string | undefined =>
      where.method === 'GET' && where.path.startsWith('/users/') ? '/users/{userId}' : undefined
    expect(templatePath('/users/me', { method: 'GET', resolve })).toBe('/users/{userId}')
    expect(templatePath('/orders/42', { method: 'GET', resolve })).toBe(`/orders/${ID_PLACEHOLDER}`)
  })

  it('is the one rule of the traffic table and the identity', () => {
    for (const path of ['/users/42', '/files/V1StGXR8_Z5jdHi6B-myT', '/blog/how-to-upgrade-to-v2']) {
      expect(pathPattern(path)).toBe(templatePath(path))
      expect(identityKey({ type: 'sqli', method: 'GET', domain: 'shop.test', path, parameter: 'q' })).toBe(
        `sqli|GET|shop.test|${templatePath(path)}|q`
      )
    }
  })
})
