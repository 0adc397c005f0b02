/**
 * Every name the action shares with the runner, action.yml and later steps, in one place, so that no
 * string literal is scattered (and a test can check that action.yml declares exactly these).
 */

export const Inputs = {
  Mode: 'mode',
  Token: 'token',
  ApiToken: 'api-token',
  IfNoToken: 'if-no-token',
  ApiHost: 'api-host',
  ConsoleUrl: 'console-url',
  Name: 'name',
  Description: 'description',
  PolicyId: 'policy-id',
  TestRecordName: 'test-record-name',
  TestRecordId: 'test-record-id',
  TestRunId: 'test-run-id',
  Rps: 'rps',
  RpsPerBaseline: 'rps-per-baseline',
  InactivityTimeout: 'inactivity-timeout',
  StopOnFirstFail: 'stop-on-first-fail',
  SkipDuplicatedBaselines: 'skip-duplicated-baselines',
  FileExtensionsToExclude: 'file-extensions-to-exclude',
  Wait: 'wait',
  WaitTimeout: 'wait-timeout',
  ReadyTimeout: 'ready-timeout',
  PollInterval: 'poll-interval',
  StopGracePeriod: 'stop-grace-period',
  FailOn: 'fail-on',
  MinThreat: 'min-threat',
  TechFailTolerance: 'tech-fail-tolerance',
  AutoStop: 'auto-stop',
  Sarif: 'sarif',
  Comment: 'comment',
  GithubToken: 'github-token',
  Reports: 'reports',
  ExpectedLegs: 'expected-legs',
  Run: 'run',
  Target: 'target',
  AllowedHosts: 'allowed-hosts',
  NodeImage: 'node-image',
  NodeUrl: 'node-url',
  ProxyPort: 'proxy-port',
  TestsMustPass: 'tests-must-pass',
  BaselineFile: 'baseline-file',
  IgnoreFile: 'ignore-file',
  Exclude: 'exclude',
  OpenApi: 'openapi',
  MinCoverage: 'min-coverage'
} as const

export const Outputs = {
  TestRunId: 'test-run-id',
  TestRecordId: 'test-record-id',
  State: 'state',
  Conclusion: 'conclusion',
  Url: 'url',
  Baselines: 'baselines',
  Vulnerabilities: 'vulnerabilities',
  VulnerabilitiesJson: 'vulnerabilities-json',
  ReportPath: 'report-path',
  SarifPath: 'sarif-path',
  JunitPath: 'junit-path',
  TestsExitCode: 'tests-exit-code',
  NodeLogPath: 'node-log-path',
  NewVulnerabilities: 'new-vulnerabilities',
  Ignored: 'ignored',
  BaselinePath: 'baseline-path',
  Operations: 'operations',
  OperationsTested: 'operations-tested'
} as const

/** What the main step leaves for the post step (GITHUB_STATE). Never the token. */
export const State = {
  /** The run a record step of this step started and has not seen stopped. */
  RecordingRunId: 'recording-test-run-id',
  ApiBaseUrl: 'api-base-url',
  /** scan mode: the FAST node container the step started and has not seen removed. */
  NodeContainer: 'node-container'
} as const

/** Environment variables exported to later steps of the job, and read back by stop and wait. */
export const Env = {
  Token: 'WALLARM_API_TOKEN',
  TestRunId: 'WALLARM_FAST_TEST_RUN_ID',
  TestRecordId: 'WALLARM_FAST_TEST_RECORD_ID'
} as const

/**
 * scan mode's node image when `node-image` is empty. Docker Hub could not be reached to confirm a
 * version tag, so this is the documented name: set node-image to pin a tag or digest, or a mirror.
 */
// The newest tag on Docker Hub (1.102.0); `latest` there points at an older build (1.101.0), so it is
// never the default. A user pins a digest or a mirror through the input.
export const DEFAULT_NODE_IMAGE = 'wallarm/fast:1.102.0'

/** `fail-on`: every finding that counts, only those not in the baseline, or none (errors still fail). */
export const FailOns = ['vulnerabilities', 'new-vulnerabilities', 'never'] as const
export type FailOn = (typeof FailOns)[number]

/** Where the committed baseline and ignore file are looked for when the inputs are empty. */
export const DEFAULT_BASELINE_FILE = '.github/wallarm-fast-baseline.json'
export const DEFAULT_IGNORE_FILE = '.github/wallarm-fast-ignore.yml'

/** The API's largest `inactivity_timeout` (300..86400 s): scan mode's default. */
export const MAX_INACTIVITY_TIMEOUT_S = 86_400
/** record mode's default `inactivity-timeout`: a safety net should the runner die before any stop. */
export const RECORD_INACTIVITY_TIMEOUT_S = 600

export const Modes = ['record', 'stop', 'reuse', 'wait', 'scan', 'summarize'] as const
export type Mode = (typeof Modes)[number]

export const Conclusions = [
  'recording',
  'running',
  'passed',
  'failed',
  'inconclusive',
  'interrupted',
  'timeout',
  'error',
  'skipped'
] as const
export type Conclusion = (typeof Conclusions)[number]

/** The run finished testing: a verdict on everything it tested (what SARIF may report, closing alerts). */
export const COMPLETE_CONCLUSIONS: readonly Conclusion[] = ['passed', 'failed']

/** The run was waited for to an end, its own or the wait's: what JUnit and the findings table report. */
export const WAITED_CONCLUSIONS: readonly Conclusion[] = [
  ...COMPLETE_CONCLUSIONS,
  'inconclusive',
  'interrupted',
  'timeout'
]
