/** The node's detection decides from answers alone, the way it must on an application we did not write. */
import { describe, expect, it } from 'vitest'
import { planProbes, proves, sqlErrorIn, type HttpAnswer } from '../../emulator/node/attack.js'

const base = { method: 'GET', url: 'http://shop.local/items?id=7', headers: {}, body: '' }
const ok: HttpAnswer = { status: 200, contentType: 'application/json', body: '{"id":7}' }
const probe = (type: 'sqli' | 'xss' | 'ptrav') => planProbes(base, 'fastm1').find((p) => p.type === type)!

describe('detection', () => {
  it.each([
    [
      'MySQL',
      'You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version'
    ],
    ['PostgreSQL', 'ERROR:  unterminated quoted string at or near "\'"'],
    ['SQLite', 'SQLITE_ERROR: unrecognized token: "\'"'],
    ['SQL Server', "Unclosed quotation mark after the character string '7''."]
  ])('reads a %s error as SQL injection when the baseline had none', (db, text) => {
    expect(sqlErrorIn(text)).toBe(db)
    expect(proves(probe('sqli'), ok, { status: 500, contentType: 'text/html', body: text })).toBe(true)
    // The same error already in the baseline's answer proves nothing.
    expect(
      proves(probe('sqli'), { ...ok, body: text }, { status: 500, contentType: 'text/html', body: text })
    ).toBe(false)
  })

  it('does not take a word for a finding: "vulnerable" or a generic 500 is no SQL injection', () => {
    const answer = { status: 500, contentType: 'text/plain', body: 'vulnerable: internal error' }
    expect(proves(probe('sqli'), ok, answer)).toBe(false)
  })

  it('calls XSS only a payload reflected unescaped into HTML, not into JSON nor escaped', () => {
    const p = probe('xss')
    expect(
      proves(p, ok, { status: 200, contentType: 'text/html; charset=utf-8', body: `<p>${p.payload}</p>` })
    ).toBe(true)
    expect(
      proves(p, ok, { status: 200, contentType: 'application/json', body: JSON.stringify({ q: p.payload }) })
    ).toBe(false)
    const escaped = p.payload.replace(/</g, '&lt;').replace(/>/g, '&gt;')
    expect(proves(p, ok, { status: 200, contentType: 'text/html', body: `<p>${escaped}</p>` })).toBe(false)
  })

  it('calls path traversal only on a well-known file’s contents the baseline did not show', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\n'
    expect(proves(probe('ptrav'), ok, { status: 200, contentType: 'text/plain', body: passwd })).toBe(true)
    expect(
      proves(
        probe('ptrav'),
        { ...ok, body: passwd },
        { status: 200, contentType: 'text/plain', body: passwd }
      )
    ).toBe(false)
  })

  it('puts payloads in query, form and JSON parameters, and has none for a request without any', () => {
    expect(planProbes({ ...base, url: 'http://shop.local/' }, 'm')).toEqual([])
    const form = planProbes(
      {
        method: 'POST',
        url: 'http://s/',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'a=1'
      },
      'm'
    )
    expect(form.every((p) => p.parameter === 'a' && p.request.body.startsWith('a='))).toBe(true)
    const json = planProbes(
      {
        method: 'POST',
        url: 'http://s/',
        headers: { 'content-type': 'application/json' },
        body: '{"n":"x","k":[1]}'
      },
      'm'
    )
    expect(new Set(json.map((p) => p.parameter))).toEqual(new Set(['n']))
    expect(json[0]!.request.headers['content-length']).toBe(String(Buffer.byteLength(json[0]!.request.body)))
  })
})
