/**
 * The cost of the OpenAPI layer (src/openapi/): 20,000 ledger requests put on a generated 500-operation
 * API description (load, index, match, coverage), side by side with the same ledger counted with no spec.
 * Each variant runs in a fresh Node process of its own (--expose-gc), so that one's heap never weighs on
 * the other's: time from the ledger in hand to the coverage (or the counts), and the extra peak RSS.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchSection } from './section.js'
import { median, round } from './stats.js'

export const OPERATIONS = 500
export const REQUESTS = 20_000
const TRIALS = 3
const MB = 1_000_000

/** One variant's reading in its worker (./openapi-match-worker.ts). */
export interface WorkerReading {
  ms: number
  /** CPU time (user + system) over the same span: less moved by a busy machine than the wall clock. */
  cpu_ms: number
  /** Loading and indexing the spec (0 without one). */
  load_ms: number
  /** Peak RSS of the process, bytes. */
  peak_rss: number
  /** Heap still held after a collection, over the heap before the work, bytes. */
  heap_held: number
  /** Operations tested, requests not in the spec (a check that the work was done). */
  tested: number
  not_in_spec: number
}

export interface OpenApiCost {
  operations: number
  requests: number
  spec_ms: number
  spec_load_ms: number
  spec_cpu_ms: number
  none_ms: number
  none_cpu_ms: number
  /** Extra time with the spec (median of the trials). */
  extra_ms: number
  /** Extra peak RSS with the spec, MB. */
  extra_mb: number
  tested: number
  not_in_spec: number
}

/**
 * A 500-operation OpenAPI 3.1 description under `servers: /v1`: 100 resources, each `GET`/`POST` on the
 * collection and `GET`/`PATCH`/`DELETE` on `{id}`; every tenth trades its `POST` for a literal sibling of
 * `{id}` (`GET /rN/search`), so that the literal-before-template rule is exercised.
 */
export function generatedSpec(): string {
  const lines = [
    'openapi: 3.1.0',
    'info: { title: generated, version: "1" }',
    'servers:',
    '  - url: https://api.example.com/v1',
    'paths:'
  ]
  for (let r = 0; r < OPERATIONS / 5; r++) {
    const literal = r % 10 === 0
    lines.push(`  /r${r}:`, `    get: { operationId: list${r} }`)
    if (!literal) lines.push(`    post: { operationId: create${r} }`)
    if (literal) lines.push(`  /r${r}/search:`, `    get: { operationId: search${r} }`)
    lines.push(
      `  /r${r}/{id}:`,
      `    get: { operationId: get${r} }`,
      `    patch: { operationId: update${r} }`,
      `    delete: { operationId: delete${r} }`
    )
  }
  return `${lines.join('\n')}\n`
}

export async function benchOpenApi(): Promise<OpenApiCost> {
  const workspace = mkdtempSync(join(tmpdir(), 'bench-openapi-'))
  writeFileSync(join(workspace, 'openapi.yaml'), generatedSpec())
  try {
    const spec: WorkerReading[] = []
    const none: WorkerReading[] = []
    for (let i = 0; i < TRIALS; i++) {
      // Interleaved, so that the machine's load falls on both alike.
      none.push(await run('none', workspace))
      spec.push(await run('spec', workspace))
    }
    const specMs = median(spec.map((r) => r.ms))
    const noneMs = median(none.map((r) => r.ms))
    return {
      operations: OPERATIONS,
      requests: REQUESTS,
      spec_ms: round(specMs, 1),
      spec_load_ms: round(median(spec.map((r) => r.load_ms)), 1),
      none_ms: round(noneMs, 1),
      spec_cpu_ms: round(median(spec.map((r) => r.cpu_ms)), 1),
      none_cpu_ms: round(median(none.map((r) => r.cpu_ms)), 1),
      extra_ms: round(specMs - noneMs, 1),
      extra_mb: round((median(spec.map((r) => r.peak_rss)) - median(none.map((r) => r.peak_rss))) / MB, 1),
      tested: spec[0]?.tested ?? 0,
      not_in_spec: spec[0]?.not_in_spec ?? 0
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true })
  }
}

function run(variant: 'spec' | 'none', workspace: string): Promise<WorkerReading> {
  const worker = join(import.meta.dirname, 'openapi-match-worker.ts')
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', worker, variant, workspace], {
    encoding: 'utf8'
  })
  if (child.status !== 0) throw new Error(`openapi bench worker (${variant}) failed: ${child.stderr}`)
  return Promise.resolve(JSON.parse(child.stdout) as WorkerReading)
}

const TARGET = { ms: 1000, mb: 50 }

/** Registered in scripts/bench.ts's SECTIONS. */
export const openapiMatching: BenchSection = {
  key: 'openapi',
  progress: `openapi: ${REQUESTS} ledger requests on a ${OPERATIONS}-operation spec vs no spec (${TRIALS} trials each, a process each)…`,
  async run() {
    const c = await benchOpenApi()
    return {
      heading: `API coverage (src/openapi): ${c.requests} ledger requests on a generated ${c.operations}-operation spec, median of ${TRIALS}`,
      lines: [
        `${'variant'.padEnd(10)}${'wall'.padStart(10)}${'cpu'.padStart(10)}   of which load and index`,
        `${'no spec'.padEnd(10)}${`${c.none_ms} ms`.padStart(10)}${`${c.none_cpu_ms} ms`.padStart(10)}`,
        `${'spec'.padEnd(10)}${`${c.spec_ms} ms`.padStart(10)}${`${c.spec_cpu_ms} ms`.padStart(10)}   ${c.spec_load_ms} ms`,
        `extra with the spec: ${c.extra_ms} ms, ${c.extra_mb} MB peak RSS; ${c.tested} operations tested, ${c.not_in_spec} paths not in the spec`,
        'no spec: the ledger counted by method and path; spec: load, index, match every request, coverage.'
      ],
      targets: [
        {
          ok: c.extra_ms < TARGET.ms,
          target: `openapi: ${c.requests} requests on ${c.operations} operations under ${TARGET.ms / 1000} s more`,
          actual: `${c.extra_ms} ms (cpu ${round(c.spec_cpu_ms - c.none_cpu_ms, 1)} ms)`
        },
        {
          ok: c.extra_mb < TARGET.mb,
          target: `openapi: under ${TARGET.mb} MB more peak RSS than no spec`,
          actual: `${c.extra_mb} MB`
        }
      ],
      json: c
    }
  }
}
