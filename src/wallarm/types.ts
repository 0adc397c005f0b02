/**
 * The Wallarm FAST test-run API as this project sees it (see ../shared/reference/wallarm-fast-api.md,
 * sections 2 and 3). Field names are the API's own, misspellings included (`sended_requests_count`).
 * The client normalises what it receives into these shapes: ids become their exact decimal text, missing counters
 * become 0, missing lists become [], and fields it does not know are kept as they came.
 */

/**
 * A test run's or test record's id: its exact decimal text as the API sent it (ids above 2^53 do not
 * survive a double). `''` where a field is unknown.
 */
export type Id = string

/** §3.1. Values outside the documented set are passed through as strings. */
export type TestRunState = 'cloning' | 'running' | 'paused' | 'interrupted' | 'passed' | 'failed'

export const TERMINAL_STATES: readonly string[] = ['passed', 'failed', 'interrupted']

export function isTerminalState(state: string): boolean {
  return TERMINAL_STATES.includes(state)
}

/** A finding as the test run lists it (§E3 `vulns[]`). `threat` is 1..100, higher is worse. */
export type VulnSummary = VulnSummaryOf<Id>
/** A finding of `vulns[]` as the API sends it, its id a JSON number. */
export type ApiVulnSummary = VulnSummaryOf<number>

export interface VulnSummaryOf<I extends Id | number> {
  /** `''` (client side) when the API gave none. */
  id: I
  threat: number
  code: string
  type: string
}

/** §2.T: the test-run object as the client hands it over, its ids as exact decimal text. */
export type TestRun = TestRunOf<Id>

/** §2.T: the test-run object as the API sends it, its ids JSON numbers (the emulator builds these). */
export type ApiTestRun = TestRunOf<number>

/** §2.T, with ids of type `I`. */
export interface TestRunOf<I extends Id | number> {
  id: I
  name: string
  desc: string
  clientid?: number
  state: TestRunState | (string & {})
  simple_state?: string
  allowed_actions: string[]
  test_record_id: I
  recording: boolean
  /** Absent in old API versions (§E3): then `node_active` is the readiness signal. */
  ready_for_recording?: boolean
  node_active?: boolean
  policy_id?: number
  policy_name?: string
  vulns: VulnSummaryOf<I>[]
  baseline_count: number
  baseline_check_all_terminated_count: number
  baseline_check_fail_count: number
  baseline_check_tech_fail_count: number
  baseline_check_passed_count: number
  baseline_check_running_count: number
  baseline_check_interrupted_count: number
  baseline_check_waiting_count: number
  finished_checks_count?: number
  sended_requests_count: number
  planing_requests_count: number
  current_rps: number | null
  avg_rps: number | null
  /** Seconds; null while no checks run yet or when the state is not `running`. */
  estimated_time_to_completion: number | null
  /** UNIX seconds. */
  start_time: number | null
  end_time: number | null
  domains: string[]
  /** Fields the API sent that this type does not name. */
  [extra: string]: unknown
}

/** §E1. Optional fields left undefined are not sent. */
export interface CreateTestRunParams {
  name: string
  desc?: string
  test_record_name?: string
  policy_id?: number
  rps?: number
  rps_per_baseline?: number
  inactivity_timeout?: number
  stop_on_first_fail?: boolean
  skip_duplicated_baselines?: boolean
  file_extensions_to_exclude?: string
}

/** §E2. */
export interface CopyTestRunParams {
  name: string
  test_record_id: Id | number
  desc?: string
  policy_id?: number
  rps?: number
  rps_per_baseline?: number
  stop_on_first_fail?: boolean
  file_extensions_to_exclude?: string
}

/** §E7: a full vulnerability object from `POST /v1/objects/vuln`. Only id, type and threat are sure. */
export type Vulnerability = VulnerabilityOf<Id>
/** §E7 as the API sends it, its id a JSON number. */
export type ApiVulnerability = VulnerabilityOf<number>

export interface VulnerabilityOf<I extends Id | number> {
  /** `''` (client side) when the API gave none. */
  id: I
  type: string
  threat: number
  code?: string
  wid?: number
  status?: string
  testrun_id?: number | null
  method?: string
  domain?: string
  path?: string
  parameter?: string
  title?: string
  description?: string
  additional?: string
  exploit_example?: string
  template?: string
  [extra: string]: unknown
}
