/**
 * One variant of the OpenAPI bench (./openapi-match.ts) in a process of its own:
 *   node --import tsx --expose-gc openapi-match-worker.ts spec|none <workspace>
 * prints one JSON WorkerReading. Both variants import the same modules (the bundle holds them either way).
 */
import {
  computeCoverage,
  createMatcher,
  loadApiDescription,
  type SentRequest
} from '../../src/openapi/index.js'
import { OPERATIONS, REQUESTS, type WorkerReading } from './openapi-match.js'
import { seededRandom } from './stats.js'

const [variant, workspace] = process.argv.slice(2)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

/** The hop's ledger: 20,000 requests, 90 % to the spec's operations (random ids), 10 % to no operation. */
function ledger(): SentRequest[] {
  const random = seededRandom(23)
  const pick = (n: number): number => Math.floor(random() * n)
  const out: SentRequest[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const r = pick(OPERATIONS / 5)
    const roll = random()
    const id = pick(1_000_000)
    const [method, path] =
      roll < 0.1
        ? ['GET', `/v1/undocumented/${id}`]
        : roll < 0.15
          ? ['GET', `/v1/r${r}/search?q=${id}`]
          : roll < 0.5
            ? [(['GET', 'PATCH', 'DELETE'] as const)[pick(3)]!, `/v1/r${r}/${id}`]
            : [(['GET', 'POST'] as const)[pick(2)]!, `/v1/r${r}?page=${pick(9)}`]
    out.push({ method, path, count: 1, recorded: true })
  }
  return out
}

const requests = ledger()
gc()
const heapBefore = process.memoryUsage().heapUsed
const started = performance.now()
const cpuBefore = process.cpuUsage()
let loadMs = 0
let tested = 0
let notInSpec = 0
let held: unknown
if (variant === 'spec') {
  const api = loadApiDescription({ file: 'openapi.yaml', workspace: workspace ?? '.' })
  const matcher = createMatcher(api.operations)
  loadMs = performance.now() - started
  const coverage = computeCoverage({ matcher, spec: api.file, requests })
  tested = coverage.tested
  notInSpec = coverage.notInSpec.length + coverage.notInSpecOmitted
  held = coverage
} else {
  // No spec: the ledger counted by method and path, as the traffic table does anyway.
  const counts = new Map<string, number>()
  for (const r of requests) {
    const key = `${r.method} ${r.path.split('?', 1)[0] ?? ''}`
    counts.set(key, (counts.get(key) ?? 0) + r.count)
  }
  held = counts
}
const ms = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
gc()
const reading: WorkerReading = {
  ms,
  cpu_ms: (cpu.user + cpu.system) / 1000,
  load_ms: loadMs,
  peak_rss: process.resourceUsage().maxRSS * 1024,
  heap_held: process.memoryUsage().heapUsed - heapBefore,
  tested,
  not_in_spec: notInSpec
}
process.stdout.write(`${JSON.stringify(reading)}\n`)
void held
