/**
 * The pure in-memory state of the emulated Wallarm FAST cloud: nodes (one per token), test records,
 * test runs and the vulnerabilities they find. It follows the Wallarm FAST API notes the project was built from
 * (cited below as "spec §…").
 *
 * Nothing here runs on a timer. The model stores *events* with their timestamps (creation, baselines
 * arriving, stop, pause/resume, interrupt) and COMPUTES everything else (state, counters, rates,
 * findings, the moment a run ends) from those timestamps whenever it is read. The clock is injected,
 * so a benchmark can create a run and read it at any virtual time. The clock must never go backwards.
 *
 * Time units. `timeScale` multiplies every *emulated duration* (the node's pick-up delay, cloning,
 * `inactivity_timeout`, the time a test request takes, the 10 s rate window). Everything the API
 * *reports* is measured on the injected clock: `start_time`/`end_time` are clock seconds, and
 * `current_rps`, `avg_rps` and `estimated_time_to_completion` are per clock second. With
 * `timeScale: 0.05` the emulated node is simply 20 times faster, and the reported figures stay
 * consistent with each other and with the timestamps.
 *
 * Public methods (all take the current time from the clock):
 * - `createTestRun(token, params)`   E1 (delegates to `copyTestRun` when `params.test_record_id` is set,
 *                                    because both are `POST /v1/test_run`).
 * - `copyTestRun(token, params)`     E2.
 * - `postTestRun(token, params)`     what `POST /v1/test_run` does: E1 or E2 depending on `test_record_id`.
 * - `getTestRun(token, id)`          E3. A run of another node is 404.
 * - `stopRecording(token, runId)`    E4.
 * - `stopRecordingByRecord(token, recordId)`  E5.
 * - `recordBaseline(token, req)`     what the node's proxy calls for every proxied request.
 * - `pause(runId)`, `resume(runId)`, `interrupt(runId)`  console actions (no API exists, spec §E6).
 * - `listVulns(query)`               E7 (`query` is the E7 request body), no token check.
 * - `listVulnsAs(token, query)`      E7 for a token: auth, and 403 for `vulnReadDenied` tokens.
 * - `peekTestRun(id)`                the test-run object without any token check (control endpoints).
 * - `dump()`                         everything, for `GET /__emulator/state`.
 * Errors are thrown as `FastApiError(status, body)`; `body` is what goes into the envelope.
 */
import { CLIENT_ID, vulnerabilityObject } from './vuln-object.js'
import type {
  WireTestRun as TestRun,
  WireVulnerability as Vulnerability,
  WireVulnSummary as VulnSummary
} from '../wire.js'

export interface VulnRuleInput {
  method: string
  url: string
  host: string
  path: string
  query: string
  body: string
}

export interface EmulatedVuln {
  type: string
  threat: number
  code?: string
  parameter?: string
  title?: string
  /** The attack request that proved it (a real node's finding). */
  exploit?: string
}

/** A request as the node's proxy saw it. */
export interface BaselineInput {
  method: string
  /** Absolute URL of the target. */
  url: string
  headers: Record<string, string>
  body: string
}

export interface RecordBaselineResult {
  recorded: boolean
  /** Why it was not recorded: no run on the node, node not ready yet, recording over, or the run is a copy. */
  reason?: 'no_run' | 'not_ready' | 'not_recording'
  runId?: number
  recordId?: number
  baselineId?: number
  /** Recorded into the record, but not tested by this run. */
  skipped?: 'excluded' | 'duplicate'
}

export interface ModelOptions {
  /** Accepted node tokens, one FAST node each; default ['fast-token-a']. */
  tokens?: string[]
  /** Multiply every emulated duration by this; 0.05 = 20x faster. Default 1. */
  timeScale?: number
  /** Emulated ms from create until node_active/ready_for_recording turn true; default 2000. */
  readyDelayMs?: number
  /** Emulated ms a copy stays in `cloning`; default 1000. */
  cloningMs?: number
  /** Default: path or query contains "vulnerable" -> {type:'sqli', threat:80, code:'S0001'}. */
  vulnRule?: (req: VulnRuleInput) => EmulatedVuln | null
  /** ms; default Date.now (a benchmark drives the model on a virtual clock). */
  clock?: () => number
  /** Emulate old API versions without the ready_for_recording field. */
  omitReadyForRecording?: boolean
  /** Tokens for which `POST /v1/objects/vuln` answers 403 (spec §E7: access for node tokens is a gap). */
  vulnReadDenied?: string[]
  /** Status for a missing or unknown token: spec §1.6 and §6.7 leave 401 vs 403 open. Default 403. */
  authFailureStatus?: 401 | 403
  /**
   * How `planing_requests_count` and `estimated_time_to_completion` are read (spec §6.1 "ETA": the docs
   * contradict themselves). `counted` (default): planing is cumulative, as the docs' finished example
   * (70/70) shows, and ETA = (planing − sended) / current_rps. `queued`: the docs' formula taken
   * literally on that field, ETA = planing / current_rps, which over-estimates and never falls to 0.
   * `absent`: the ETA is always null.
   */
  eta?: EtaReading
  /**
   * true (default): a node without a process behind it tests on the clock (the simulated node: fast,
   * deterministic, and drivable on a virtual clock). false: only a real node (emulator/node/) that
   * connected through the private node link tests; without one, runs never become ready.
   */
  simulatedNodes?: boolean
}

export type EtaReading = 'counted' | 'queued' | 'absent'
export const ETA_READINGS: readonly EtaReading[] = ['counted', 'queued', 'absent']

/** What a real node reports about its checks (see `nodeReport`). */
export type CheckEvent =
  | { baseline_id: number; kind: 'start'; planned: number }
  | { kind: 'sent'; n: number }
  | {
      baseline_id: number
      kind: 'done'
      result: 'passed' | 'failed' | 'tech_fail'
      findings?: EmulatedVuln[]
      reason?: string
    }

/** A check as the real node sees its work (see `nodeWork`). */
export interface NodeCheck {
  baseline_id: number
  seq: number
  method: string
  url: string
  headers: Record<string, string>
  body: string
  status: 'skipped_duplicate' | 'skipped_excluded' | CheckStatus
}

type CheckStatus = 'waiting' | 'running' | 'passed' | 'failed' | 'tech_fail'

export interface NodeWork {
  run: null | {
    id: number
    name: string
    kind: 'record' | 'copy'
    test_record_id: number
    state: string
    recording: boolean
    /** Testing may start (the copy's cloning is over). */
    testing: boolean
    rps: number | null
    rps_per_baseline: number | null
    stop_on_first_fail: boolean
    checks: NodeCheck[]
  }
}

/** The E7 request body. */
export interface VulnQuery {
  filter?: { testrun_id?: number | number[] | null; [key: string]: unknown }
  limit?: number
  offset?: number
  order_desc?: boolean
  [key: string]: unknown
}

export class FastApiError extends Error {
  readonly status: number
  readonly body: unknown
  constructor(status: number, body: unknown) {
    super(typeof body === 'string' ? body : JSON.stringify(body))
    this.status = status
    this.body = body
  }
}

export const DEFAULT_TOKENS = ['fast-token-a']

/** The default rule: anything whose path or query mentions "vulnerable" has an SQL injection. */
export function defaultVulnRule(req: VulnRuleInput): EmulatedVuln | null {
  return req.path.includes('vulnerable') || req.query.includes('vulnerable')
    ? { type: 'sqli', threat: 80, code: 'S0001' }
    : null
}

/**
 * A rule that finds an `sqli` (threat 80) on every request to one of these paths, on the first query
 * parameter: what the CLI's --vulnerable-path sets up, e.g. for the sample app's injectable search.
 */
export function vulnerablePathsRule(paths: readonly string[]): (req: VulnRuleInput) => EmulatedVuln | null {
  return (req) => {
    if (!paths.includes(req.path)) return null
    const parameter = new URLSearchParams(req.query.replace(/^\?/, '')).keys().next().value
    return { type: 'sqli', threat: 80, code: 'S0001', ...(parameter ? { parameter } : {}) }
  }
}

// ---------------------------------------------------------------------------------------------------
// Internal records

interface Node {
  id: number
  token: string
  currentRunId: number | null
  /** The real node process attached to this token (its session id), if any. */
  session: string | null
}

interface StoredBaseline {
  id: number
  /** 1-based position in its record. */
  seq: number
  method: string
  url: string
  host: string
  path: string
  query: string
  headers: Record<string, string>
  body: string
  recordedAt: number
}

interface StoredRecord {
  id: number
  name: string
  createdAt: number
  creatorRunId: number
  baselines: StoredBaseline[]
}

interface PlannedVuln {
  id: number
  spec: EmulatedVuln
}

interface RunBaseline {
  baseline: StoredBaseline
  arrivedAt: number
  skipped: 'excluded' | 'duplicate' | null
  planned: number
  vuln: PlannedVuln | null
  /** Runs tested by a real node: what the node reported about this baseline's check. */
  check: ReportedCheck
}

interface ReportedCheck {
  status: CheckStatus
  startedAt: number | null
  endedAt: number | null
  planned: number
  found: { vuln: PlannedVuln; foundAt: number }[]
}

interface Settings {
  policy_id: number | null
  rps: number | null
  rps_per_baseline: number | null
  inactivity_timeout: number
  stop_on_first_fail: boolean
  skip_duplicated_baselines: boolean
  file_extensions_to_exclude: string
}

interface StoredRun {
  id: number
  token: string
  nodeId: number
  kind: 'record' | 'copy'
  name: string
  desc: string
  recordId: number
  settings: Settings
  createdAt: number
  /** Record runs: when the node has picked the run up (node_active, ready_for_recording). */
  readyAt: number
  /** Copies: when cloning ends and testing may start. Equal to createdAt for record runs. */
  cloningEnd: number
  stopRequestedAt: number | null
  interruptedAt: number | null
  pauses: { start: number; end: number | null }[]
  baselines: RunBaseline[]
  excludeMatcher: ((path: string) => boolean) | null
  /** Identity (method, URL, body) of the tested baselines, to skip duplicates. */
  testedKeys: Set<string>
  /** Test requests per emulated second for this run. */
  rate: number
  /** Tested by a real node (its reports drive the counters), not on the clock. */
  driven: boolean
  /** Driven runs: test requests the node reported sent, with when. */
  sends: { at: number; n: number }[]
}

interface ScheduledCheck {
  rb: RunBaseline
  /** In the run's "effective" time: clock time minus the time spent paused. */
  startE: number
  endE: number
}

type RunState = TestRun['state']

interface Evaluation {
  state: RunState
  terminalAt: number | null
  recording: boolean
  ready: boolean
  counts: {
    total: number
    passed: number
    fail: number
    techFail: number
    interrupted: number
    running: number
    waiting: number
    duplicate: number
    excluded: number
  }
  sent: number
  planned: number
  currentRps: number | null
  avgRps: number | null
  eta: number | null
  found: { rb: RunBaseline; vuln: PlannedVuln; foundAt: number }[]
  domains: string[]
}

/** Emulated test-request rate of the node when neither `rps` nor `rps_per_baseline` caps it. */
const NODE_RATE = 10
/** current_rps is "requests sent in the last 10 s divided by 10" (spec §2.T). */
const RATE_WINDOW_MS = 10_000
const DEFAULT_POLICY_ID = 1

// Placeholder error codes: the real strings are unknown (spec §1.6, §6.6). Only not_ready_for_cloning is
// documented.
const ERR_REQUIRED = 'required'
const ERR_RANGE = 'out_of_range'
const ERR_INVALID = 'invalid'
const ERR_NOT_FOUND = 'not_found'
const ERR_EMPTY_RECORD = 'empty_test_record'
const ERR_NOT_READY_FOR_CLONING = 'not_ready_for_cloning'

// ---------------------------------------------------------------------------------------------------
// Helpers

function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** 30..70 planned test requests, deterministic from the request. */
export function plannedRequestsFor(b: { method: string; url: string; body: string }): number {
  return 30 + (fnv1a(`${b.method} ${b.url}\n${b.body}`) % 41)
}

/**
 * `file_extensions_to_exclude` (spec §E1): `.` any run of chars, `x*`, `x?`, a plain extension, several
 * joined by `|` (or `,` as in the console form). Matched against the end of the URL path. Returns null
 * when nothing is excluded; throws on a pattern that cannot be compiled.
 */
export function extensionMatcher(spec: string): ((path: string) => boolean) | null {
  const alternatives = spec
    .split(/[|,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (alternatives.length === 0) return null
  const sources = alternatives.map((alt) => {
    let out = ''
    for (const ch of alt) {
      if (ch === '.') out += '[^/]*'
      else if (ch === '*' || ch === '?') {
        if (out === '') throw new Error(`nothing to repeat in "${alt}"`)
        out += ch
      } else out += ch.replace(/[\\^$+(){}[\]|/]/g, '\\$&')
    }
    return out
  })
  const re = new RegExp(`\\.(?:${sources.join('|')})$`, 'i')
  return (path) => re.test(path)
}

function newCounts(): Evaluation['counts'] {
  return {
    total: 0,
    passed: 0,
    fail: 0,
    techFail: 0,
    interrupted: 0,
    running: 0,
    waiting: 0,
    duplicate: 0,
    excluded: 0
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000)
}

/** Integer from a JSON number or a form-encoded string; undefined when it is not one. */
function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim())
  return undefined
}

function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === '1' || value === 1) return true
  if (value === 'false' || value === '0' || value === 0) return false
  return undefined
}

function absent(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

type ErrorMap = Record<string, { error: string; value: unknown }>

function sent(value: unknown): unknown {
  return value === undefined ? null : value
}

// ---------------------------------------------------------------------------------------------------

export class FastModel {
  readonly tokens: string[]
  readonly timeScale: number
  readonly readyDelayMs: number
  readonly cloningMs: number
  readonly clock: () => number
  private readonly vulnRule: (req: VulnRuleInput) => EmulatedVuln | null
  private readonly omitReadyForRecording: boolean
  private readonly vulnReadDenied: Set<string>
  private readonly authFailureStatus: number
  readonly eta: EtaReading
  readonly simulatedNodes: boolean

  private readonly nodes = new Map<string, Node>()
  private readonly runs = new Map<number, StoredRun>()
  private readonly records = new Map<number, StoredRecord>()
  // Ids are integers in practice (spec §1.3); the ranges mimic the docs' examples (runs 5080, records 9058).
  private nextRunId = 5001
  private nextRecordId = 9001
  private nextBaselineId = 1
  private nextVulnId = 7001

  constructor(options: ModelOptions = {}) {
    this.tokens = options.tokens && options.tokens.length > 0 ? [...options.tokens] : [...DEFAULT_TOKENS]
    this.timeScale = options.timeScale ?? 1
    if (!(this.timeScale > 0)) throw new Error('timeScale must be > 0')
    this.readyDelayMs = options.readyDelayMs ?? 2000
    this.cloningMs = options.cloningMs ?? 1000
    this.clock = options.clock ?? Date.now
    this.vulnRule = options.vulnRule ?? defaultVulnRule
    this.omitReadyForRecording = options.omitReadyForRecording ?? false
    this.vulnReadDenied = new Set(options.vulnReadDenied ?? [])
    this.authFailureStatus = options.authFailureStatus ?? 403
    this.eta = options.eta ?? 'counted'
    if (!ETA_READINGS.includes(this.eta)) throw new Error(`eta must be one of ${ETA_READINGS.join(', ')}`)
    this.simulatedNodes = options.simulatedNodes ?? true
    this.tokens.forEach((token, i) =>
      this.nodes.set(token, { id: 101 + i, token, currentRunId: null, session: null })
    )
  }

  /** An emulated duration in clock ms. */
  scaled(emulatedMs: number): number {
    return emulatedMs * this.timeScale
  }

  // --- auth ------------------------------------------------------------------------------------------

  /** Throws the auth failure (spec §1.2, §1.6: 401/403 is a gap; 403 by default) for a bad token. */
  authenticate(token: string | undefined): Node {
    const node = token === undefined ? undefined : this.nodes.get(token)
    if (!node) {
      throw new FastApiError(
        this.authFailureStatus,
        token === undefined || token === '' ? 'User not authenticated' : 'Invalid API token'
      )
    }
    return node
  }

  // --- E1 / E2 ---------------------------------------------------------------------------------------

  /** `POST /v1/test_run`: a copy (E2) when `test_record_id` is present, otherwise a new recording run (E1). */
  postTestRun(token: string | undefined, params: Record<string, unknown>): TestRun {
    return absent(params.test_record_id) ? this.createTestRun(token, params) : this.copyTestRun(token, params)
  }

  /** E1. Delegates to `copyTestRun` when `test_record_id` is set (same endpoint). */
  createTestRun(token: string | undefined, params: Record<string, unknown>): TestRun {
    if (!absent(params.test_record_id)) return this.copyTestRun(token, params)
    const node = this.authenticate(token)
    const errors: ErrorMap = {}
    const name = this.validateName(params, errors)
    const settings = this.validateSettings(params, errors, true)
    const recordName = params.test_record_name
    if (!absent(recordName) && typeof recordName !== 'string') {
      errors.test_record_name = { error: ERR_INVALID, value: recordName }
    }
    if (Object.keys(errors).length > 0) throw new FastApiError(400, errors)

    const now = this.clock()
    this.preempt(node, now)
    const runId = this.nextRunId++
    const record: StoredRecord = {
      id: this.nextRecordId++,
      name: typeof recordName === 'string' && recordName !== '' ? recordName : name,
      createdAt: now,
      creatorRunId: runId,
      baselines: []
    }
    this.records.set(record.id, record)
    const run = this.newRun(runId, node, 'record', name, params, record.id, settings, now)
    // A real node makes the run ready when it picks it up (nodeWork); the simulated one after a delay.
    run.readyAt = run.driven ? Infinity : now + this.scaled(this.readyDelayMs)
    run.cloningEnd = now
    this.runs.set(run.id, run)
    node.currentRunId = run.id
    return this.snapshot(run, now)
  }

  /** E2. */
  copyTestRun(token: string | undefined, params: Record<string, unknown>): TestRun {
    const node = this.authenticate(token)
    const errors: ErrorMap = {}
    const name = this.validateName(params, errors)
    // The copy docs do not mention test_record_name, inactivity_timeout or skip_duplicated_baselines
    // (spec §E2 gap): they are ignored here, and duplicates are skipped as by default (true).
    const settings = this.validateSettings(params, errors, false)
    const recordId = toInt(params.test_record_id)
    if (recordId === undefined || recordId <= 0) {
      errors.test_record_id = { error: ERR_INVALID, value: sent(params.test_record_id) }
    }
    if (Object.keys(errors).length > 0 || recordId === undefined) throw new FastApiError(400, errors)

    const now = this.clock()
    const record = this.records.get(recordId)
    if (!record) {
      // 404 for an unknown record (spec §1.6 [C]/[I]); keyed by parameter like the documented 400.
      throw new FastApiError(404, { test_record_id: { error: ERR_NOT_FOUND, value: recordId } })
    }
    const creator = this.runs.get(record.creatorRunId)
    // Recording is checked before emptiness: a record still recording is not_ready_for_cloning even if
    // it has no baselines yet (spec §E2 rule 4 is the only documented error).
    if (creator && this.evaluate(creator, now).recording) {
      throw new FastApiError(400, { test_record_id: { error: ERR_NOT_READY_FOR_CLONING, value: recordId } })
    }
    if (record.baselines.length === 0) {
      // Spec §E2 rule 3: fails, code undocumented. The code is a placeholder.
      throw new FastApiError(400, { test_record_id: { error: ERR_EMPTY_RECORD, value: recordId } })
    }

    this.preempt(node, now) // spec §3.2 rule 6: copying counts as creating
    const run = this.newRun(this.nextRunId++, node, 'copy', name, params, record.id, settings, now)
    run.cloningEnd = now + this.scaled(this.cloningMs)
    // A copy never records; the node is considered active once cloning is over (a real node: once it
    // has picked the copy up after cloning).
    run.readyAt = run.driven ? Infinity : run.cloningEnd
    run.stopRequestedAt = now
    // The copied baselines join the run at creation (they show as waiting while cloning) and are tested
    // again from scratch, with this run's own exclusions and the vuln rule applied afresh.
    for (const b of record.baselines) this.addRunBaseline(run, b, now)
    this.runs.set(run.id, run)
    node.currentRunId = run.id
    return this.snapshot(run, now)
  }

  // --- E3 --------------------------------------------------------------------------------------------

  /** E3. A run bound to another node (token) answers 404: plausible, the spec does not say (§1.2). */
  getTestRun(token: string | undefined, id: number): TestRun {
    const run = this.ownRun(token, id)
    return this.snapshot(run, this.clock())
  }

  /** The test-run object without any token check. */
  peekTestRun(id: number): TestRun | undefined {
    const run = this.runs.get(id)
    return run ? this.snapshot(run, this.clock()) : undefined
  }

  // --- E4 / E5 ---------------------------------------------------------------------------------------

  /**
   * E4. Sets recording false and returns the full object. Stopping a run that is not recording (a copy, a
   * stopped or a finished run) returns the object unchanged with 200: plausible, the errors are
   * undocumented (spec §6.2).
   */
  stopRecording(token: string | undefined, runId: number): TestRun {
    const run = this.ownRun(token, runId)
    const now = this.clock()
    if (this.evaluate(run, now).recording) run.stopRequestedAt = now
    return this.snapshot(run, now)
  }

  /**
   * E5. Stops the run that records into the record and returns that run's object (the response of E5 is
   * unknown, spec §6.2). Records are shared by the whole account (spec §4.3), so any known token may stop
   * any record; an unknown record is 404.
   */
  stopRecordingByRecord(token: string | undefined, recordId: number): TestRun {
    this.authenticate(token)
    const record = this.records.get(recordId)
    const run = record ? this.runs.get(record.creatorRunId) : undefined
    if (!record || !run) throw new FastApiError(404, { error: 'test record not found', value: recordId })
    const now = this.clock()
    if (this.evaluate(run, now).recording) run.stopRequestedAt = now
    return this.snapshot(run, now)
  }

  // --- the node's proxy ------------------------------------------------------------------------------

  /**
   * Called by the node's proxy for every request it forwards. The request becomes a baseline of the
   * node's current run's record only while that run is ready_for_recording and recording (spec §3.2
   * rule 8: before that the node just proxies).
   */
  recordBaseline(token: string, req: BaselineInput): RecordBaselineResult {
    const node = this.authenticate(token)
    const run = node.currentRunId === null ? undefined : this.runs.get(node.currentRunId)
    if (!run) return { recorded: false, reason: 'no_run' }
    const now = this.clock()
    const ev = this.evaluate(run, now)
    if (run.kind !== 'record' || !ev.recording)
      return { recorded: false, reason: 'not_recording', runId: run.id }
    if (!ev.ready) return { recorded: false, reason: 'not_ready', runId: run.id }
    const record = this.records.get(run.recordId)!
    let target: URL
    try {
      target = new URL(req.url)
    } catch {
      return { recorded: false, reason: 'not_recording', runId: run.id }
    }
    const baseline: StoredBaseline = {
      id: this.nextBaselineId++,
      seq: record.baselines.length + 1,
      method: req.method.toUpperCase(),
      url: req.url,
      host: target.host,
      path: target.pathname,
      query: target.search.replace(/^\?/, ''),
      headers: { ...req.headers },
      body: req.body,
      recordedAt: now
    }
    record.baselines.push(baseline)
    const rb = this.addRunBaseline(run, baseline, now)
    return {
      recorded: true,
      runId: run.id,
      recordId: record.id,
      baselineId: baseline.id,
      ...(rb.skipped ? { skipped: rb.skipped } : {})
    }
  }

  // --- the real node's private link (emulator/node/; not part of the documented API) ---------------

  /**
   * A node process starts with this token. A second process on the same token aborts the first one's
   * run (spec §4.3: "Starting a second container with the same token aborts the test run of the
   * first"). Throws the auth failure for a token the cloud does not know ("access denied").
   */
  nodeHello(token: string | undefined, session: string): { node_id: number } {
    const node = this.authenticate(token)
    const now = this.clock()
    if (node.session !== null && node.session !== session) this.preempt(node, now)
    node.session = session
    return { node_id: node.id }
  }

  /**
   * The node's current run and its checks. Reading it is how the node picks the run up: a recording
   * run becomes ready_for_recording, a copy past its cloning starts testing.
   */
  nodeWork(token: string | undefined): NodeWork {
    const node = this.authenticate(token)
    const run = node.currentRunId === null ? undefined : this.runs.get(node.currentRunId)
    if (!run) return { run: null }
    const now = this.clock()
    if (run.driven && run.readyAt === Infinity && (run.kind === 'record' || now >= run.cloningEnd)) {
      run.readyAt = now
    }
    const ev = this.evaluate(run, now)
    return {
      run: {
        id: run.id,
        name: run.name,
        kind: run.kind,
        test_record_id: run.recordId,
        state: ev.state,
        recording: ev.recording,
        testing: ev.ready && ev.terminalAt === null && ev.state === 'running',
        rps: run.settings.rps,
        rps_per_baseline: run.settings.rps_per_baseline,
        stop_on_first_fail: run.settings.stop_on_first_fail,
        checks: run.baselines.map((rb) => ({
          baseline_id: rb.baseline.id,
          seq: rb.baseline.seq,
          method: rb.baseline.method,
          url: rb.baseline.url,
          headers: rb.baseline.headers,
          body: rb.baseline.body,
          status: rb.skipped === null ? rb.check.status : `skipped_${rb.skipped}`
        }))
      }
    }
  }

  /** What the node did: checks started (with their planned requests), requests sent, checks done. */
  nodeReport(token: string | undefined, runId: number, events: CheckEvent[]): TestRun {
    const run = this.ownRun(token, runId)
    const now = this.clock()
    if (!run.driven) throw new FastApiError(409, 'this run is tested by the simulated node')
    if (this.evaluate(run, now).terminalAt !== null) return this.snapshot(run, now)
    for (const e of events) {
      if (e.kind === 'sent') {
        if (Number.isInteger(e.n) && e.n > 0) run.sends.push({ at: now, n: e.n })
        continue
      }
      const rb = run.baselines.find((x) => x.baseline.id === e.baseline_id && x.skipped === null)
      if (!rb) throw new FastApiError(404, { error: 'baseline not in this run', value: e.baseline_id })
      if (e.kind === 'start') {
        rb.check.status = 'running'
        rb.check.startedAt = now
        rb.check.planned = Math.max(0, Math.floor(e.planned))
      } else {
        rb.check.status = e.result
        rb.check.startedAt ??= now
        rb.check.endedAt = now
        for (const spec of e.result === 'failed' ? (e.findings ?? []) : []) {
          rb.check.found.push({ vuln: { id: this.nextVulnId++, spec }, foundAt: now })
        }
      }
    }
    return this.snapshot(run, now)
  }

  // --- console actions (spec §E6: no documented API; reachable only through the control endpoints) ----

  /** Pause a `running` run: its checks freeze until `resume`. Recording (if on) continues. */
  pause(runId: number): TestRun {
    const run = this.mustRun(runId)
    const now = this.clock()
    const ev = this.evaluate(run, now)
    if (ev.state !== 'running') throw new FastApiError(409, `cannot pause a test run in state ${ev.state}`)
    run.pauses.push({ start: now, end: null })
    return this.snapshot(run, now)
  }

  resume(runId: number): TestRun {
    const run = this.mustRun(runId)
    const now = this.clock()
    const ev = this.evaluate(run, now)
    const open = run.pauses.at(-1)
    if (ev.state !== 'paused' || !open || open.end !== null) {
      throw new FastApiError(409, `cannot resume a test run in state ${ev.state}`)
    }
    open.end = now
    return this.snapshot(run, now)
  }

  /** The console's Interrupt: the run ends `interrupted`, unfinished checks count as interrupted. */
  interrupt(runId: number): TestRun {
    const run = this.mustRun(runId)
    const now = this.clock()
    const ev = this.evaluate(run, now)
    if (ev.terminalAt !== null)
      throw new FastApiError(409, `cannot interrupt a test run in state ${ev.state}`)
    this.markInterrupted(run, now)
    return this.snapshot(run, now)
  }

  // --- E7 --------------------------------------------------------------------------------------------

  /**
   * E7: full vulnerability objects found so far, filtered by `filter.testrun_id` (an id or an array of
   * ids; `null` means "not from FAST", which is nothing here), ordered by id (`order_desc` reverses).
   * Vulnerabilities belong to the account, so a token sees findings of every node's runs (plausible;
   * spec §6.10). `limit` must be 0..1000 (spec §E7, wallarm-go); when absent it defaults to 50 (a gap:
   * the default is undocumented). No token check: see `listVulnsAs`.
   */
  listVulns(query: VulnQuery): Vulnerability[] {
    const errors: ErrorMap = {}
    const limit = absent(query.limit) ? 50 : toInt(query.limit)
    if (limit === undefined || limit < 0 || limit > 1000)
      errors.limit = { error: ERR_RANGE, value: query.limit }
    const offset = absent(query.offset) ? 0 : toInt(query.offset)
    if (offset === undefined || offset < 0) errors.offset = { error: ERR_RANGE, value: query.offset }
    const filter = query.filter ?? {}
    if (typeof filter !== 'object' || Array.isArray(filter))
      errors.filter = { error: ERR_INVALID, value: filter }
    let ids: number[] | null | undefined
    const raw = (filter as { testrun_id?: unknown }).testrun_id
    if (raw === undefined) ids = undefined
    else if (raw === null) ids = null
    else {
      const list = (Array.isArray(raw) ? raw : [raw]).map(toInt)
      if (list.some((x) => x === undefined)) errors.testrun_id = { error: ERR_INVALID, value: raw }
      ids = list.filter((x): x is number => x !== undefined)
    }
    if (Object.keys(errors).length > 0 || limit === undefined || offset === undefined) {
      throw new FastApiError(400, errors)
    }
    if (ids === null) return []
    const now = this.clock()
    const all: Vulnerability[] = []
    for (const run of this.runs.values()) {
      if (ids !== undefined && !ids.includes(run.id)) continue
      for (const f of this.evaluate(run, now).found)
        all.push(vulnerabilityObject(run.id, f.rb.baseline, f.vuln.id, f.vuln.spec, f.foundAt))
    }
    all.sort((a, b) => a.id - b.id)
    if (toBool(query.order_desc) === true) all.reverse()
    return all.slice(offset, offset + limit)
  }

  /** E7 as a token sees it: authenticated, and 403 for tokens in `vulnReadDenied` (spec §6.10 gap). */
  listVulnsAs(token: string | undefined, query: VulnQuery): Vulnerability[] {
    const node = this.authenticate(token)
    if (this.vulnReadDenied.has(node.token)) throw new FastApiError(403, 'Access denied')
    return this.listVulns(query)
  }

  // --- introspection ---------------------------------------------------------------------------------

  /** Everything, for `GET /__emulator/state`. */
  dump(): unknown {
    const now = this.clock()
    return {
      now,
      nodes: [...this.nodes.values()].map((n) => ({
        id: n.id,
        token: n.token,
        current_run_id: n.currentRunId,
        node_attached: n.session !== null
      })),
      records: [...this.records.values()].map((r) => {
        const creator = this.runs.get(r.creatorRunId)
        return {
          id: r.id,
          name: r.name,
          created_by_test_run_id: r.creatorRunId,
          recording: creator ? this.evaluate(creator, now).recording : false,
          baselines: r.baselines.map((b) => ({ id: b.id, seq: b.seq, method: b.method, url: b.url }))
        }
      }),
      runs: [...this.runs.values()].map((r) => ({ ...this.snapshot(r, now), token: r.token, kind: r.kind }))
    }
  }

  /** The run ids in creation order. */
  runIds(): number[] {
    return [...this.runs.keys()]
  }

  // ---------------------------------------------------------------------------------------------------
  // Internals

  private ownRun(token: string | undefined, id: number): StoredRun {
    const node = this.authenticate(token)
    const run = this.runs.get(id)
    if (!run || run.token !== node.token)
      throw new FastApiError(404, { error: 'test run not found', value: id })
    return run
  }

  private mustRun(id: number): StoredRun {
    const run = this.runs.get(id)
    if (!run) throw new FastApiError(404, { error: 'test run not found', value: id })
    return run
  }

  /** Spec §3.2 rule 6 / §4.3: a new run on a node interrupts the node's current non-terminal run. */
  private preempt(node: Node, now: number): void {
    const current = node.currentRunId === null ? undefined : this.runs.get(node.currentRunId)
    if (current && this.evaluate(current, now).terminalAt === null) this.markInterrupted(current, now)
  }

  private markInterrupted(run: StoredRun, now: number): void {
    run.interruptedAt = now
    const open = run.pauses.at(-1)
    if (open && open.end === null) open.end = now
  }

  private validateName(params: Record<string, unknown>, errors: ErrorMap): string {
    const name = params.name
    if (absent(name)) errors.name = { error: ERR_REQUIRED, value: sent(name) }
    else if (typeof name !== 'string' || name.trim() === '') errors.name = { error: ERR_INVALID, value: name }
    return typeof name === 'string' ? name : ''
  }

  private validateSettings(params: Record<string, unknown>, errors: ErrorMap, isCreate: boolean): Settings {
    const int = (key: string, min: number, max: number): number | null => {
      const raw = params[key]
      // An explicit null means "unlimited" / "default" (spec §E1: rps and rps_per_baseline are int or null).
      if (absent(raw)) return null
      const n = toInt(raw)
      if (n === undefined) errors[key] = { error: ERR_INVALID, value: raw }
      else if (n < min || n > max) errors[key] = { error: ERR_RANGE, value: raw }
      else return n
      return null
    }
    const bool = (key: string, dflt: boolean): boolean => {
      const raw = params[key]
      if (absent(raw)) return dflt
      const b = toBool(raw)
      if (b === undefined) errors[key] = { error: ERR_INVALID, value: raw }
      return b ?? dflt
    }
    const rps = int('rps', 1, 1000)
    const rpsPerBaseline = int('rps_per_baseline', 1, 500)
    // policy_id: any positive integer is accepted; the emulator has no policy registry.
    const policyId = int('policy_id', 1, Number.MAX_SAFE_INTEGER)
    const inactivity = isCreate ? int('inactivity_timeout', 300, 86400) : null
    const exclude = params.file_extensions_to_exclude
    let excludeStr = ''
    if (!absent(exclude)) {
      if (typeof exclude !== 'string')
        errors.file_extensions_to_exclude = { error: ERR_INVALID, value: exclude }
      else {
        try {
          extensionMatcher(exclude)
          excludeStr = exclude
        } catch {
          errors.file_extensions_to_exclude = { error: ERR_INVALID, value: exclude }
        }
      }
    }
    if (!absent(params.desc) && typeof params.desc !== 'string') {
      errors.desc = { error: ERR_INVALID, value: params.desc }
    }
    return {
      policy_id: policyId,
      rps,
      rps_per_baseline: rpsPerBaseline,
      inactivity_timeout: inactivity ?? 1800,
      stop_on_first_fail: bool('stop_on_first_fail', false),
      skip_duplicated_baselines: isCreate ? bool('skip_duplicated_baselines', true) : true,
      file_extensions_to_exclude: excludeStr
    }
  }

  private newRun(
    id: number,
    node: Node,
    kind: 'record' | 'copy',
    name: string,
    params: Record<string, unknown>,
    recordId: number,
    settings: Settings,
    now: number
  ): StoredRun {
    // Sequential checks (one baseline at a time, in order), so rps and rps_per_baseline cap the same rate.
    const rate = Math.min(NODE_RATE, settings.rps ?? Infinity, settings.rps_per_baseline ?? Infinity)
    return {
      id,
      token: node.token,
      nodeId: node.id,
      kind,
      name,
      desc: typeof params.desc === 'string' ? params.desc : '',
      recordId,
      settings,
      createdAt: now,
      readyAt: now,
      cloningEnd: now,
      stopRequestedAt: null,
      interruptedAt: null,
      pauses: [],
      baselines: [],
      excludeMatcher: extensionMatcher(settings.file_extensions_to_exclude),
      testedKeys: new Set(),
      rate,
      driven: node.session !== null || !this.simulatedNodes,
      sends: []
    }
  }

  /**
   * Adds a baseline to a run's test queue. Baselines whose path has an excluded extension, and duplicates
   * (same method, URL and body as an earlier tested baseline of this run) when skip_duplicated_baselines
   * is on, are kept in the record but not tested. They count in baseline_count (spec §6.1 Q16: the node
   * numbers duplicates, "The baseline #N is duplicated…") and in no baseline_check_* counter; the
   * emulator's own counters baseline_skipped_duplicate_count / _excluded_count say how many, so
   * baseline_count = all_terminated + running + waiting + skipped. They still restart the inactivity
   * timer, since the node did receive traffic.
   */
  private addRunBaseline(run: StoredRun, baseline: StoredBaseline, now: number): RunBaseline {
    let skipped: RunBaseline['skipped'] = null
    if (run.excludeMatcher?.(baseline.path)) skipped = 'excluded'
    else if (run.settings.skip_duplicated_baselines) {
      const key = `${baseline.method} ${baseline.url}\n${baseline.body}`
      if (run.testedKeys.has(key)) skipped = 'duplicate'
      else run.testedKeys.add(key)
    }
    let vuln: PlannedVuln | null = null
    // A real node decides from the target's answers (nodeReport); only the simulated one uses the rule.
    if (skipped === null && !run.driven) {
      const spec = this.vulnRule({
        method: baseline.method,
        url: baseline.url,
        host: baseline.host,
        path: baseline.path,
        query: baseline.query,
        body: baseline.body
      })
      // Ids are allocated now so they never change when read; they are exposed only once found.
      if (spec) vuln = { id: this.nextVulnId++, spec }
    }
    const rb: RunBaseline = {
      baseline,
      arrivedAt: now,
      skipped,
      planned: plannedRequestsFor(baseline),
      vuln,
      check: { status: 'waiting', startedAt: null, endedAt: null, planned: 0, found: [] }
    }
    run.baselines.push(rb)
    return rb
  }

  /** Clock time minus the time spent paused up to t. */
  private eff(run: StoredRun, t: number): number {
    let paused = 0
    for (const p of run.pauses) {
      if (p.start >= t) break
      paused += Math.min(t, p.end ?? Infinity) - p.start
    }
    return t - paused
  }

  /** The first clock time (outside any pause) at which the run's effective time reaches e. */
  private wallAt(run: StoredRun, e: number): number {
    let t = e
    for (const p of run.pauses) {
      if (p.start > t) break
      if (p.end === null) return Infinity
      t += p.end - p.start
    }
    return t
  }

  private msPerRequest(run: StoredRun): number {
    return this.scaled(1000 / run.rate)
  }

  /** The check schedule of the tested baselines: one at a time, in arrival order. */
  private schedule(run: StoredRun): ScheduledCheck[] {
    const per = this.msPerRequest(run)
    const testingStartE = this.eff(run, run.kind === 'copy' ? run.cloningEnd : run.readyAt)
    let prevEnd = -Infinity
    const out: ScheduledCheck[] = []
    for (const rb of run.baselines) {
      if (rb.skipped !== null) continue
      const startE = Math.max(this.eff(run, rb.arrivedAt), prevEnd, testingStartE)
      const endE = startE + rb.planned * per
      out.push({ rb, startE, endE })
      prevEnd = endE
    }
    return out
  }

  /** When recording ends by itself or by stop: the inactivity timer runs from the last baseline, or
   * from creation when none arrived (spec §3.2 rule 3, §6.12: "probably does"). It runs on the clock and
   * is not frozen by a pause (§6.12 gap: a pause only freezes testing). */
  private recordingEndsAt(run: StoredRun): number {
    if (run.kind === 'copy') return run.createdAt
    const last = run.baselines.at(-1)?.arrivedAt ?? run.createdAt
    const inactivity = last + this.scaled(run.settings.inactivity_timeout * 1000)
    return Math.min(inactivity, run.stopRequestedAt ?? Infinity)
  }

  private sentAt(run: StoredRun, sched: ScheduledCheck[], tE: number): number {
    const per = this.msPerRequest(run)
    let n = 0
    for (const c of sched) {
      if (tE <= c.startE) continue
      n += per <= 0 ? c.rb.planned : Math.min(c.rb.planned, Math.floor((tE - c.startE) / per))
    }
    return n
  }

  private evaluate(run: StoredRun, now: number): Evaluation {
    const ev = run.driven ? this.evaluateReported(run, now) : this.evaluateSimulated(run, now)
    for (const rb of run.baselines) {
      if (rb.arrivedAt > (ev.terminalAt ?? now)) continue
      if (rb.skipped === 'duplicate') ev.counts.duplicate++
      else if (rb.skipped === 'excluded') ev.counts.excluded++
    }
    return ev
  }

  /** The simulated node: checks run one after another on the clock, and the vuln rule decides. */
  private evaluateSimulated(run: StoredRun, now: number): Evaluation {
    const sched = this.schedule(run)
    const anyVuln = sched.some((c) => c.rb.vuln !== null)

    // When does the run end, and how?
    const candidates: { at: number; state: RunState }[] = []
    if (run.settings.stop_on_first_fail) {
      // Spec §3.2: "failed" at the first vulnerability, found when that baseline's check completes.
      const first = sched.find((c) => c.rb.vuln !== null)
      if (first) candidates.push({ at: this.wallAt(run, first.endE), state: 'failed' })
    }
    const recEnd = this.recordingEndsAt(run)
    const lastEndE = sched.at(-1)?.endE ?? -Infinity
    const testingStartE = this.eff(run, run.kind === 'copy' ? run.cloningEnd : run.createdAt)
    // Natural end: recording over AND nothing waiting or running (spec §3.2 rules 2 and 4). A run that
    // stops recording with zero baselines ends `passed` (spec §6.4 gap: no vulnerability was found).
    const naturalAt = this.wallAt(run, Math.max(this.eff(run, recEnd), lastEndE, testingStartE))
    candidates.push({ at: naturalAt, state: anyVuln ? 'failed' : 'passed' })
    const terminal = this.firstTerminal(run, candidates, now)

    const s = terminal ? terminal.at : now
    const sE = this.eff(run, s)
    const counts = newCounts()
    const found: Evaluation['found'] = []
    let planned = 0
    for (const c of sched) {
      if (c.rb.arrivedAt > s) continue
      counts.total++
      planned += c.rb.planned
      if (c.endE <= sE) {
        if (c.rb.vuln) {
          counts.fail++
          found.push({ rb: c.rb, vuln: c.rb.vuln, foundAt: this.wallAt(run, c.endE) })
        } else counts.passed++
      } else if (terminal) counts.interrupted++
      else if (c.startE <= sE) counts.running++
      else counts.waiting++
    }
    const sentAt = (t: number): number => this.sentAt(run, sched, this.eff(run, t))
    return this.finish(run, now, terminal, counts, sentAt, planned, found, recEnd)
  }

  /**
   * A run tested by a real node (emulator/node/): the counters are what the node reported. It ends when
   * recording is over and every tested baseline's check is done, `failed` when a finding was reported;
   * with stop_on_first_fail at the first finding. Technical failures alone end it `passed` with
   * baseline_check_tech_fail_count > 0 (spec §6.1 Q4: tech_fail is a counter, never a state).
   */
  private evaluateReported(run: StoredRun, now: number): Evaluation {
    const tested = run.baselines.filter((rb) => rb.skipped === null)
    const findings = tested.flatMap((rb) => rb.check.found.map((f) => ({ rb, ...f })))
    const candidates: { at: number; state: RunState }[] = []
    if (run.settings.stop_on_first_fail && findings.length > 0) {
      candidates.push({ at: Math.min(...findings.map((f) => f.foundAt)), state: 'failed' })
    }
    const recEnd = this.recordingEndsAt(run)
    const open = tested.some((rb) => rb.check.endedAt === null)
    if (!open && run.readyAt !== Infinity) {
      const lastEnd = Math.max(recEnd, run.readyAt, ...tested.map((rb) => rb.check.endedAt ?? 0))
      candidates.push({ at: lastEnd, state: findings.length > 0 ? 'failed' : 'passed' })
    }
    const terminal = this.firstTerminal(run, candidates, now)
    const s = terminal ? terminal.at : now
    const counts = newCounts()
    let planned = 0
    for (const rb of tested) {
      if (rb.arrivedAt > s) continue
      counts.total++
      const c = rb.check
      if (c.startedAt !== null && c.startedAt <= s) planned += c.planned
      const status =
        c.endedAt !== null && c.endedAt <= s
          ? c.status
          : c.startedAt !== null && c.startedAt <= s
            ? 'running'
            : 'waiting'
      if (status === 'passed') counts.passed++
      else if (status === 'failed') counts.fail++
      else if (status === 'tech_fail') counts.techFail++
      else if (terminal) counts.interrupted++
      else if (status === 'running') counts.running++
      else counts.waiting++
    }
    const found = findings.filter((f) => f.foundAt <= s)
    const sentAt = (t: number): number => run.sends.reduce((n, x) => (x.at <= t ? n + x.n : n), 0)
    return this.finish(run, now, terminal, counts, sentAt, planned, found, recEnd)
  }

  private firstTerminal(
    run: StoredRun,
    candidates: { at: number; state: RunState }[],
    now: number
  ): { at: number; state: RunState } | null {
    if (run.interruptedAt !== null) candidates.push({ at: run.interruptedAt, state: 'interrupted' })
    let terminal: { at: number; state: RunState } | null = null
    for (const c of candidates) if (c.at <= now && (terminal === null || c.at < terminal.at)) terminal = c
    return terminal
  }

  /** State, rates and ETA, common to both kinds of node. */
  private finish(
    run: StoredRun,
    now: number,
    terminal: { at: number; state: RunState } | null,
    counts: Evaluation['counts'],
    sentAt: (t: number) => number,
    planned: number,
    found: Evaluation['found'],
    recEnd: number
  ): Evaluation {
    const s = terminal ? terminal.at : now
    const sentCount = sentAt(s)
    const domains = new Set<string>()
    for (const rb of run.baselines) if (rb.arrivedAt <= s) domains.add(rb.baseline.host)

    let state: RunState
    if (terminal) state = terminal.state
    else if (run.kind === 'copy' && now < run.cloningEnd) state = 'cloning'
    else if (run.pauses.some((p) => p.start <= now && (p.end === null || now < p.end))) state = 'paused'
    else state = 'running'

    // Rates: null during the first 10 (emulated) s and whenever the state is not running (spec §2.T);
    // avg_rps is also given for a finished run, over end_time − start_time (spec §6.1).
    let currentRps: number | null = null
    let avgRps: number | null = null
    let eta: number | null = null
    const window = this.scaled(RATE_WINDOW_MS)
    if (state === 'running' && now - run.createdAt >= window) {
      currentRps = round2((sentCount - sentAt(now - window)) / (window / 1000))
      avgRps = round2(sentCount / ((now - run.createdAt) / 1000))
      eta = this.estimate(planned, sentCount, currentRps)
    } else if (terminal && terminal.at > run.createdAt) {
      avgRps = round2(sentCount / ((terminal.at - run.createdAt) / 1000))
    }

    const recording = terminal === null && now < recEnd
    const readyAt = run.kind === 'copy' ? Math.max(run.cloningEnd, run.readyAt) : run.readyAt
    return {
      state,
      terminalAt: terminal ? terminal.at : null,
      recording,
      ready: Math.min(now, terminal?.at ?? Infinity) >= readyAt,
      counts,
      sent: sentCount,
      planned,
      currentRps,
      avgRps,
      eta,
      found,
      domains: [...domains]
    }
  }

  /**
   * Seconds to completion under the model's ETA reading (see ModelOptions.eta). `planned` is
   * cumulative (every test request planned so far, sent or not). Rounded up.
   */
  private estimate(planned: number, sent: number, currentRps: number): number | null {
    if (this.eta === 'absent' || !(currentRps > 0)) return null
    const requests = this.eta === 'queued' ? planned : Math.max(0, planned - sent)
    return Math.ceil(requests / currentRps)
  }

  private allowedActions(run: StoredRun, ev: Evaluation): string[] {
    // Values undocumented (spec §6.1); these names are the emulator's choice.
    if (ev.terminalAt !== null) return []
    if (ev.state === 'cloning') return ['interrupt']
    const actions = ev.state === 'paused' ? ['continue', 'interrupt'] : ['pause', 'interrupt']
    if (ev.recording) actions.push('stop_recording')
    return actions
  }

  private snapshot(run: StoredRun, now: number): TestRun {
    const ev = this.evaluate(run, now)
    const vulns: VulnSummary[] = ev.found.map((f) => ({
      id: f.vuln.id,
      threat: f.vuln.spec.threat,
      code: f.vuln.spec.code ?? '',
      type: f.vuln.spec.type
    }))
    const c = ev.counts
    const allTerminated = c.passed + c.fail + c.techFail + c.interrupted
    const body: TestRun = {
      id: run.id,
      name: run.name,
      desc: run.desc,
      clientid: CLIENT_ID,
      state: ev.state,
      // simple_state: values undocumented (spec §6.3); equals state as in the only example.
      simple_state: ev.state,
      allowed_actions: this.allowedActions(run, ev),
      test_record_id: run.recordId,
      recording: ev.recording,
      // A copy never records: ready_for_recording stays false for it (spec §6.5 gap).
      ready_for_recording: run.kind === 'record' && ev.ready,
      node_active: ev.ready,
      node_id: run.nodeId,
      policy_id: run.settings.policy_id ?? DEFAULT_POLICY_ID,
      policy_name: run.settings.policy_id === null ? 'Default Policy' : `Policy #${run.settings.policy_id}`,
      vulns,
      baseline_count: allTerminated + c.running + c.waiting + c.duplicate + c.excluded,
      baseline_check_all_terminated_count: allTerminated,
      baseline_check_fail_count: c.fail,
      baseline_check_tech_fail_count: c.techFail,
      baseline_check_passed_count: c.passed,
      baseline_check_running_count: c.running,
      baseline_check_interrupted_count: c.interrupted,
      baseline_check_waiting_count: c.waiting,
      finished_checks_count: allTerminated,
      sended_requests_count: ev.sent,
      // Cumulative: every test request planned for the baselines so far, sent or not. The docs' finished
      // example shows planing == sended (70/70), which a "remaining" count would not (spec §E3).
      planing_requests_count: ev.planned,
      current_rps: ev.currentRps,
      avg_rps: ev.avgRps,
      estimated_time_to_completion: ev.eta,
      start_time: seconds(run.createdAt),
      end_time: ev.terminalAt === null ? null : seconds(ev.terminalAt),
      domains: ev.domains,
      rps: run.settings.rps,
      rps_per_baseline: run.settings.rps_per_baseline,
      inactivity_timeout: run.kind === 'record' ? run.settings.inactivity_timeout : null,
      stop_on_first_fail: run.settings.stop_on_first_fail,
      skip_duplicated_baselines: run.settings.skip_duplicated_baselines,
      file_extensions_to_exclude: run.settings.file_extensions_to_exclude,
      type: 'node',
      baseline_skipped_duplicate_count: c.duplicate,
      baseline_skipped_excluded_count: c.excluded
    }
    if (this.omitReadyForRecording) delete body.ready_for_recording
    return body
  }
}
