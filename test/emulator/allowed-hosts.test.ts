/** ALLOWED_HOSTS in the forms the docs accept (spec §4.2), matched against the host with or without port. */
import { describe, expect, it } from 'vitest'
import { allowedHostsMatcher } from '../../emulator/node/allowed-hosts.js'

describe('ALLOWED_HOSTS', () => {
  it.each([
    ['', ['anything:80', 'x'], []],
    ['*', ['app-test:3000', '127.0.0.1'], []],
    ['app-test', ['app-test', 'app-test:3000', 'APP-TEST:3000'], ['app-test2', 'api.app-test', 'other:3000']],
    [
      '.example.local',
      ['example.local', 'api.example.local:8080'],
      ['badexample.local', 'example.localhost']
    ],
    ['"(app|api).test"', ['app.test', 'api.test:3000'], ['web.test', 'xapp.test']],
    ['~^app\\d+\\.local$', ['app1.local', 'app42.local:80'], ['app.local', 'app1.local.evil']],
    ['app-test, 127.0.0.1', ['app-test:3000', '127.0.0.1:4000'], ['localhost:4000']]
  ])('%j', (spec, allowed, refused) => {
    const matches = allowedHostsMatcher(spec)
    for (const host of allowed) expect(matches(host), host).toBe(true)
    for (const host of refused) expect(matches(host), host).toBe(false)
  })
})
