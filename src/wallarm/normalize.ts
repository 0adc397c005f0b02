/**
 * Turns what the API sent into the shapes of ./types.ts, without ever throwing on a missing or oddly typed
 * field: ids become their exact decimal text (./types.ts `Id`; `wid` and `policy_id` stay numbers),
 * counters numbers (numeric strings accepted: `"5080"` → 5080), missing counters
 * become 0, missing lists become [], known optional fields that are absent (or unusable) stay absent, and
 * fields this code does not know are kept as they came.
 *
 * Conventions for a required field that is missing: `name`/`desc`/`state` → `''`, `test_record_id` → `''`
 * (read: unknown), `recording` → false, rates/estimates/timestamps → null. Only the run's own `id` is
 * essential: `normalizeTestRun` returns undefined without it and the client reports an unusable response.
 */
import { isRecord } from '../common/json.js'
import type { Id, TestRun, VulnSummary, Vulnerability } from './types.js'

/** A finite number, from a number or a numeric string; undefined otherwise. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v)
  return undefined
}

/** An integer (a safe one), from a number or a string of digits; undefined otherwise. */
export function toInt(v: unknown): number | undefined {
  const n = toNumber(v)
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined
}

/** Ids are at most this many digits: longer digit strings are not ids. */
const MAX_ID_DIGITS = 40

/**
 * A positive id as its exact decimal text: from a safe integer, or from a string of digits (which is how
 * ./json.ts hands over integers too long for a double). Undefined otherwise.
 */
export function toId(v: unknown): Id | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? String(v) : undefined
  if (typeof v !== 'string') return undefined
  const m = /^\s*0*([1-9]\d*)\s*$/.exec(v)
  return m && m[1]!.length <= MAX_ID_DIGITS ? m[1] : undefined
}

/** A state is a short word; anything longer is cut, so that no output or line is flooded. */
const MAX_STATE_CHARS = 64

/** A boolean, from a boolean, `"true"`/`"false"` or 1/0; undefined otherwise. */
export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v
  if (v === 'true' || v === 1 || v === '1') return true
  if (v === 'false' || v === 0 || v === '0') return false
  return undefined
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str).filter((s): s is string => s !== undefined) : []
}

function numOrNull(v: unknown): number | null {
  return toNumber(v) ?? null
}

/** Sets `key` only when `value` is defined, otherwise removes it (so an unusable value is not kept). */
function setOptional<T extends object>(o: T, key: string, value: unknown): void {
  const rec = o as Record<string, unknown>
  if (value === undefined) delete rec[key]
  else rec[key] = value
}

const COUNTERS = [
  'baseline_count',
  'baseline_check_all_terminated_count',
  'baseline_check_fail_count',
  'baseline_check_tech_fail_count',
  'baseline_check_passed_count',
  'baseline_check_running_count',
  'baseline_check_interrupted_count',
  'baseline_check_waiting_count',
  'sended_requests_count',
  'planing_requests_count'
] as const

/** One item of a test run's `vulns[]`; non-objects are dropped, a missing id becomes `''`. */
export function normalizeVulnSummary(raw: unknown): VulnSummary | undefined {
  if (!isRecord(raw)) return undefined
  return {
    ...raw,
    id: toId(raw.id) ?? '',
    threat: toNumber(raw.threat) ?? 0,
    code: str(raw.code) ?? '',
    type: str(raw.type) ?? ''
  }
}

/** A test-run object; undefined when `raw` is not an object or has no usable `id`. */
export function normalizeTestRun(raw: unknown): TestRun | undefined {
  if (!isRecord(raw)) return undefined
  const id = toId(raw.id)
  if (id === undefined) return undefined
  const run: TestRun = {
    ...raw,
    id,
    name: str(raw.name) ?? '',
    desc: str(raw.desc) ?? '',
    state: (str(raw.state) ?? '').slice(0, MAX_STATE_CHARS),
    allowed_actions: strings(raw.allowed_actions),
    test_record_id: toId(raw.test_record_id) ?? '',
    recording: toBool(raw.recording) ?? false,
    vulns: Array.isArray(raw.vulns)
      ? raw.vulns.map(normalizeVulnSummary).filter((v): v is VulnSummary => v !== undefined)
      : [],
    baseline_count: 0,
    baseline_check_all_terminated_count: 0,
    baseline_check_fail_count: 0,
    baseline_check_tech_fail_count: 0,
    baseline_check_passed_count: 0,
    baseline_check_running_count: 0,
    baseline_check_interrupted_count: 0,
    baseline_check_waiting_count: 0,
    sended_requests_count: 0,
    planing_requests_count: 0,
    current_rps: numOrNull(raw.current_rps),
    avg_rps: numOrNull(raw.avg_rps),
    estimated_time_to_completion: numOrNull(raw.estimated_time_to_completion),
    start_time: numOrNull(raw.start_time),
    end_time: numOrNull(raw.end_time),
    domains: strings(raw.domains)
  }
  for (const c of COUNTERS) run[c] = toNumber(raw[c]) ?? 0
  if ('clientid' in raw) setOptional(run, 'clientid', toInt(raw.clientid))
  if ('policy_id' in raw) setOptional(run, 'policy_id', toInt(raw.policy_id))
  if ('finished_checks_count' in raw)
    setOptional(run, 'finished_checks_count', toNumber(raw.finished_checks_count))
  if ('simple_state' in raw) setOptional(run, 'simple_state', str(raw.simple_state))
  if ('policy_name' in raw) setOptional(run, 'policy_name', str(raw.policy_name))
  // Absent stays absent: an absent `ready_for_recording` means an old API (then `node_active` is used).
  if ('ready_for_recording' in raw) setOptional(run, 'ready_for_recording', toBool(raw.ready_for_recording))
  if ('node_active' in raw) setOptional(run, 'node_active', toBool(raw.node_active))
  return run
}

const VULN_STRINGS = [
  'code',
  'status',
  'method',
  'domain',
  'path',
  'parameter',
  'title',
  'description',
  'additional',
  'exploit_example',
  'template'
] as const

/** A full vulnerability object (`POST /v1/objects/vuln`); non-objects give undefined, a missing id becomes `''`. */
export function normalizeVulnerability(raw: unknown): Vulnerability | undefined {
  if (!isRecord(raw)) return undefined
  const v: Vulnerability = {
    ...raw,
    id: toId(raw.id) ?? '',
    type: str(raw.type) ?? '',
    threat: toNumber(raw.threat) ?? 0
  }
  if ('wid' in raw) setOptional(v, 'wid', toInt(raw.wid))
  if ('testrun_id' in raw)
    setOptional(v, 'testrun_id', raw.testrun_id === null ? null : toInt(raw.testrun_id))
  for (const k of VULN_STRINGS) if (k in raw) setOptional(v, k, str(raw[k]))
  return v
}
