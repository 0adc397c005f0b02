import { describe, expect, it } from 'vitest'
import { globToRegExp } from '../../src/common/glob.js'

describe('the one glob syntax (ignore-file paths and the reports input)', () => {
  it.each([
    ['/api/*', '/api/users', true],
    ['/api/*', '/api/users/1', false],
    ['/api/**', '/api/users/1', true],
    ['/api/**/x', '/api/x', true],
    ['/api/**/x', '/api/a/b/x', true],
    ['/api/*/x', '/api/a/b/x', false],
    ['/search', '/search', true],
    ['/search', '/search2', false],
    ['**', '/anything/at/all', true],
    ['reports/**/*.json', 'reports/leg/r.json', true],
    ['reports/**/*.json', 'reports/r.json', true],
    ['a.b', 'aXb', false]
  ])('%s against %s: %s', (glob, text, expected) => {
    expect(globToRegExp(glob).test(text)).toBe(expected)
  })

  it('takes ? literally (a URL path’s ? starts its query)', () => {
    expect(globToRegExp('/search?').test('/searchX')).toBe(false)
    expect(globToRegExp('/search?').test('/search?')).toBe(true)
  })
})
