/**
 * The Wallarm FAST test-run API as this project sees it. Field names are the API's own, misspellings included (`sended_requests_count`).
 * The client normalises what it receives into these shapes: ids become their exact decimal text, missing counters
 * become 0, missing lists become [], and fields it does not know are kept as they came.
 */

/**
 * A test run's or test record's id: its exact decimal text as the API sent it (ids above 2^53 do not
 * survive a double). `''` where a field is unknown.
 */
export type Id = string

/** A test run's state. Values outside the documented set are passed through as strings. */
export type TestRunState = 'cloning' | 'running' | 'paused' | 'interrupted' | 'passed' | 'failed'

export const TERMINAL_STATES: readonly string[] = ['passed', 'failed', 'interrupted']

export function isTerminalState(state: string): boolean {
  return TERMINAL_STATES.includes(state)
}

/** A finding as the test run lists it (its `vulns[]`). `threat` is 1..100, higher is worse. */
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

/** The test-run object (`GET /v1/test_run/{id}`) as the client hands it over, its ids as exact decimal text. */
export type TestRun = TestRunOf<Id>

/** The test-run object as the API sends it, its ids JSON numbers (the emulator builds these). */
export type ApiTestRun = TestRunOf<number>

/** The test-run object, with ids of type `I`. */
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
  /** Absent in old API versions : then `node_active` is the readiness signal. */
  ready_for_recording?: boolean | undefined
  node_active?: boolean | undefined
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

/** `POST /v1/test_run`. Optional fields left undefined are not sent. */
export interface CreateTestRunParams {
  name: string
  desc?: string | undefined
  test_record_name?: string | undefined
  policy_id?: number | undefined
  rps?: number | undefined
  rps_per_baseline?: number | undefined
  inactivity_timeout?: number | undefined
  stop_on_first_fail?: boolean | undefined
  skip_duplicated_baselines?: boolean | undefined
  file_extensions_to_exclude?: string | undefined
}

/** `POST /v1/test_run` with `test_record_id`: a copy of a test record. */
export interface CopyTestRunParams {
  name: string
  test_record_id: Id | number
  desc?: string | undefined
  policy_id?: number | undefined
  rps?: number | undefined
  rps_per_baseline?: number | undefined
  stop_on_first_fail?: boolean | undefined
  file_extensions_to_exclude?: string | undefined
}

/** A full vulnerability object from `POST /v1/objects/vuln`. Only id, type and threat are sure. */
export type Vulnerability = VulnerabilityOf<Id>
/** A full vulnerability object as the API sends it, its id a JSON number. */
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
