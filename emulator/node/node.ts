/**
 * The emulated FAST node: what the `wallarm/fast` container does in API mode (spec §4). It connects to
 * its cloud with its token, logs as the real node does, proxies, records the requests to allowed hosts
 * as baselines of its current test run, and tests them against the target (./attack.ts), reporting
 * every check to the cloud. The cloud is reached over the emulator's private node link, never over
 * the documented API.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { CheckEvent, NodeCheck, NodeWork } from '../cloud/types.js'
import { listen, closeServer } from '../listen.js'
import { absoluteTarget } from '../request-target.js'
import { checkBaseline, planProbes } from './attack.js'
import type { NodeConfig } from './config.js'
import { sendRequest } from './http-send.js'
import { CloudLink, LinkError } from './link.js'
import { createNodeProxy } from './proxy.js'

export interface NodeOptions {
  /** Where the proxy listens; default 127.0.0.1 (0.0.0.0 in the container). */
  host?: string
  /** How the node logs; default stdout. Lines look like the real node's: `[info] …`. */
  log?: (line: string) => void
  /** How often the node asks its cloud for work, real ms; default 100. */
  pollMs?: number
}

export interface FastNode {
  /** e.g. http://127.0.0.1:8080 */
  proxyUrl: string
  nodeId: number
  close(): Promise<void>
}

export class NodeAccessDenied extends Error {}

const TERMINAL = ['passed', 'failed', 'interrupted']

type Run = NonNullable<NodeWork['run']>

export async function startNode(config: NodeConfig, options: NodeOptions = {}): Promise<FastNode> {
  const log = options.log ?? ((line: string) => console.log(line))
  const pollMs = options.pollMs ?? 100
  const link = new CloudLink(config.apiBase, config.token)

  let nodeId: number
  for (let attempt = 0; ; attempt++) {
    try {
      nodeId = (await link.hello(randomUUID())).node_id
      break
    } catch (err) {
      if (err instanceof LinkError && (err.status === 401 || err.status === 403)) {
        log("[error] Can't create new instance - access denied")
        throw new NodeAccessDenied('the cloud rejected WALLARM_API_TOKEN (access denied)')
      }
      if (attempt === 0) log("[error] Can't create new instance - Request Timeout")
      if (attempt >= 50)
        throw new Error(`cannot reach the cloud at ${config.apiBase}: ${(err as Error).message}`)
      await sleep(200)
    }
  }
  log('[info] Node connected to Wallarm Cloud')

  const proxy = createNodeProxy(config, async (p) => {
    try {
      await link.recordBaseline({
        method: p.method,
        url: p.target.url,
        headers: p.headers,
        body: p.body.toString('utf8')
      })
    } catch (err) {
      log(`[error] Recording error: ${(err as Error).message}`)
    }
  })
  const port = await listen(proxy, options.host ?? '127.0.0.1', config.proxyPort)
  log('[info] Waiting for TestRun to check…')

  const tester = new Tester(link, config, log)
  let current: Run | null = null
  let stopped = false
  let unreachable = false
  const told = new Set<number>()
  let timer: NodeJS.Timeout | undefined

  const tick = async (): Promise<void> => {
    let work: NodeWork
    try {
      work = await link.work()
      if (unreachable) log('[info] Node connected to Wallarm Cloud')
      unreachable = false
    } catch (err) {
      // Once per outage, not on every poll.
      if (!stopped && !unreachable) log(`[error] Cloud unreachable: ${(err as Error).message}`)
      unreachable = true
      return
    }
    const run = work.run
    if (current && (!run || run.id !== current.id || TERMINAL.includes(run.state))) {
      log(
        run && run.id === current.id
          ? `[info] TestRun#${current.id} '${current.name}' finished: ${run.state}`
          : `[info] TestRun#${current.id} '${current.name}' is no longer the node's test run`
      )
      tester.abort()
      current = null
      told.clear()
      log('[info] Waiting for TestRun to check…')
    }
    if (!run || TERMINAL.includes(run.state)) return
    if (!current) {
      log(
        run.kind === 'record'
          ? `[info] Recording baselines for TestRun#${run.id} '${run.name}'`
          : `[info] Testing baselines of TestRecord#${run.test_record_id} for TestRun#${run.id} '${run.name}'`
      )
    } else if (current.recording && !run.recording) {
      log(`[info] Recording stopped for TestRun#${run.id}: testing the recorded baselines`)
    }
    current = run
    for (const check of run.checks) {
      if (told.has(check.baseline_id)) continue
      if (check.status === 'skipped_duplicate') {
        told.add(check.baseline_id)
        log(`[info] The baseline #${check.seq} is duplicated and already was processed`)
      } else if (check.status === 'skipped_excluded') {
        told.add(check.baseline_id)
        log(`[info] The baseline #${check.seq} is skipped: its file extension is excluded`)
      }
    }
    if (run.testing) tester.take(run)
  }
  const loop = (): void => {
    if (stopped) return
    void tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, pollMs)
    })
  }
  loop()

  let closing: Promise<void> | undefined
  return {
    proxyUrl: `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`,
    nodeId,
    close: () =>
      (closing ??= (async () => {
        stopped = true
        clearTimeout(timer)
        tester.abort()
        await closeServer(proxy)
        await tester.idle()
      })())
  }
}

/** Tests the current run's waiting baselines one at a time, in their order, within its rates. */
class Tester {
  private runId: number | null = null
  private readonly queued = new Set<number>()
  private queue: NodeCheck[] = []
  private working: Promise<void> | null = null
  /** Bumped when the run changes or ends: a check of an older generation stops sending. */
  private generation = 0
  private nextSlot = 0
  private perRequestMs = 0
  private readonly marker = `fast${randomBytes(4).toString('hex')}`

  constructor(
    private readonly link: CloudLink,
    private readonly config: NodeConfig,
    private readonly log: (line: string) => void
  ) {}

  take(run: Run): void {
    if (this.runId !== run.id) {
      this.abort()
      this.runId = run.id
    }
    const limit = Math.min(run.rps ?? Infinity, run.rps_per_baseline ?? Infinity)
    this.perRequestMs = Number.isFinite(limit) ? 1000 / limit : 0
    for (const c of run.checks) {
      if (c.status === 'waiting' && !this.queued.has(c.baseline_id)) {
        this.queued.add(c.baseline_id)
        this.queue.push(c)
      }
    }
    // A drain of an older run may still be finishing its request: the next poll starts this one.
    this.working ??= this.drain(run.id, this.generation).finally(() => (this.working = null))
  }

  abort(): void {
    this.generation++
    this.runId = null
    this.queue = []
    this.queued.clear()
  }

  idle(): Promise<void> {
    return this.working ?? Promise.resolve()
  }

  private async drain(runId: number, generation: number): Promise<void> {
    const aborted = (): boolean => generation !== this.generation
    for (let check = this.queue.shift(); check && !aborted(); check = this.queue.shift()) {
      await this.check(runId, check, aborted).catch((err: unknown) =>
        this.log(`[error] Internal exception on baseline #${check?.seq}: ${(err as Error).message}`)
      )
    }
  }

  private async check(runId: number, c: NodeCheck, aborted: () => boolean): Promise<void> {
    const probes = planProbes(c, this.marker)
    await this.link.report(runId, [{ baseline_id: c.baseline_id, kind: 'start', planned: probes.length + 1 }])
    let unsent = 0
    let lastFlush = Date.now()
    const flush = async (): Promise<void> => {
      if (unsent === 0) return
      const n = unsent
      unsent = 0
      lastFlush = Date.now()
      await this.link.report(runId, [{ kind: 'sent', n }])
    }
    const result = await checkBaseline(c, probes, {
      send: (r) => sendRequest(r, this.config.requestTimeoutMs),
      pace: async () => {
        if (Date.now() - lastFlush >= 250) await flush()
        const wait = this.nextSlot - Date.now()
        if (wait > 0) await sleep(wait)
        this.nextSlot = Math.max(Date.now(), this.nextSlot) + this.perRequestMs
      },
      onSent: (n) => (unsent += n),
      aborted
    })
    if (aborted()) return
    const events: CheckEvent[] = []
    if (unsent > 0) events.push({ kind: 'sent', n: unsent })
    events.push({
      baseline_id: c.baseline_id,
      kind: 'done',
      result: result.result,
      findings: result.findings,
      ...(result.reason ? { reason: result.reason } : {})
    })
    await this.link.report(runId, events)
    const what = `${c.method} ${absoluteTarget(c.url)?.pathname ?? c.url}`
    if (result.result === 'failed') {
      for (const f of result.findings)
        this.log(
          `[info] Baseline #${c.seq} (${what}): vulnerability found: ${f.type} in parameter ${f.parameter}`
        )
    } else if (result.result === 'tech_fail') {
      this.log(`[warn] Baseline #${c.seq} (${what}): technical failure: ${result.reason ?? 'unknown'}`)
    } else this.log(`[info] Baseline #${c.seq} (${what}): passed`)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
