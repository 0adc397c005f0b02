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
 * - `listVulnsAs(token, query)`      E7 for a token: an API token, or a node token unless refused there.
 * - `account(token)`                 E8's who-am-I, for a node or an API token.
 * - `peekTestRun(id)`                the test-run object without any token check (control endpoints).
 * - `dump()`                         everything, for `GET /__emulator/state`.
 * Errors are thrown as `FastApiError(status, body)`; `body` is what goes into the envelope.
 *
 * This file holds the cloud's state (tokens and their nodes, records, runs, ids) and what each endpoint
 * does to it. The rest of emulator/cloud/: `types.ts` (the shared types, below everything), `params.ts`
 * (reading E1/E2 parameters and the E7 query), `simulated-node.ts` (the node that tests on the clock),
 * `reported-checks.ts` (a real node's reports: its checks, events and counters), `run-progress.ts` (what
 * both share: recording's end, the ending, state, rates, ETA), `test-run.ts` (a run's evaluation and its
 * E3 object) and `vuln-object.ts` (the E7 object).
 */
import {
  ERR_EMPTY_RECORD,
  ERR_INVALID,
  ERR_NOT_FOUND,
  ERR_NOT_READY_FOR_CLONING,
  absent,
  extensionMatcher,
  parseVulnQuery,
  type VulnStatus,
  sent,
  toInt,
  validateName,
  validateSettings,
  type ErrorMap
} from './params.js'
import { absoluteTarget } from '../request-target.js'
import { applyReport, nodeChecks } from './reported-checks.js'
import { scaled } from './run-progress.js'
import { defaultVulnRule, nodeRate, plannedRequestsFor } from './simulated-node.js'
import { evaluateRun, testRunObject } from './test-run.js'
import {
  ETA_READINGS,
  FastApiError,
  type BaselineInput,
  type CheckEvent,
  type EmulatedVuln,
  type EtaReading,
  type Evaluation,
  type ModelOptions,
  type Node,
  type NodeWork,
  type PlannedVuln,
  type RecordBaselineResult,
  type RunBaseline,
  type Settings,
  type StoredBaseline,
  type StoredRecord,
  type StoredRun,
  type VulnQuery,
  type VulnRuleInput
} from './types.js'
import { vulnerabilityObject } from './vuln-object.js'
import type { WireTestRun as TestRun, WireVulnerability as Vulnerability } from '../wire.js'

export const DEFAULT_TOKENS = ['fast-token-a']

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
  private readonly nodeTokensReadVulns: boolean
  private readonly apiTokens: Set<string>
  /** Vulnerability id → the status the console gave it (absent: `active`). */
  private readonly vulnStatuses = new Map<number, VulnStatus>()
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
    this.nodeTokensReadVulns = options.nodeTokensReadVulns ?? true
    this.apiTokens = new Set(options.apiTokens ?? [])
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
    return scaled(this, emulatedMs)
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
    const name = validateName(params, errors)
    const settings = validateSettings(params, errors, true)
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
    const name = validateName(params, errors)
    // The copy docs do not mention test_record_name, inactivity_timeout or skip_duplicated_baselines
    // (spec §E2 gap): they are ignored here, and duplicates are skipped as by default (true).
    const settings = validateSettings(params, errors, false)
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
    // The path and query as the node sent them, never normalised.
    const target = absoluteTarget(req.url)
    if (!target) return { recorded: false, reason: 'not_recording', runId: run.id }
    const baseline: StoredBaseline = {
      id: this.nextBaselineId++,
      seq: record.baselines.length + 1,
      method: req.method.toUpperCase(),
      url: req.url,
      host: target.host,
      path: target.pathname,
      query: target.query,
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
        checks: nodeChecks(run)
      }
    }
  }

  /** What the node did: checks started (with their planned requests), requests sent, checks done. */
  nodeReport(token: string | undefined, runId: number, events: CheckEvent[]): TestRun {
    const run = this.ownRun(token, runId)
    const now = this.clock()
    if (!run.driven) throw new FastApiError(409, 'this run is tested by the simulated node')
    if (this.evaluate(run, now).terminalAt !== null) return this.snapshot(run, now)
    applyReport(run, events, now, () => this.nextVulnId++)
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
   * ids; `null` means "not from FAST", which is nothing here), ordered by `order_by` (default id;
   * `order_desc` reverses); `offset` at most 1000 (spec §6.1).
   * Vulnerabilities belong to the account, so a token sees findings of every node's runs (plausible;
   * spec §6.10). `limit` must be 0..1000 (spec §E7, wallarm-go); when absent it defaults to 50 (a gap:
   * the default is undocumented). No token check: see `listVulnsAs`.
   */
  listVulns(query: VulnQuery): Vulnerability[] {
    const { limit, offset, orderBy, ids, statuses, orderDesc } = parseVulnQuery(query)
    if (ids === null) return []
    const all = this.allVulns(ids).filter((v) => statuses === undefined || statuses.includes(v.status))
    // Ties (a threat, a time) in id order, so that pages do not overlap.
    const key = (v: Vulnerability): number => Number(v[orderBy] ?? 0)
    all.sort((a, b) => key(a) - key(b) || a.id - b.id)
    if (orderDesc) all.reverse()
    return all.slice(offset, offset + limit)
  }

  /** Every vulnerability found so far (of these runs), with the status the console gave it. */
  private allVulns(runIds?: readonly number[]): Vulnerability[] {
    const now = this.clock()
    const all: Vulnerability[] = []
    for (const run of this.runs.values()) {
      if (runIds !== undefined && !runIds.includes(run.id)) continue
      for (const f of this.evaluate(run, now).found) {
        const v = vulnerabilityObject(run.id, f.rb.baseline, f.vuln.id, f.vuln.spec, f.foundAt)
        v.status = this.vulnStatuses.get(v.id) ?? v.status
        all.push(v)
      }
    }
    return all
  }

  /**
   * The console's triage of one vulnerability: `falsepositive`, `closed` or `active` again (what a
   * person does in the Wallarm console; `POST /__emulator/vulns/{id}/status` and the CLI reach it).
   * @throws FastApiError 404 for a vulnerability no run has found (yet)
   */
  setVulnStatus(vulnId: number, status: VulnStatus): Vulnerability {
    return this.setVulnStatuses([vulnId], status)[0]!
  }

  /** {@link setVulnStatus} for many at once (years of an account's triage, in a test). */
  setVulnStatuses(vulnIds: readonly number[], status: VulnStatus): Vulnerability[] {
    const all = new Map(this.allVulns().map((v) => [v.id, v]))
    const found = vulnIds.map((id) => {
      const v = all.get(id)
      if (v === undefined) throw new FastApiError(404, `vulnerability ${id} not found`)
      return v
    })
    for (const v of found) this.vulnStatuses.set(v.id, status)
    return found.map((v) => ({ ...v, status }))
  }

  /**
   * E7 as a token sees it: an API token of the account reads it; a node token reads it unless it is in
   * `vulnReadDenied` or `nodeTokensReadVulns` is false (403: spec §6.10, a gap); any other is the auth
   * failure.
   */
  listVulnsAs(token: string | undefined, query: VulnQuery): Vulnerability[] {
    if (token !== undefined && this.apiTokens.has(token)) return this.listVulns(query)
    const node = this.authenticate(token)
    if (!this.nodeTokensReadVulns || this.vulnReadDenied.has(node.token))
      throw new FastApiError(403, 'Access denied')
    return this.listVulns(query)
  }

  /** `POST /v1/user` (E8): a node token, or an API token of the account (its node id is null). */
  account(token: string | undefined): { id: number | null } {
    if (token !== undefined && this.apiTokens.has(token)) return { id: null }
    return { id: this.authenticate(token).id }
  }

  // --- introspection ---------------------------------------------------------------------------------

  /** Everything, for `GET /__emulator/state`: each run's E3 object, plus what the API does not say. */
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
      runs: [...this.runs.values()].map((r) => {
        const ev = this.evaluate(r, now)
        return {
          ...testRunObject(r, ev, this.omitReadyForRecording),
          token: r.token,
          kind: r.kind,
          // Not in the API's object (spec §2.T has no such counter): the emulator's own figures.
          skipped_baselines: { duplicate: ev.counts.duplicate, excluded: ev.counts.excluded }
        }
      })
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
      rate: nodeRate(settings),
      driven: node.session !== null || !this.simulatedNodes,
      sends: []
    }
  }

  /**
   * Adds a baseline to a run's test queue. Baselines whose path has an excluded extension, and duplicates
   * (same method, URL and body as an earlier tested baseline of this run) when skip_duplicated_baselines
   * is on, are kept in the record but not tested. They count in baseline_count (spec §6.1 Q16: the node
   * numbers duplicates, "The baseline #N is duplicated…") and in no baseline_check_* counter, so
   * baseline_count = all_terminated + running + waiting + skipped. The API says nothing of them (§2.T);
   * only dump() counts them, by cause. They still restart the inactivity timer, since the node did
   * receive traffic.
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

  private evaluate(run: StoredRun, now: number): Evaluation {
    return evaluateRun(this, run, now)
  }

  private snapshot(run: StoredRun, now: number): TestRun {
    return testRunObject(run, this.evaluate(run, now), this.omitReadyForRecording)
  }
}
