/**
 * The Wallarm FAST API's wire shapes as the emulator SENDS them, written from the spec
 * (/work/shared/reference/wallarm-fast-api.md §2.T, §E3, §E7), not copied from the action's client.
 * The emulator keeps its own copy on purpose: if the client's types (src/wallarm/types.ts) drift from
 * the API, the client is tested against these shapes and the mistake shows, instead of being mirrored
 * on both sides.
 */

/** §E3 `vulns[]`: a finding as the test run lists it. */
export interface WireVulnSummary {
  id: number
  threat: number
  code: string
  type: string
}

/** §2.T: the test-run object, every field the spec knows, plus the rps settings (§2.T extras [I]). */
export interface WireTestRun {
  id: number
  name: string
  desc: string
  clientid: number
  state: 'cloning' | 'running' | 'paused' | 'interrupted' | 'passed' | 'failed'
  simple_state: string
  allowed_actions: string[]
  test_record_id: number
  recording: boolean
  /** Deleted when emulating old API versions (§E3). */
  ready_for_recording?: boolean
  node_active: boolean
  node_id: number
  policy_id: number
  policy_name: string
  vulns: WireVulnSummary[]
  baseline_count: number
  baseline_check_all_terminated_count: number
  baseline_check_fail_count: number
  baseline_check_tech_fail_count: number
  baseline_check_passed_count: number
  baseline_check_running_count: number
  baseline_check_interrupted_count: number
  baseline_check_waiting_count: number
  finished_checks_count: number
  sended_requests_count: number
  planing_requests_count: number
  current_rps: number | null
  avg_rps: number | null
  estimated_time_to_completion: number | null
  start_time: number
  end_time: number | null
  domains: string[]
  rps: number | null
  rps_per_baseline: number | null
  inactivity_timeout: number | null
  stop_on_first_fail: boolean
  skip_duplicated_baselines: boolean
  file_extensions_to_exclude: string
  type: string
  // No skipped-baseline counter: the API has none (§2.T: skipped baselines are simply missing from the
  // check counters). The emulator's own figures are in `GET /__emulator/state` (FastModel.dump()).
}

/** §E7: a full vulnerability object (fields from wallarm-go `get_vulns.go`). */
export interface WireVulnerability {
  id: number
  /** A string in Wallarm's own clients (spec §6.1 Q9). */
  wid: string
  code: string
  template: string
  status: 'active' | 'closed' | 'falsepositive'
  target: string
  type: string
  threat: number
  clientid: number
  testrun_id: number | null
  ticket_status: string | null
  ticket_history: unknown[]
  method: string
  domain: string
  path: string
  parameter: string
  title: string
  description: string
  additional: string
  exploit_example: string
  filter: unknown[]
  validated: boolean
  hidden: boolean
  detection_method: string
  vuln_recheck_type: string | null
  template_params: {
    method: string
    domain: string
    path: string
    parameter: string
    exploit_example: string
  }
  validate_time: number
  invalidate_time: number | null
  last_check: number
  incidents: unknown[]
}
