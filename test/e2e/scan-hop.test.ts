/**
 * The recording hop under load, through the bundled action in scan mode (on Node 24): the `run` command
 * is a load script (scripts/lib/hop-load.ts) that makes HTTPS tunnels closed from either end, tunnels
 * left before a byte, dropped downloads and uploads, and a WebSocket inside a tunnel, through the hop
 * in front of the emulator's real node, and counts the action's open descriptors before and after.
 */
import { dirname, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../emulator/index.js'
import { node24Path, runStep, type StepResult } from './harness.js'

const LOAD = resolve(import.meta.dirname, '..', '..', 'scripts', 'lib', 'hop-load.ts')

interface LoadReport {
  requests: number
  errors: Record<string, number>
  websocket: { status: string; echo: boolean }
  fds: { before: number; after: number }
}

function loadReport(step: StepResult): LoadReport {
  const line = step.stdout.split('\n').find((l) => l.startsWith('HOPLOAD '))
  if (line === undefined)
    throw new Error(`no HOPLOAD line in the step's output:\n${step.stdout}\n${step.stderr}`)
  return JSON.parse(line.slice('HOPLOAD '.length)) as LoadReport
}

describe('scan mode: the recording hop under load, the bundled action on Node 24', () => {
  let node24: string
  let emu: Emulator
  const token = 'fast-scan-hop-load-s3cr3t'

  beforeAll(async () => {
    node24 = node24Path()
    // Nothing the load sends is recorded (ALLOWED_HOSTS names another host): the node only proxies.
    emu = await startEmulator({ tokens: [token], nodes: 'real', allowedHosts: 'recorded.invalid' })
  }, 300_000)
  afterAll(async () => {
    await emu?.close()
  })

  it('tunnels closed from either end, clients that go away, a WebSocket in a tunnel: no error, every descriptor back', async () => {
    const step = await runStep({
      node: node24,
      env: {
        PATH: `${dirname(node24)}:${process.env.PATH}`,
        LOAD_REQUESTS: '300',
        LOAD_CONCURRENCY: '20',
        LOAD_ACTION_FDS: '1'
      },
      inputs: {
        mode: 'scan',
        token,
        'api-host': emu.apiUrl,
        'node-url': emu.proxyUrl,
        target: 'http://127.0.0.1:9',
        run: `node "${LOAD}"`,
        'stop-grace-period': '0s'
      }
    })
    const report = loadReport(step)
    expect(report.fds.before).toBeGreaterThan(0)
    expect({
      errors: report.errors,
      websocket: report.websocket,
      descriptorsLeft: Math.max(0, report.fds.after - report.fds.before)
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
