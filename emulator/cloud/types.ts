/**
 * The types every part of the emulated cloud shares, below all of them: what the model takes and answers
 * (its options, the proxy's baselines, the real node's link, the E7 query, its error) and what it stores
 * (nodes, records, runs and their baselines) and computes from that (an `Evaluation` of a run at a moment).
 * The stored shapes are the model's own: nothing outside emulator/cloud/ reads them.
 */
import type { WireTestRun as TestRun } from '../wire.js'

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
  /**
   * false: `POST /v1/objects/vuln` answers 403 to every node token, as the real cloud may (spec §E7: the
   * docs' only example reads it with an API token). Default true.
   */
  nodeTokensReadVulns?: boolean
  /**
   * The account's API tokens (console: Settings → API tokens, spec §1.2), with read access to
   * vulnerabilities: accepted by `POST /v1/objects/vuln` (and `POST /v1/user`) only. A test run needs a
   * node token: whether an API token may drive one is a gap (spec §6.7), so they are refused there.
   */
  apiTokens?: string[]
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

export type CheckStatus = 'waiting' | 'running' | 'passed' | 'failed' | 'tech_fail'

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
  /** The field to order by (spec §E7, wallarm-go): one of VULN_ORDER_FIELDS; default `id`. */
  order_by?: string
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

/** What evaluating a run needs of the model's options (FastModel satisfies it). */
export interface EvalContext {
  /** Multiplies every emulated duration (ModelOptions.timeScale). */
  readonly timeScale: number
  readonly eta: EtaReading
}

// ---------------------------------------------------------------------------------------------------
// What the model stores

export interface Node {
  id: number
  token: string
  currentRunId: number | null
  /** The real node process attached to this token (its session id), if any. */
  session: string | null
}

export interface StoredBaseline {
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

export interface StoredRecord {
  id: number
  name: string
  createdAt: number
  creatorRunId: number
  baselines: StoredBaseline[]
}

export interface PlannedVuln {
  id: number
  spec: EmulatedVuln
}

export interface RunBaseline {
  baseline: StoredBaseline
  arrivedAt: number
  skipped: 'excluded' | 'duplicate' | null
  planned: number
  vuln: PlannedVuln | null
  /** Runs tested by a real node: what the node reported about this baseline's check. */
  check: ReportedCheck
}

export interface ReportedCheck {
  status: CheckStatus
  startedAt: number | null
  endedAt: number | null
  planned: number
  found: { vuln: PlannedVuln; foundAt: number }[]
}

export interface Settings {
  policy_id: number | null
  rps: number | null
  rps_per_baseline: number | null
  inactivity_timeout: number
  stop_on_first_fail: boolean
  skip_duplicated_baselines: boolean
  file_extensions_to_exclude: string
}

export interface StoredRun {
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

export type RunState = TestRun['state']

export interface Evaluation {
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
