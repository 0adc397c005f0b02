import { marked } from 'marked'
import { describe, expect, it } from 'vitest'
import { codeBlock } from '../../src/report/markdown.js'
import { EXPLOIT_MAX_CHARS, looksSecret, MASK, redactExploit } from '../../src/report/redact.js'
import { RECORDED, RECORDED_SECRETS } from '../support/recorded.js'

function expectNone(text: string, secrets: readonly string[]): void {
  for (const s of secrets) expect(text, s).not.toContain(s)
}

describe('redactExploit', () => {
  it('masks credentials in headers, query and form, and keeps the finding’s parameter and the rest', () => {
    const out = redactExploit(RECORDED, { parameter: 'q' })
    expectNone(out, RECORDED_SECRETS)
    expect(out).toContain('Authorization: Bearer ***')
    expect(out).toContain('Proxy-Authorization: Basic ***')
    expect(out).toContain('Cookie: sid=***; theme=***')
    expect(out).toContain('X-Api-Key: ***')
    expect(out).toContain('X-Auth-Token: ***')
    expect(out).toContain('?token=***&q=%27%20OR%201%3D1--&page=2 HTTP/1.1')
    expect(out).toContain("password=***&q=' OR 1=1 --&api_key=***")
    // What is not a secret stays as it was.
    expect(out).toContain('Host: app.local')
    expect(out).toContain('User-Agent: tests/1.0')
    expect(out).toContain('Content-Type: application/x-www-form-urlencoded')
    expect(out.split('\n')).toHaveLength(11)
    expect(out).not.toContain('\r')
  })

  it('keeps the value of the parameter the finding is about, even when its name looks like a secret', () => {
    const out = redactExploit(RECORDED, { parameter: 'token' })
    expect(out).toContain('?token=tok-QUERY-4711&')
    expect(out).toContain('password=***')
    const cookie = redactExploit('GET / HTTP/1.1\nCookie: sid=abcd1234; lang=%27--', { parameter: 'lang' })
    expect(cookie).toContain('Cookie: sid=***; lang=%27--')
    // Wallarm's point notations name it too.
    expect(redactExploit('password=x%27--', { parameter: 'post.form.password' })).toBe('password=x%27--')
    expect(redactExploit('password=x%27--', { parameter: 'POST_password_value' })).toBe('password=x%27--')
    expect(redactExploit('user%5Bpassword%5D=x', { parameter: 'user[password]' })).toBe(
      'user%5Bpassword%5D=x'
    )
  })

  it('never keeps Authorization, Proxy-Authorization or Set-Cookie, whatever the parameter', () => {
    const text = 'GET / HTTP/1.1\nAuthorization: tok-raw-1234\nSet-Cookie: sid=s3cr3t-value; Path=/'
    for (const parameter of ['Authorization', 'Set-Cookie', 'sid']) {
      const out = redactExploit(text, { parameter })
      expectNone(out, ['tok-raw-1234', 's3cr3t-value'])
      expect(out).toContain(`Authorization: ${MASK}`)
    }
  })

  it('masks curl’s headers, cookies, user and data, quoted or not', () => {
    const curl = [
      "curl -X POST 'https://app.local/api/login?session=sess-SECRET-5&q=1'",
      "  -H 'Authorization: Bearer curl-bearer-SECRET'",
      '  --header "X-Api-Key: curl-apikey-SECRET"',
      "  -b 'sid=curl-cookie-SECRET; theme=dark'",
      '  -u admin:curl-user-SECRET',
      `  --data-raw '{"user":"bob","password":"json-SECRET","nested":{"accessToken":"deep-SECRET","n":1}}'`
    ].join(' \\\n')
    const out = redactExploit(curl, { parameter: 'q' })
    expectNone(out, [
      'sess-SECRET-5',
      'curl-bearer-SECRET',
      'curl-apikey-SECRET',
      'curl-cookie-SECRET',
      'curl-user-SECRET',
      'json-SECRET',
      'deep-SECRET'
    ])
    expect(out).toContain("-H 'Authorization: Bearer ***'")
    expect(out).toContain('--header "X-Api-Key: ***"')
    expect(out).toContain("-b 'sid=***; theme=***'")
    expect(out).toContain('-u admin:***')
    expect(out).toContain('"user":"bob"')
    expect(out).toContain('"password":"***"')
    expect(out).toContain('"n":1')
  })

  it('masks JSON and XML fields, and a URL’s password', () => {
    const json =
      'POST /login HTTP/1.1\n\n{"login": "bob", "password": "pw-SECRET", "pin": 1234, "q": "x\' --"}'
    const out = redactExploit(json, { parameter: 'q' })
    expect(out).toContain('"password": "***"')
    expect(out).toContain('"login": "bob"')
    expect(out).toContain('"q": "x\' --"')
    const xml = redactExploit('<login><user>bob</user><ns:Password a="1">xml-SECRET</ns:Password></login>')
    expect(xml).toBe('<login><user>bob</user><ns:Password a="1">***</ns:Password></login>')
    expect(redactExploit('GET https://bob:url-SECRET@app.local/x')).toBe('GET https://bob:***@app.local/x')
  })

  it('masks every form of the given secrets (the action’s tokens)', () => {
    const token = 'fast-node-token-1234'
    const text = `GET /echo?q=${token}&r=${encodeURIComponent(token)} HTTP/1.1\nX-Trace: ${Buffer.from(token).toString('base64')}`
    const out = redactExploit(text, { parameter: 'q', secrets: [token, undefined, 'api-token-5678'] })
    expect(out).not.toContain(token)
    expect(out).not.toContain(Buffer.from(token).toString('base64'))
    expect(out).toContain('?q=***&r=***')
  })

  it('keeps the emulator’s one-line form readable', () => {
    const line = 'GET http://app.local/search?q=%27%20OR%201%3D1 (payload in q)'
    expect(redactExploit(line, { parameter: 'q' })).toBe(line)
    expect(
      redactExploit('POST http://app.local/login user=bob&password=pw-SECRET', { parameter: 'user' })
    ).toBe('POST http://app.local/login user=bob&password=***')
  })

  it('drops control and bidirectional characters', () => {
    expect(redactExploit('GET /a\u202Eb\u0007 HTTP/1.1')).toBe('GET /ab HTTP/1.1')
  })

  it('cuts a long example at a line break, says so, and stays within the limit', () => {
    const long = Array.from({ length: 400 }, (_, i) => `X-Line-${i}: ${'v'.repeat(30)}`).join('\n')
    const out = redactExploit(long)
    expect(Array.from(out).length).toBeLessThanOrEqual(EXPLOIT_MAX_CHARS)
    expect(out).toMatch(
      /\n… \[cut: \d+ more characters; the whole request is in the test run in the Wallarm console\]$/
    )
    const kept = out.slice(0, out.lastIndexOf('\n…'))
    expect(long.startsWith(kept)).toBe(true)
    expect(kept.endsWith('v')).toBe(true)
    const n = Number(/cut: (\d+) more/.exec(out)?.[1])
    expect(n).toBe(long.length - kept.length)
    // Short enough: as it was. Redacting the redacted changes nothing.
    expect(redactExploit(out)).toBe(out)
    expect(redactExploit('x'.repeat(50), { maxChars: 50 })).toBe('x'.repeat(50))
    const emoji = redactExploit('😀'.repeat(300), { maxChars: 120 })
    expect(Array.from(emoji).length).toBeLessThanOrEqual(120)
    expect(emoji).not.toMatch(/\p{Cs}/u)
  })

  it('is idempotent on what it masked', () => {
    const once = redactExploit(RECORDED, { parameter: 'q' })
    expect(redactExploit(once, { parameter: 'q' })).toBe(once)
  })
})

describe('looksSecret', () => {
  it('knows a secret’s name however it is written, and leaves ordinary names alone', () => {
    for (const name of [
      'token',
      'access_token',
      'accessToken',
      'X-Auth-Token',
      'X-Api-Key',
      'api_key',
      'apikey',
      'password',
      'userPassword',
      'passwd',
      'pwd',
      'client_secret',
      'session',
      'PHPSESSID',
      'JSESSIONID',
      'sid',
      'auth',
      'credentials',
      'Private-Token'
    ])
      expect(looksSecret(name), name).toBe(true)
    for (const name of [
      'q',
      'id',
      'author',
      'keyword',
      'page',
      'sort',
      'Host',
      'User-Agent',
      'passenger',
      'X-Request-Id'
    ])
      expect(looksSecret(name), name).toBe(false)
  })
})

describe('redactExploit: a secret inside another field', () => {
  it('finds a token in the value of a field that is not masked', () => {
    expect(redactExploit('GET /x?next=http://evil.local/?token=abc-SECRET&id=5 HTTP/1.1')).toBe(
      'GET /x?next=http://evil.local/?token=***&id=5 HTTP/1.1'
    )
  })
})

describe('codeBlock: an exploit example in Markdown', () => {
  /** GitHub-flavoured Markdown as the screenshots render it. */
  const render = (md: string): string => marked.parse(md, { async: false, gfm: true })

  it('shows the text as it is, whatever it holds, in one pre block', () => {
    const hostile = [
      'GET /x?q=<script>alert(1)</script> HTTP/1.1',
      '```',
      '````',
      '</details><img src=x onerror=alert(1)>',
      '@octocat #12 [link](https://evil.local) **bold**',
      '~~~'
    ].join('\n')
    const md = codeBlock(hostile, 'http')
    expect(md.startsWith('`````http\n')).toBe(true)
    const html = render(md)
    // One element, a code block, and every character of the text back out of it.
    expect(html.match(/<[a-z]+/g)).toEqual(['<pre', '<code'])
    const inner = /<code[^>]*>([\s\S]*)<\/code>/.exec(html)?.[1] ?? ''
    const decoded = inner
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
    expect(decoded.replace(/\n$/, '')).toBe(hostile)
  })

  it('drops control and bidirectional characters, keeps line breaks, and takes only a word as language', () => {
    expect(codeBlock('a\u202E\r\nb\u0000\n\n', 'x"><script>')).toBe('```\na\nb\n```')
  })
})
