/**
 * Every name the action shares with the runner, action.yml and later steps, in one place, so that no
 * string literal is scattered (and a test can check that action.yml declares exactly these).
 */

export const Inputs = {
  Mode: 'mode',
  Token: 'token',
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
  GithubToken: 'github-token'
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
  JunitPath: 'junit-path'
} as const

/** What the main step leaves for the post step (GITHUB_STATE). Never the token. */
export const State = {
  /** Set by the main step of every mode, so the post step knows it is a post step. */
  IsPost: 'is-post',
  /** The run a record step of this step started and has not seen stopped. */
  RecordingRunId: 'recording-test-run-id',
  ApiBaseUrl: 'api-base-url'
} as const

/** Environment variables exported to later steps of the job, and read back by stop and wait. */
export const Env = {
  Token: 'WALLARM_API_TOKEN',
  TestRunId: 'WALLARM_FAST_TEST_RUN_ID',
  TestRecordId: 'WALLARM_FAST_TEST_RECORD_ID'
} as const

export const Modes = ['record', 'stop', 'reuse', 'wait'] as const
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
