import { describe, expect, it } from 'vitest'
import { Redactor, hasWorkflowCommand, logSafe, stripInvisible } from '../../src/text/untrusted.js'
import { parseJson } from '../../src/wallarm/json.js'

describe('logSafe', () => {
  it.each([
    ['running\n::stop-commands::x', /^running ⏎ ::/],
    ['::error::forged', /^:\u2060:error::forged$/],
    ['  ::error::indented', /^ {2}:\u2060:error::indented$/],
    ['\u00a0\u3000::error::wide', /^\u00a0\u3000:\u2060:error::wide$/],
    ['a ##[error]b', /^a ##\u2060\[error\]b$/],
    ['a\r::warning::b', /^a ⏎ ::warning::b$/],
    ['x\u2028::group::y\u0085::endgroup::', /^x ⏎ ::group::y ⏎ ::endgroup::$/]
  ])('%j is one inert line', (input, expected) => {
    const out = logSafe(input)
    expect(out).toMatch(expected)
    expect(hasWorkflowCommand(out)).toBe(false)
    expect(hasWorkflowCommand(input)).toBe(true)
  })

  it('drops bidirectional controls and other controls', () => {
    expect(logSafe('abc\u202Efdp.exe\u2066\u200F\u061C\u0007')).toBe('abcfdp.exe')
    expect(stripInvisible('a\u202Eb\nc')).toBe('ab\nc')
  })
})

describe('Redactor', () => {
  const secret = 'AbC/d+e=="x\\'
  const r = new Redactor([secret])

  it.each([
    ['raw', secret],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['with \\/', JSON.stringify(secret).slice(1, -1).replace('/', '\\/')],
    [
      'every character \\uXXXX',
      Array.from(secret, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
    ],
    ['\\u002B upper-case hex', JSON.stringify(secret).slice(1, -1).replace('+', '\\u002B')],
    ['URL-encoded', encodeURIComponent(secret)],
    ['URL-encoded, lower-case', encodeURIComponent(secret).toLowerCase().replace('abc', 'AbC')],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')]
  ])('redacts the %s form', (_, form) => {
    expect(r.text(`before ${form} after`)).toBe('before *** after')
    expect(r.has(form)).toBe(true)
  })

  it.each([0, 1, 2])('redacts the secret base64-encoded inside a longer text at offset %i', (k) => {
    const long = 'wfast/tok+en=secret-0123456789'
    const encoded = Buffer.from(`${'x'.repeat(k)}${long}, and more`).toString('base64')
    expect(new Redactor([long]).text(encoded)).toMatch(/^.{0,4}\*\*\*.{0,16}$/)
  })

  it('compares the letters of a secret exactly', () => {
    expect(r.text('abc/d+e=="x\\')).toBe('abc/d+e=="x\\')
    const ab = new Redactor(['abab'])
    expect(ab.text('ABabab')).toBe('AB***')
  })

  it('redacts keys and values of a parsed answer, however deep, without recursion', () => {
    let deep: unknown = { [`k${secret}`]: [`v ${secret}`] }
    for (let i = 0; i < 100_000; i++) deep = [deep]
    let inner = r.deep(deep)
    for (let i = 0; i < 100_000; i++) inner = (inner as unknown[])[0]
    expect(inner).toEqual({ 'k***': ['v ***'] })
  })

  it('leaves a value with no secret as it is', () => {
    const v = { a: ['b'] }
    expect(r.deep(v)).toEqual(v)
    expect(new Redactor(['', undefined, 'abc']).text('abc')).toBe('abc')
  })
})

describe('parseJson', () => {
  it('refuses nesting deeper than its limit instead of overflowing a stack', () => {
    const text = '['.repeat(200_000) + ']'.repeat(200_000)
    expect(parseJson(text)).toEqual({ ok: false, reason: 'nested deeper than 64 levels' })
  })

  it('keeps integers too long for a double as their exact digits, on every runtime', () => {
    const parsed = parseJson(
      '{"id":18446744073709551615,"small":5080,"f":1.5e3,"s":"12345678901234567890","n":-123456789012345678}'
    )
    expect(parsed).toEqual({
      ok: true,
      value: {
        id: '18446744073709551615',
        small: 5080,
        f: 1500,
        s: '12345678901234567890',
        n: '-123456789012345678'
      }
    })
  })

  it('says not JSON for text that is not', () => {
    expect(parseJson('<html>')).toEqual({ ok: false, reason: 'not JSON' })
  })
})
