import { describe, expect, it } from 'vitest'
import { commandEnvironment } from '../../src/scan/command.js'
import { withoutHost } from '../../src/scan/no-proxy.js'

describe('NO_PROXY without the entries that would send the target around the node', () => {
  it('names and domains, with or without a port; * goes; the rest stays, in order', () => {
    expect(withoutHost('app.example.com:3000, .example.com,other.test,*', 'api.example.com')).toBe(
      'app.example.com:3000,other.test'
    )
    expect(withoutHost('*.example.com,example.org', 'a.example.com')).toBe('example.org')
    expect(withoutHost('LocalHost:3000,127.0.0.1', 'localhost')).toBe('127.0.0.1')
  })

  it('IPv6 loopback in every form clients write it, the host as URL.hostname gives it ([::1]) or bare', () => {
    const list = 'localhost,127.0.0.1,::1,[::1],[::1]:3000,::1/128,::/0,fe80::1'
    expect(withoutHost(list, '[::1]')).toBe('localhost,127.0.0.1,fe80::1')
    expect(withoutHost(list, '::1')).toBe('localhost,127.0.0.1,fe80::1')
    // ::1 is not "a domain ending in :1": other addresses stay.
    expect(withoutHost('::1,fe80::1', 'fe80::1')).toBe('::1')
  })

  it('CIDR ranges that hold an address target (curl 7.86+, Python, Go read them)', () => {
    expect(withoutHost('127.0.0.0/8,10.0.0.0/8,localhost', '127.0.0.1')).toBe('10.0.0.0/8,localhost')
    expect(withoutHost('127.0.0.0/8', 'app.test')).toBe('127.0.0.0/8')
    expect(withoutHost('127.0.0.0/33,::1/x', '127.0.0.1')).toBe('127.0.0.0/33,::1/x')
  })

  it('both variables of the command’s environment, for an IPv6 target too', () => {
    const options = { proxyUrl: 'http://127.0.0.1:9', target: 'http://[::1]:3000/api', secrets: [] }
    const { env } = commandEnvironment(
      { NO_PROXY: 'localhost,::1', no_proxy: '[::1]:3000', PATH: '/bin' },
      options
    )
    expect([env.NO_PROXY, env.no_proxy, env.PATH]).toEqual(['localhost', '', '/bin'])
    expect(commandEnvironment({ PATH: '/bin' }, options).env.NO_PROXY).toBeUndefined()
  })
})
