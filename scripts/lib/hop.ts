/**
 * The cost of the recording hop (src/scan/hop.ts): the same requests sent through the FAST node's
 * proxy directly, and through the hop in front of it, interleaved batch by batch so that the machine's
 * load falls on both alike. Reported as a ratio (through the hop over direct), which holds across
 * machines better than milliseconds do.
 */
import http from 'node:http'
import { startHop } from '../../src/scan/hop.js'
import { startEmulator } from '../../emulator/index.js'
import { startSampleApp } from '../../sample-app/server.js'
import { median, round } from './stats.js'

export interface HopCost {
  /** The median, over pairs of neighbouring batches, of the time through the hop over the time direct. */
  ratio: number
  direct_ms: number
  hop_ms: number
  /** Requests per batch (half small GETs, half 64 KB POSTs). */
  requests: number
  batches: number
}

/** One request through a forward proxy: absolute-form, on a keep-alive agent. */
function viaProxy(agent: http.Agent, proxy: URL, target: string, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: Number(proxy.port),
        method: body ? 'POST' : 'GET',
        path: target,
        agent,
        headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {}
      },
      (res) => {
        res.resume()
        res.on('end', resolve)
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

export async function benchHop(batches = 15, requests = 200): Promise<HopCost> {
  const emu = await startEmulator({ tokens: ['fast-bench-hop'] })
  const app = await startSampleApp()
  const hop = await startHop({ upstream: emu.proxyUrl, onRequest: () => undefined })
  const body = Buffer.alloc(64 * 1024, 'x')
  try {
    const batch = async (proxyUrl: string): Promise<number> => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })
      const proxy = new URL(proxyUrl)
      const started = performance.now()
      for (let i = 0; i < requests; i += 2) {
        await viaProxy(agent, proxy, `${app.url}/api/products/${(i % 3) + 1}`)
        await viaProxy(agent, proxy, `${app.url}/api/cart`, body)
      }
      const ms = performance.now() - started
      agent.destroy()
      return ms
    }
    await batch(emu.proxyUrl)
    await batch(hop.url)
    const direct: number[] = []
    const through: number[] = []
    for (let i = 0; i < batches; i++) {
      direct.push(await batch(emu.proxyUrl))
      through.push(await batch(hop.url))
    }
    // The ratio of each pair of neighbouring batches, which share the machine's load of the moment.
    const ratios = through.map((h, i) => h / direct[i]!)
    return {
      ratio: round(median(ratios), 2),
      direct_ms: round(median(direct), 1),
      hop_ms: round(median(through), 1),
      requests,
      batches
    }
  } finally {
    await hop.close()
    await app.close()
    await emu.close()
  }
}
