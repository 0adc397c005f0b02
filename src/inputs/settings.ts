/**
 * Reads and validates every input in one place, before any API call, into one typed {@link Settings}.
 * No `@actions/core` here: the action layer passes a reader (e.g. `(n) => core.getInput(n)`) and the
 * environment, masks the token, and applies `if-no-token`.
 *
 * Decisions on the rules action.yml leaves open:
 *
 * - Enumerations (`mode`, `if-no-token`, `fail-on`) are strict lowercase, like every value action.yml
 *   documents. `Record` is rejected with a message that suggests `record`, so a workflow has one
 *   spelling that works everywhere.
 * - An input left empty takes the same default as action.yml ({@link InputDefaults}), so an explicit
 *   `wait-timeout: ''` behaves like no input at all.
 * - Mode requirements (reuse needs `test-record-id`; stop and wait need `test-run-id` or
 *   `WALLARM_FAST_TEST_RUN_ID`) are checked only when a token is available. Without one the step never
 *   reaches the API: the action layer skips (`if-no-token: skip`, e.g. a fork pull request, where the
 *   record step was skipped too and exported no run id) or fails on the missing token, which is the root
 *   cause. Every other input is validated whatever the token, so a typo fails on forks and upstream alike.
 * - Inputs that a mode does not use are harmless: they are ignored (cleared in the result) and reported
 *   in `warnings`, which the action layer logs. The one contradiction is `test-record-id` in record mode,
 *   which would silently record into a new test record instead of testing the given one: an error.
 */
import {
  Env,
  FailOns,
  Inputs,
  MAX_INACTIVITY_TIMEOUT_S,
  Modes,
  RECORD_INACTIVITY_TIMEOUT_S,
  type FailOn,
  type Mode
} from '../common/constants.js'
import { parseExclude, type ExcludeRule } from '../triage/exclude.js'
import { excludeCaveat } from './caveats.js'
import { HostError, resolveApi, type ResolvedApi } from '../wallarm/hosts.js'
import {
  InputDefaults,
  InputError,
  bool,
  duration,
  id,
  integer,
  isSetAndNotDefault,
  oneOf,
  parseId,
  refuseCredentials,
  show,
  smallId,
  type InputName,
  type InputReader
} from './parse.js'
import { SCAN_ONLY_INPUTS, readScanSettings, type ScanSettings } from './scan-settings.js'
import { SUMMARIZE_ONLY_INPUTS, readSummarizeSettings, type SummarizeSettings } from './summarize-settings.js'

export interface Settings {
  /** What this step does: `record`, `stop`, `reuse` or `wait`. */
  mode: Mode
  /** FAST node token: the `token` input, else `WALLARM_API_TOKEN`; undefined when both are empty. Mask it. */
  token: string | undefined
  /**
   * A Wallarm API token (Settings → API tokens, read access to vulnerabilities): used only to read the
   * vulnerability details and statuses (`POST /v1/objects/vuln`); undefined when empty. Mask it.
   */
  apiToken: string | undefined
  /** What to do without a token: `fail`, or `skip` (conclusion `skipped`). */
  ifNoToken: 'fail' | 'skip'
  /** The API base URL from `api-host`, and the console's from `console-url` or derived from the API host. */
  api: ResolvedApi
  /** Test run name: the input, else one made from the repository, workflow, run number.attempt and job. */
  name: string
  /** Test run description: the input, else a link to the workflow run, else ''. */
  description: string
  /** Test policy id; undefined uses the account's default policy. */
  policyId?: number | undefined
  /** record mode: name of the new test record; undefined uses the run name (and in other modes). */
  testRecordName?: string | undefined
  /** reuse mode (required there) and scan mode: the test record to copy a run from; undefined in other modes. */
  testRecordId?: string | undefined
  /** stop and wait modes: the test run, from the input or `WALLARM_FAST_TEST_RUN_ID` (undefined in other modes). */
  testRunId?: string | undefined
  /** Cap on test requests per second for the whole run, 1..1000; undefined is unlimited. */
  rps?: number | undefined
  /** Cap on test requests per second for each baseline, 1..500; undefined is unlimited. */
  rpsPerBaseline?: number | undefined
  /**
   * record and scan modes: seconds without a new baseline before the node stops recording, 300..86400.
   * Unset: 600 in record mode, 86400 (the largest) in scan mode.
   */
  inactivityTimeout: number
  /** End the test run at the first vulnerability found. */
  stopOnFirstFail: boolean
  /** record mode: test identical baselines once. */
  skipDuplicatedBaselines: boolean
  /** Extensions of baseline paths not to test, as the API takes them (`jpg|png`); undefined tests all. */
  fileExtensionsToExclude?: string | undefined
  /** Poll until the run finishes (stop, reuse, wait); false returns at once with conclusion `running`. */
  wait: boolean
  /** How long to wait for the run to finish, in ms (at least 1 s). */
  waitTimeoutMs: number
  /** How long to wait for the node to pick a new run up, or for a record to become copyable, in ms (≥ 1 s). */
  readyTimeoutMs: number
  /** The longest gap between two status checks, in ms (1 s..1 h). */
  pollIntervalMs: number
  /** stop mode: pause before stopping the recording, in ms (0..5 min). */
  stopGracePeriodMs: number
  /**
   * `vulnerabilities` fails the step on findings that count (and on inconclusive/interrupted/timeout/error);
   * `new-vulnerabilities` the same, with findings in the baseline not counting; `never` only on errors.
   */
  failOn: FailOn
  /** The committed baseline of known findings (workspace-relative path as given). */
  baselineFile: string
  /** The ignore file (workspace-relative path as given). */
  ignoreFile: string
  /** Endpoints out of scope. */
  exclude: ExcludeRule[]
  /** The API description (workspace-relative path as given); undefined without the `openapi` input. */
  openapi?: string | undefined
  /** Percent (0..100) of the spec's operations the tests must reach; undefined does not gate on coverage. */
  minCoverage?: number | undefined
  /** Lowest threat score (1..100) that counts. */
  minThreat: number
  /** Percent of baselines (0..100) that may fail for technical reasons in a run that still passes. */
  techFailTolerance: number
  /** The post step stops a recording this job's record step left running. */
  autoStop: boolean
  /** Write a SARIF file. */
  sarif: boolean
  /** Write a sticky pull-request comment. */
  comment: boolean
  /** Token for the pull-request comment; undefined when empty. Mask it. */
  githubToken: string | undefined
  /** scan mode: the test command, the target and the node (undefined in other modes). */
  scan?: ScanSettings | undefined
  /** summarize mode: the legs' reports and how many legs should have reported (undefined in other modes). */
  summarize?: SummarizeSettings | undefined
  /** Harmless mismatches (an input the mode ignores, an unusable run id in the environment), to log as warnings. */
  warnings: string[]
}

/**
 * Reads every input through `read`, with `env` for the fallbacks (`WALLARM_API_TOKEN`,
 * `WALLARM_FAST_TEST_RUN_ID`) and the default name and description (`GITHUB_*`).
 *
 * @throws InputError for the first bad input
 */
export function readSettings(read: InputReader, env: NodeJS.ProcessEnv): Settings {
  const raw = (name: InputName): string => (read(name) ?? '').trim()
  const withDefault = (name: InputName): string => raw(name) || (InputDefaults[name] ?? '')
  const warnings: string[] = []

  const mode = oneOf(Inputs.Mode, raw(Inputs.Mode), Modes, 'the input is required')
  const access = readAccess(raw, withDefault, env)
  const name = raw(Inputs.Name) || defaultName(env)
  const description = raw(Inputs.Description) || defaultDescription(env)
  const ids = readIds(raw, env, mode, warnings)
  const recording = readRecording(raw, withDefault, mode)
  const scan = mode === 'scan' ? readScanSettings(raw, warnings) : undefined
  const summarize = mode === 'summarize' ? readSummarizeSettings(raw) : undefined
  const waits = readWaits(withDefault)
  const verdict = readVerdict(read, raw, withDefault, mode, ids.testRecordIdRaw)
  const publishing = readPublishing(raw, withDefault)

  const uses = modeUses(mode, ids.testRecordIdRaw)
  refuseRecordIntoGivenRecord(mode, ids.testRecordIdRaw)
  warnings.push(...unusedInputs(raw, mode, uses, ids))
  const excludeWarning = excludeCaveat({ mode, exclude: verdict.exclude }, ids.testRecordId)
  if (excludeWarning !== undefined) warnings.push(excludeWarning)
  if (!uses.stops && isSetAndNotDefault(raw, Inputs.StopGracePeriod))
    warnings.push(ignoredIn(mode, Inputs.StopGracePeriod, 'stop mode'))
  // Mode requirements, only when the step will reach the API (see the module comment).
  if (access.token !== undefined) requireModeInputs(mode, ids)

  return {
    mode,
    ...access,
    name,
    description,
    policyId: ids.policyId,
    testRecordName: uses.records && ids.testRecordNameRaw !== '' ? ids.testRecordNameRaw : undefined,
    testRecordId: mode === 'reuse' || uses.replays ? ids.testRecordId : undefined,
    testRunId: mode === 'stop' || mode === 'wait' ? ids.testRunId : undefined,
    ...recording,
    ...waits,
    ...verdict,
    ...publishing,
    scan,
    summarize,
    warnings
  }
}

/** An input's raw value (trimmed), and the same with action.yml's default when empty. */
type Raw = (name: InputName) => string

/** The ids the inputs name, as given (for messages and warnings) and as parsed. */
interface Ids {
  policyId: number | undefined
  testRecordNameRaw: string
  testRecordIdRaw: string
  testRecordId: string | undefined
  testRunIdRaw: string
  testRunId: string | undefined
}

/** What a mode does with a test record: replay one (scan with test-record-id), record, stop a recording. */
interface ModeUses {
  replays: boolean
  records: boolean
  stops: boolean
}

/** The tokens, what to do without one, and the API's and console's addresses. */
function readAccess(
  raw: Raw,
  withDefault: Raw,
  env: NodeJS.ProcessEnv
): Pick<Settings, 'token' | 'apiToken' | 'ifNoToken' | 'api'> {
  const token = readToken(raw(Inputs.Token), env)
  const apiToken = readApiToken(raw(Inputs.ApiToken))
  const ifNoToken = oneOf(Inputs.IfNoToken, withDefault(Inputs.IfNoToken), ['fail', 'skip'] as const)
  const api = readApi(withDefault(Inputs.ApiHost), raw(Inputs.ConsoleUrl))
  return { token, apiToken, ifNoToken, api }
}

/**
 * policy-id, test-record-name, test-record-id and test-run-id (else `WALLARM_FAST_TEST_RUN_ID`: a value
 * there that is no run id is ignored, with a warning in the modes that would use it).
 */
function readIds(raw: Raw, env: NodeJS.ProcessEnv, mode: Mode, warnings: string[]): Ids {
  const policyId = smallId(Inputs.PolicyId, raw(Inputs.PolicyId))
  const testRecordNameRaw = raw(Inputs.TestRecordName)
  const testRecordIdRaw = raw(Inputs.TestRecordId)
  const testRecordId = id(Inputs.TestRecordId, testRecordIdRaw)
  const testRunIdRaw = raw(Inputs.TestRunId)
  let testRunId = id(Inputs.TestRunId, testRunIdRaw)
  if (testRunId === undefined) {
    const fromEnv = (env[Env.TestRunId] ?? '').trim()
    if (fromEnv !== '') {
      testRunId = parseId(fromEnv)
      if (testRunId === undefined && (mode === 'stop' || mode === 'wait')) {
        warnings.push(`${Env.TestRunId} has the value ${show(fromEnv)}, which is not a test run id: ignored.`)
      }
    }
  }
  return { policyId, testRecordNameRaw, testRecordIdRaw, testRecordId, testRunIdRaw, testRunId }
}

/** What a new test run is given: its request rates, the recording's timeout, what it skips. */
function readRecording(
  raw: Raw,
  withDefault: Raw,
  mode: Mode
): Pick<
  Settings,
  | 'rps'
  | 'rpsPerBaseline'
  | 'inactivityTimeout'
  | 'stopOnFirstFail'
  | 'skipDuplicatedBaselines'
  | 'fileExtensionsToExclude'
> {
  const rps = integer(Inputs.Rps, raw(Inputs.Rps), 1, 1000, 'for no cap')
  const rpsPerBaseline = integer(Inputs.RpsPerBaseline, raw(Inputs.RpsPerBaseline), 1, 500, 'for no cap')
  // Empty: 600 s in record mode; in scan mode the API's largest, as the step always stops the recording
  // itself (and the post step and the container's removal back it up): a pause in the tests longer than
  // the timeout would end the recording in the middle of them.
  const inactivityTimeout =
    integer(Inputs.InactivityTimeout, raw(Inputs.InactivityTimeout), 300, MAX_INACTIVITY_TIMEOUT_S) ??
    (mode === 'scan' ? MAX_INACTIVITY_TIMEOUT_S : RECORD_INACTIVITY_TIMEOUT_S)
  const stopOnFirstFail = bool(Inputs.StopOnFirstFail, withDefault(Inputs.StopOnFirstFail))
  const skipDuplicatedBaselines = bool(
    Inputs.SkipDuplicatedBaselines,
    withDefault(Inputs.SkipDuplicatedBaselines)
  )
  const fileExtensionsToExclude = checkExtensions(raw(Inputs.FileExtensionsToExclude))
  return {
    rps,
    rpsPerBaseline,
    inactivityTimeout,
    stopOnFirstFail,
    skipDuplicatedBaselines,
    fileExtensionsToExclude
  }
}

/** Whether and how long to wait, how often to look, and the pause before a stop. */
function readWaits(
  withDefault: Raw
): Pick<Settings, 'wait' | 'waitTimeoutMs' | 'readyTimeoutMs' | 'pollIntervalMs' | 'stopGracePeriodMs'> {
  const wait = bool(Inputs.Wait, withDefault(Inputs.Wait))
  const waitTimeoutMs = duration(Inputs.WaitTimeout, withDefault(Inputs.WaitTimeout), { min: 1000 })
  const readyTimeoutMs = duration(Inputs.ReadyTimeout, withDefault(Inputs.ReadyTimeout), { min: 1000 })
  const pollIntervalMs = duration(Inputs.PollInterval, withDefault(Inputs.PollInterval), {
    min: 1000,
    max: 3_600_000
  })
  const stopGracePeriodMs = duration(Inputs.StopGracePeriod, withDefault(Inputs.StopGracePeriod), {
    min: 0,
    max: 300_000
  })
  return { wait, waitTimeoutMs, readyTimeoutMs, pollIntervalMs, stopGracePeriodMs }
}

/** What decides the verdict: fail-on, the baseline and ignore files, the scope, the thresholds, coverage. */
function readVerdict(
  read: InputReader,
  raw: Raw,
  withDefault: Raw,
  mode: Mode,
  testRecordIdRaw: string
): Pick<
  Settings,
  | 'failOn'
  | 'baselineFile'
  | 'ignoreFile'
  | 'exclude'
  | 'openapi'
  | 'minCoverage'
  | 'minThreat'
  | 'techFailTolerance'
> {
  const failOn = oneOf(Inputs.FailOn, withDefault(Inputs.FailOn), FailOns)
  const baselineFile = withDefault(Inputs.BaselineFile)
  const ignoreFile = withDefault(Inputs.IgnoreFile)
  const exclude = parseExclude(read(Inputs.Exclude) ?? '')
  const minThreat = integer(Inputs.MinThreat, withDefault(Inputs.MinThreat), 1, 100) as number
  const techFailTolerance = integer(
    Inputs.TechFailTolerance,
    withDefault(Inputs.TechFailTolerance),
    0,
    100
  ) as number
  const openapi = raw(Inputs.OpenApi) || undefined
  const minCoverage = readMinCoverage(raw(Inputs.MinCoverage), mode, testRecordIdRaw, openapi)
  return { failOn, baselineFile, ignoreFile, exclude, openapi, minCoverage, minThreat, techFailTolerance }
}

/** What the step leaves behind: the post step's stop, the SARIF file, the pull-request comment. */
function readPublishing(
  raw: Raw,
  withDefault: Raw
): Pick<Settings, 'autoStop' | 'sarif' | 'comment' | 'githubToken'> {
  const autoStop = bool(Inputs.AutoStop, withDefault(Inputs.AutoStop))
  const sarif = bool(Inputs.Sarif, withDefault(Inputs.Sarif))
  const comment = bool(Inputs.Comment, withDefault(Inputs.Comment))
  const githubToken = raw(Inputs.GithubToken) || undefined
  return { autoStop, sarif, comment, githubToken }
}

/**
 * scan mode records like record mode and stops like stop mode: it reads their inputs too, unless it
 * replays a test record (test-record-id), as reuse mode does.
 */
function modeUses(mode: Mode, testRecordIdRaw: string): ModeUses {
  const replays = mode === 'scan' && testRecordIdRaw !== ''
  const records = mode === 'record' || (mode === 'scan' && !replays)
  const stops = mode === 'stop' || (mode === 'scan' && !replays)
  return { replays, records, stops }
}

/** test-record-id in record mode would record into a new test record instead of testing the given one. */
function refuseRecordIntoGivenRecord(mode: Mode, testRecordIdRaw: string): void {
  if (testRecordIdRaw !== '' && mode === 'record') {
    throw new InputError(
      Inputs.TestRecordId,
      testRecordIdRaw,
      'expected empty in record mode, which records into a new test record; to test an existing test record, use mode reuse'
    )
  }
}

function ignoredIn(mode: Mode, input: InputName, usedBy: string): string {
  return `Input "${input}" is used by ${usedBy} only: ignored in ${mode} mode.`
}

/** Inputs the mode does not use: harmless, ignored, each with a warning. */
function unusedInputs(raw: Raw, mode: Mode, uses: ModeUses, ids: Ids): string[] {
  const warnings: string[] = []
  const ignored = (input: InputName, usedBy: string): void =>
    void warnings.push(ignoredIn(mode, input, usedBy))
  if (ids.testRecordIdRaw !== '' && mode !== 'reuse' && mode !== 'scan')
    ignored(Inputs.TestRecordId, 'reuse and scan modes')
  if (ids.testRecordNameRaw !== '' && !uses.records) ignored(Inputs.TestRecordName, 'record mode')
  if (mode !== 'summarize') {
    for (const input of SUMMARIZE_ONLY_INPUTS)
      if (isSetAndNotDefault(raw, input)) ignored(input, 'summarize mode')
  }
  if (mode !== 'scan') {
    for (const input of SCAN_ONLY_INPUTS) if (isSetAndNotDefault(raw, input)) ignored(input, 'scan mode')
  } else if (isSetAndNotDefault(raw, Inputs.Wait)) {
    warnings.push(
      `Input "${Inputs.Wait}" is ignored in scan mode, which always waits for the verdict: the node it starts must run until then.`
    )
  }
  if (ids.testRunIdRaw !== '' && (uses.records || uses.replays || mode === 'reuse')) {
    warnings.push(
      `Input "${Inputs.TestRunId}" is used by stop and wait modes only: ${mode} mode starts a new test run, so it is ignored.`
    )
  }
  if (!uses.records) {
    if (isSetAndNotDefault(raw, Inputs.InactivityTimeout)) ignored(Inputs.InactivityTimeout, 'record mode')
    if (isSetAndNotDefault(raw, Inputs.SkipDuplicatedBaselines)) {
      ignored(Inputs.SkipDuplicatedBaselines, 'record mode')
    }
  }
  return warnings
}

/** reuse mode needs test-record-id; stop and wait modes need a test run id. */
function requireModeInputs(mode: Mode, ids: Ids): void {
  if (mode === 'reuse' && ids.testRecordId === undefined) {
    throw new InputError(
      Inputs.TestRecordId,
      '',
      'expected the id of the test record to copy a test run from (a positive whole number): reuse mode needs it'
    )
  }
  if ((mode === 'stop' || mode === 'wait') && ids.testRunId === undefined) {
    throw new InputError(
      Inputs.TestRunId,
      ids.testRunIdRaw,
      `expected the id of a test run (a positive whole number): ${mode} mode needs it, from this input or from ${Env.TestRunId}, which a record step earlier in the same job sets`
    )
  }
}

/** `Run name` for a test run that tells jobs, attempts and runs apart: `owner/repo · CI #12.2 · test`. */
export function defaultName(env: NodeJS.ProcessEnv): string {
  const get = (key: string): string => (env[key] ?? '').trim()
  const parts: string[] = []
  const repository = get('GITHUB_REPOSITORY')
  if (repository) parts.push(repository)
  const runNumber = get('GITHUB_RUN_NUMBER')
  const attempt = get('GITHUB_RUN_ATTEMPT')
  const number = runNumber
    ? `#${runNumber}${attempt ? `.${attempt}` : ''}`
    : attempt
      ? `attempt ${attempt}`
      : ''
  const run = [get('GITHUB_WORKFLOW'), number].filter((s) => s !== '').join(' ')
  if (run) parts.push(run)
  const job = get('GITHUB_JOB')
  if (job) parts.push(job)
  return parts.length > 0 ? parts.join(' · ') : 'wallarm-fast-action'
}

/** A link to the workflow run (`<server>/<repo>/actions/runs/<id>`), or '' outside Actions. */
export function defaultDescription(env: NodeJS.ProcessEnv): string {
  const repository = (env.GITHUB_REPOSITORY ?? '').trim()
  const runId = (env.GITHUB_RUN_ID ?? '').trim()
  if (!repository || !runId) return ''
  const server = ((env.GITHUB_SERVER_URL ?? '').trim() || 'https://github.com').replace(/\/+$/, '')
  return `${server}/${repository}/actions/runs/${runId}`
}

// --- helpers ---------------------------------------------------------------------------------------

function readToken(input: string, env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = (env[Env.Token] ?? '').trim()
  const token = input || fromEnv
  if (token === '') return undefined
  if (/\s/.test(token)) {
    const source = input ? 'the secret passed' : `${Env.Token}`
    throw new InputError(
      Inputs.Token,
      '***',
      `expected a FAST node token without spaces or line breaks; check that ${source} holds the token alone`
    )
  }
  return token
}

function readApiToken(input: string): string | undefined {
  if (input === '') return undefined
  if (/\s/.test(input))
    throw new InputError(
      Inputs.ApiToken,
      '***',
      'expected a Wallarm API token without spaces or line breaks; check that the secret passed holds the token alone'
    )
  return input
}

/** `api-host` and `console-url`, by the rules of ./wallarm/hosts.ts (their one home). */
function readApi(apiHost: string, consoleUrl: string): ResolvedApi {
  refuseCredentials(Inputs.ApiHost, apiHost)
  refuseCredentials(Inputs.ConsoleUrl, consoleUrl)
  try {
    return resolveApi(apiHost, consoleUrl)
  } catch (err) {
    if (!(err instanceof HostError)) throw err
    if (err.which === 'api') throw new InputError(Inputs.ApiHost, apiHost, err.expected)
    throw new InputError(
      Inputs.ConsoleUrl,
      consoleUrl,
      `${err.expected}, or empty (derived from ${Inputs.ApiHost})`
    )
  }
}

/**
 * `min-coverage` gates on the traffic the tests sent, which only scan mode's hop sees, and summarize from
 * the legs' reports (each carries its leg's coverage; the gate applies to their union): elsewhere a gate
 * on it could never pass, so it is refused, naming the mode.
 */
function readMinCoverage(
  value: string,
  mode: Mode,
  testRecordId: string,
  openapi: string | undefined
): number | undefined {
  const minCoverage = integer(Inputs.MinCoverage, value, 0, 100, 'for no coverage gate')
  if (minCoverage === undefined) return undefined
  if (openapi === undefined) {
    throw new InputError(
      Inputs.MinCoverage,
      value,
      `expected empty without the ${Inputs.OpenApi} input: coverage is counted over the operations of the API description`
    )
  }
  const where =
    mode === 'scan' && testRecordId !== '' ? 'scan mode with test-record-id (a replay)' : `${mode} mode`
  if (mode === 'summarize') return minCoverage
  if (mode !== 'scan' || testRecordId !== '') {
    throw new InputError(
      Inputs.MinCoverage,
      value,
      `expected empty in ${where}, where the step cannot know which requests the tests sent; it applies in scan mode with run, and in summarize to the legs' coverage`
    )
  }
  return minCoverage
}

function checkExtensions(value: string): string | undefined {
  if (value === '') return undefined
  if (!/^[A-Za-z0-9|.*?,]+$/.test(value)) {
    throw new InputError(
      Inputs.FileExtensionsToExclude,
      value,
      'expected extensions joined by |, such as jpg|png|css|ico (letters, digits and the characters | . * ? , only), or empty'
    )
  }
  return value
}
