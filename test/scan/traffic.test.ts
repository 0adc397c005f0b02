import { describe, expect, it } from 'vitest'
import {
  MAX_DISTINCT_ROWS,
  MAX_HOST_LINES,
  TrafficCounter,
  MAX_TRAFFIC_ROWS,
  diagnose,
  hostMatcher,
  pathPattern,
  renderTraffic,
  statusClass,
  sentRequests,
  summarize,
  type SeenRequest
} from '../../src/scan/traffic.js'

const req = (method: string, host: string, path: string, status: number | undefined): SeenRequest => ({
  method,
  host,
  path,
  status
})

describe('pathPattern', () => {
  it.each([
    ['/api/products/42', '/api/products/{id}'],
    ['/api/products/42/reviews/7', '/api/products/{id}/reviews/{id}'],
    ['/users/3f2b8a1e-9c4d-4e5f-8a6b-1c2d3e4f5a6b/cart', '/users/{id}/cart'],
    ['/blobs/0123456789abcdef0123', '/blobs/{id}'],
    ['/api/search?q=tea', '/api/search'],
    ['/api/v2/items', '/api/v2/items'],
    ['/deadbeefdeadbeefdeadbeef-not', '/deadbeefdeadbeefdeadbeef-not'],
    ['/', '/']
  ])('%s → %s', (path, pattern) => expect(pathPattern(path)).toBe(pattern))
})

describe('hostMatcher: the forms ALLOWED_HOSTS takes', () => {
  it('empty records every host, * too', () => {
    expect(hostMatcher('')('anything.example')).toBe(true)
    expect(hostMatcher('*')('anything.example')).toBe(true)
  })
  it('an exact name, case-insensitive, a port in the entry ignored', () => {
    const m = hostMatcher('App.Example.com:3000')
    expect(m('app.example.com')).toBe(true)
    expect(m('api.example.com')).toBe(false)
  })
  it('.example.com takes the name and its subdomains; *.example.com the subdomains only', () => {
    expect(hostMatcher('.example.com')('example.com')).toBe(true)
    expect(hostMatcher('.example.com')('a.b.example.com')).toBe(true)
    expect(hostMatcher('.example.com')('badexample.com')).toBe(false)
    expect(hostMatcher('*.example.com')('example.com')).toBe(false)
    expect(hostMatcher('*.example.com')('a.example.com')).toBe(true)
  })
  it('an IPv6 address with or without brackets and port, as the default from target: http://[::1]:3000 gives', () => {
    for (const entry of ['[::1]', '::1', '[::1]:3000']) expect(hostMatcher(entry)('::1')).toBe(true)
    expect(hostMatcher('fe80::1')('fe80::1')).toBe(true)
    expect(hostMatcher('fe80::1')('fe80::2')).toBe(false)
    expect(hostMatcher('::1')('localhost')).toBe(false)
  })
  it('a list split by commas or spaces, and regular expressions', () => {
    const m = hostMatcher('localhost, 127.0.0.1 ~^shop-\\d+$')
    expect(m('localhost')).toBe(true)
    expect(m('127.0.0.1')).toBe(true)
    expect(m('shop-12')).toBe(true)
    expect(m('shop-x')).toBe(false)
    expect(hostMatcher('(a|b).test')('b.test')).toBe(true)
    expect(hostMatcher('(a|b)')('ab.test')).toBe(false)
    expect(hostMatcher('~(')('x')).toBe(false)
  })
})

describe('summarize', () => {
  it('counts by method and path pattern, by status class and by host, busiest first', () => {
    const s = summarize(
      [
        req('GET', 'localhost', '/api/products/1', 200),
        req('GET', 'localhost', '/api/products/2', 404),
        req('GET', 'localhost', '/api/products/3', 500),
        req('POST', 'localhost', '/api/cart', 201),
        req('GET', 'api.example.com', '/v1/x', undefined),
        req('CONNECT', 'secure.example.com', '', 200)
      ],
      hostMatcher('localhost')
    )
    expect(s.total).toBe(6)
    expect(s.rows[0]).toEqual({
      method: 'GET',
      host: 'localhost',
      pattern: '/api/products/{id}',
      requests: 3,
      byStatus: { '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 1, none: 0 },
      switched: 0,
      incomplete: { 'answer cut off': 0, 'client went away': 0 },
      recorded: true,
      late: 0,
      excluded: false,
      refused: false
    })
    expect(s.afterEnd).toBeUndefined()
    expect(s.rows.find((r) => r.method === 'CONNECT')?.pattern).toBe('(tunnel)')
    expect(s.rows.find((r) => r.host === 'api.example.com')?.byStatus.none).toBe(1)
    expect(s.hosts).toEqual([
      { host: 'localhost', requests: 4, recorded: true },
      { host: 'api.example.com', requests: 1, recorded: false },
      { host: 'secure.example.com', requests: 1, recorded: false }
    ])
  })
  it('statusClass puts what is not a status under none', () => {
    expect([statusClass(204), statusClass(302), statusClass(451), statusClass(503)]).toEqual([
      '2xx',
      '3xx',
      '4xx',
      '5xx'
    ])
    expect([statusClass(undefined), statusClass(101), statusClass(999)]).toEqual(['none', 'none', 'none'])
  })
})

describe('TrafficCounter', () => {
  it('keeps one row per endpoint however many requests, and puts the rest under (other paths)', () => {
    const counter = new TrafficCounter()
    for (let i = 0; i < 20_000; i++) counter.add(req('GET', 'h', `/items/${i}`, 200))
    for (let i = 0; i < MAX_DISTINCT_ROWS + 10; i++) counter.add(req('GET', 'h', `/search/w${i}`, 200))
    const s = counter.summary(() => true)
    expect(s.total).toBe(20_000 + MAX_DISTINCT_ROWS + 10)
    expect(s.rows).toHaveLength(MAX_DISTINCT_ROWS + 1)
    expect(s.rows[0]).toMatchObject({ pattern: '/items/{id}', requests: 20_000 })
    expect(s.rows.find((r) => r.pattern === '(other paths)')?.requests).toBe(11)
    expect(s.hosts).toEqual([{ host: 'h', requests: s.total, recorded: true }])
  })
})

describe('the recording ended before the tests did', () => {
  const sent = (): TrafficCounter => {
    const c = new TrafficCounter()
    c.add(req('GET', 'localhost', '/api/products/1', 200))
    c.add(req('GET', 'other.example', '/x', 200))
    c.add(req('POST', 'localhost', '/api/cart', 201))
    c.add(req('GET', 'localhost', '/api/products/2', 200))
    c.add(req('GET', 'localhost', '/api/products/3', 200))
    c.add(req('POST', 'localhost', '/api/cart', 201))
    return c
  }

  it('the requests to recorded hosts past those the node recorded came after the end, by row', () => {
    const s = sent().summary(hostMatcher('localhost'), 2)
    expect(s.afterEnd).toEqual({ requests: 3 })
    const row = (method: string) => s.rows.find((r) => r.method === method && r.host === 'localhost')!
    expect(row('GET')).toMatchObject({ requests: 3, late: 2 })
    expect(row('POST')).toMatchObject({ requests: 2, late: 1 })
    expect(s.rows.find((r) => r.host === 'other.example')?.late).toBe(0)
  })

  it('none after the end when the node recorded them all', () => {
    expect(sent().summary(hostMatcher('localhost'), 5).afterEnd).toEqual({ requests: 0 })
  })

  it('tunnels to recorded hosts hide their requests: not counted', () => {
    const c = sent()
    c.add(req('CONNECT', 'localhost', '', 200))
    expect(c.summary(hostMatcher('localhost'), 2).afterEnd).toEqual({ requests: undefined })
  })

  it('the table says which were not recorded, and a diagnosis says why', () => {
    const s = sent().summary(hostMatcher('localhost'), 2)
    const lines = diagnose(s, { allowedHosts: 'localhost', proxyVariables: ['HTTP_PROXY'] })
    expect(lines).toContain(
      '3 requests to recorded hosts were sent after the recording had ended (inactivity-timeout, or the ' +
        'Wallarm console): proxied but not recorded, so not tested.'
    )
    const md = renderTraffic(s, lines)
    expect(md).toContain('| 1 yes; 2 no: sent after the recording ended |')
    expect(md).toContain('| 1 yes; 1 no: sent after the recording ended |')
    expect(md).toContain('| no: not in ALLOWED_HOSTS |')
  })

  it('a row all after the end says no', () => {
    const s = sent().summary(hostMatcher('localhost'), 0)
    expect(renderTraffic(s, [])).toContain('| 3 | 0 | 0 | 0 | 0 | no: sent after the recording ended |')
  })
})

describe('requests the hop refused', () => {
  const sent = (): TrafficCounter => {
    const c = new TrafficCounter()
    c.add(req('GET', 'localhost', '/api/products/1', 200))
    c.add({ ...req('GET', 'localhost', '/api/products/2', 431), refused: true })
    c.add({ ...req('GET', 'localhost', '/caf\u00e9', 400), refused: true })
    return c
  }

  it('are counted in a row of their own that says they were not recorded, and a diagnosis says why', () => {
    const s = sent().summary(hostMatcher('localhost'))
    expect(s.total).toBe(3)
    const refused = s.rows.filter((r) => r.refused)
    expect(refused.map((r) => [r.requests, r.recorded])).toEqual([
      [1, false],
      [1, false]
    ])
    expect(s.rows.find((r) => !r.refused)).toMatchObject({ requests: 1, recorded: true })
    // They say nothing of what the node records: the host counts only what went on to the node.
    expect(s.hosts).toEqual([{ host: 'localhost', requests: 1, recorded: true }])
    const lines = diagnose(s, { allowedHosts: 'localhost', proxyVariables: ['HTTP_PROXY'] })
    expect(lines).toEqual([
      expect.stringMatching(/^2 requests were refused by the recording hop .* so not tested/)
    ])
    expect(renderTraffic(s, lines)).toContain('| no: refused by the hop |')
  })

  it('are never taken for requests sent after the recording ended', () => {
    // The node recorded the one request that reached it: nothing came after the end.
    expect(sent().summary(hostMatcher('localhost'), 1).afterEnd).toEqual({ requests: 0 })
  })
})

describe('diagnose', () => {
  const ctx = { allowedHosts: 'localhost', proxyVariables: ['HTTP_PROXY', 'http_proxy', 'JAVA_TOOL_OPTIONS'] }
  it('zero requests: the client ignored the proxy, naming the variables that were set', () => {
    const [line, ...rest] = diagnose(
      summarize([], () => true),
      ctx
    )
    expect(rest).toEqual([])
    expect(line).toContain('the test client ignored the proxy')
    expect(line).toContain('HTTP_PROXY, http_proxy, JAVA_TOOL_OPTIONS')
    expect(line).toContain('FAST_PROXY_URL')
  })
  it('names each host outside ALLOWED_HOSTS with its count', () => {
    const requests = [
      ...Array.from({ length: 12 }, () => req('GET', 'api.example.com', '/x', 200)),
      req('GET', 'cdn.example.com', '/y', 200),
      req('GET', 'localhost', '/z', 200)
    ]
    const lines = diagnose(summarize(requests, hostMatcher('localhost')), ctx)
    expect(lines).toEqual([
      expect.stringMatching(
        /^12 requests to api\.example\.com were proxied but not recorded: not in ALLOWED_HOSTS \(localhost\)/
      ),
      expect.stringMatching(/^1 request to cdn\.example\.com was proxied but not recorded/)
    ])
  })
  it('a host name from the traffic cannot forge a workflow command in the log', () => {
    const [line] = diagnose(
      summarize([req('CONNECT', '##[error]forged', '', 200)], hostMatcher('localhost')),
      ctx
    )
    expect(line).toMatch(/^1 request to ##\u2060\[error\]forged was proxied but not recorded/)
    expect(line).not.toContain('##[')
  })
  it('names at most a few hosts, and sums up the others', () => {
    const requests = Array.from({ length: MAX_HOST_LINES + 3 }, (_, i) =>
      req('CONNECT', `h${i}.test`, '', 200)
    )
    const lines = diagnose(summarize(requests, hostMatcher('localhost')), ctx)
    expect(lines).toHaveLength(MAX_HOST_LINES + 1)
    expect(lines.at(-1)).toBe('…and 3 requests to 3 other hosts not in ALLOWED_HOSTS (in the table).')
  })
  it('says when the node gave no answer; nothing when all is well', () => {
    expect(
      diagnose(
        summarize([req('GET', 'localhost', '/', undefined)], () => true),
        ctx
      )
    ).toEqual([expect.stringContaining('1 request got no answer from the FAST node')])
    expect(
      diagnose(
        summarize([req('GET', 'localhost', '/', 200)], () => true),
        ctx
      )
    ).toEqual([])
  })
})

describe('renderTraffic', () => {
  it('a table row per pattern and the diagnoses as quotes', () => {
    const s = summarize(
      [req('GET', 'localhost', '/api/products/1', 200), req('GET', 'evil.test', '/a', 200)],
      hostMatcher('localhost')
    )
    const md = renderTraffic(s, ['1 request to evil.test was proxied but not recorded'])
    expect(md).toContain('| GET | localhost | `/api/products/{id}` | 1 | 1 | 0 | 0 | 0 | 0 | yes |')
    expect(md).toContain('| GET | evil.test | `/a` | 1 | 1 | 0 | 0 | 0 | 0 | no: not in ALLOWED_HOSTS |')
    expect(md).toContain('> 1 request to evil.test was proxied but not recorded')
  })
  it('paths from the traffic cannot break the table or inject Markdown', () => {
    const s = summarize([req('GET', 'h', '/a|b`c/<img src=x>\n::error::x', 200)], () => true)
    const md = renderTraffic(s, [])
    const row = md.split('\n').find((l) => l.startsWith('| GET'))!
    expect(row.split(/(?<!\\)\|/).length).toBe(12)
    expect(md).not.toContain('\n::error')
  })
  it('caps the rows and says how many were left out; no table without requests', () => {
    const many = Array.from({ length: MAX_TRAFFIC_ROWS + 5 }, (_, i) =>
      req('GET', 'h', `/p${'x'.repeat(i)}`, 200)
    )
    const md = renderTraffic(
      summarize(many, () => true),
      []
    )
    expect(md.split('\n').filter((l) => l.startsWith('| GET'))).toHaveLength(MAX_TRAFFIC_ROWS)
    expect(md).toContain('…and 5 more path patterns with 5 requests.')
    expect(
      renderTraffic(
        summarize([], () => true),
        ['nothing']
      )
    ).not.toContain('| Method')
  })
})

describe('excluded requests (exclude)', () => {
  it('are a row of their own, not recorded, and say nothing of ALLOWED_HOSTS', () => {
    const s = summarize(
      [
        { method: 'POST', host: 'localhost', path: '/logout', status: 200, excluded: true },
        { method: 'POST', host: 'localhost', path: '/logout', status: 200 },
        { method: 'GET', host: 'other.test', path: '/x', status: 200, excluded: true }
      ],
      hostMatcher('localhost')
    )
    expect(s.rows.map((r) => [r.pattern, r.requests, r.recorded, r.excluded])).toEqual([
      ['/logout', 1, false, true],
      ['/logout', 1, true, false],
      ['/x', 1, false, true]
    ])
    expect(s.hosts).toEqual([{ host: 'localhost', requests: 1, recorded: true }])
    const md = renderTraffic(s, diagnose(s, { allowedHosts: 'localhost', proxyVariables: ['HTTP_PROXY'] }))
    expect(md).toContain('| no: excluded (straight to the target) |')
    expect(md).not.toContain('not in ALLOWED_HOSTS')
  })
})

describe('exchanges that did not complete', () => {
  const requests: SeenRequest[] = [
    req('GET', 'localhost', '/api/products/1', 200),
    { ...req('GET', 'localhost', '/api/products/2', 200), incomplete: 'answer cut off' },
    { ...req('GET', 'localhost', '/files/big.iso', 200), incomplete: 'client went away' },
    { ...req('POST', 'localhost', '/upload', undefined), incomplete: 'client went away' },
    req('GET', 'localhost', '/ws', 101)
  ]

  it('an answer cut off or a client gone is counted as such, under no status; a 101 as answered', () => {
    const s = summarize(requests, hostMatcher('localhost'))
    const row = (pattern: string) => s.rows.find((r) => r.pattern === pattern)!
    expect(row('/api/products/{id}')).toMatchObject({
      requests: 2,
      byStatus: { '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 },
      incomplete: { 'answer cut off': 1, 'client went away': 0 }
    })
    expect(row('/upload').byStatus.none).toBe(0)
    expect(row('/upload').incomplete['client went away']).toBe(1)
    expect(row('/ws')).toMatchObject({ requests: 1, switched: 1, byStatus: { none: 0 } })
    const md = renderTraffic(s, [])
    expect(md).toContain(
      '| 1xx | 2xx | 3xx | 4xx | 5xx | No answer | Cut off | Client went away | Recorded |'
    )
    expect(md).toContain('| `/api/products/{id}` | 2 | 0 | 1 | 0 | 0 | 0 | 0 | 1 | 0 | yes |')
    // No column for what did not happen: the usual table keeps its shape.
    expect(renderTraffic(summarize(requests.slice(0, 1), hostMatcher('localhost')), [])).toContain(
      '| 2xx | 3xx | 4xx | 5xx | No answer | Recorded |'
    )
  })

  it('the diagnoses say how many answers were cut off and how many clients went away, and never "no answer from the node"', () => {
    const lines = diagnose(summarize(requests, hostMatcher('localhost')), {
      allowedHosts: 'localhost',
      proxyVariables: ['HTTP_PROXY']
    })
    expect(lines).toEqual([
      '1 answer was cut off mid-body (the target or the FAST node closed the connection): the tests got part of it.',
      '2 requests were abandoned by the test client before their answers were complete (a dropped download or upload); the hop aborted them at the node.'
    ])
  })
})

describe('sentRequests: the ledger for API coverage', () => {
  it('one entry per method and pattern, recorded by host; no tunnels, excluded or refused requests', () => {
    const counter = new TrafficCounter()
    counter.add(req('GET', 'app', '/users/7', 200))
    counter.add(req('GET', 'app', '/users/8', 200))
    counter.add(req('GET', 'other', '/x', 200))
    counter.add(req('CONNECT', 'app', '', 200))
    counter.add({ ...req('POST', 'app', '/logout', 200), excluded: true })
    counter.add({ ...req('GET', 'app', '/big', undefined), refused: true })
    const sent = sentRequests(counter.summary((h) => h === 'app'))
    expect(sent).toEqual([
      { method: 'GET', path: '/users/{id}', count: 2, recorded: true },
      { method: 'GET', path: '/x', count: 1, recorded: false }
    ])
  })
})
