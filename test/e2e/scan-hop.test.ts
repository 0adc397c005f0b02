/**
 * The recording hop under load, through the bundled action in scan mode (on Node 24): the `run` command
 * is a load script (scripts/lib/hop-load.ts) that makes HTTPS tunnels closed from either end, tunnels
 * left before a byte, dropped downloads and uploads, and a WebSocket inside a tunnel, through the hop
 * in front of the emulator's real node, and counts the action's open descriptors before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { loadThroughAction } from '../../scripts/lib/hop-load-bench.js'
import { node24Path } from './harness.js'

const TOKEN = 'fast-scan-hop-load-s3cr3t'

describe('scan mode: the recording hop under load, the bundled action on Node 24', () => {
  let node24: string
  let emu: Emulator

  beforeAll(async () => {
    node24 = node24Path()
    // Nothing the load sends is recorded (ALLOWED_HOSTS names another host): the node only proxies.
    emu = await startEmulator({ tokens: [TOKEN], nodes: 'real', allowedHosts: 'recorded.invalid' })
  }, 300_000)
  afterAll(async () => {
    await emu?.close()
  })

  it('tunnels closed from either end, clients that go away, a WebSocket in a tunnel: no error, every descriptor back', async () => {
    const { step, report } = await loadThroughAction(
      node24,
      { ...emu, token: TOKEN },
      {
        LOAD_REQUESTS: '300',
        LOAD_CONCURRENCY: '20'
      }
    )
    expect(report.fds.before).toBeGreaterThan(0)
    expect({
      errors: report.errors,
      websocket: report.websocket,
      descriptorsLeft: Math.max(0, (report.fds.after ?? Infinity) - (report.fds.before ?? 0))
    }).toEqual({ errors: {}, websocket: { status: '101', echo: true }, descriptorsLeft: 0 })
    // The ledger says what did not complete, and the WebSocket as switched.
    expect(step.summary).toContain(
      '| 1xx | 2xx | 3xx | 4xx | 5xx | No answer | Client went away | Recorded |'
    )
    expect(step.summary).toMatch(
      /\| GET \| 127\\\.0\.0\.1 \| `\/big` \| 30 \| 0 \| 0 \| 0 \| 0 \| 0 \| 0 \| 30 \|/
    )
    expect(step.summary).toMatch(/\| GET \| 127\\\.0\.0\.1 \| `\/chat` \| 1 \| 1 \|/)
    expect(step.stdout).toContain('60 requests were abandoned by the test client')
  })
})
