/**
 * The triage rules from the workspace, and the API description (`openapi`): the baseline and ignore files named by the inputs (relative to
 * GITHUB_WORKSPACE), read and checked before any API call, and `exclude` as the inputs parsed it.
 */
import { isAbsolute, join } from 'node:path'
import type { Settings } from '../inputs/settings.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import {
  createMatcher,
  loadApiDescription,
  pathTemplateResolver,
  type ApiDescription,
  type Matcher
} from '../openapi/index.js'
import { readBaseline, type Baseline } from './baseline.js'
import type { ExcludeRule } from './exclude.js'
import { readIgnoreFile, type IgnoreEntry } from './ignore.js'

export interface LoadedRules {
  baseline: Baseline
  baselineFile: string
  baselineMissing: boolean
  ignore: IgnoreEntry[]
  ignoreFile: string
  ignoreMissing: boolean
  exclude: ExcludeRule[]
  /** The API description of the `openapi` input; undefined without it. */
  api?: ApiDescription | undefined
  /** Its operations, to match requests and findings against (built once per run). */
  matcher?: Matcher | undefined
  /**
   * The spec's templates for every identity (triage, the merged baseline, SARIF, the JSON report):
   * ./identity.ts. Undefined without `openapi`: the id rule alone.
   */
  resolve?: PathTemplateResolver | undefined
}

/**
 * @throws TriageFileError for a file that is there but cannot be used (the file, the line, what is allowed)
 * @throws OpenApiError for an API description that is missing, unparsable or not one (input, file, line)
 */
export function loadTriageRules(
  settings: Pick<Settings, 'baselineFile' | 'ignoreFile' | 'exclude' | 'openapi'>,
  workspace: string
): LoadedRules {
  const at = (file: string): string => (isAbsolute(file) ? file : join(workspace, file))
  const baseline = readBaseline(at(settings.baselineFile), settings.baselineFile)
  const ignore = readIgnoreFile(at(settings.ignoreFile), settings.ignoreFile)
  const api =
    settings.openapi === undefined ? undefined : loadApiDescription({ file: settings.openapi, workspace })
  const matcher = api === undefined ? undefined : createMatcher(api.operations)
  return {
    baseline: baseline.baseline,
    baselineFile: settings.baselineFile,
    baselineMissing: baseline.missing,
    ignore: ignore.entries,
    ignoreFile: settings.ignoreFile,
    ignoreMissing: ignore.missing,
    exclude: settings.exclude,
    api,
    matcher,
    resolve: matcher === undefined ? undefined : pathTemplateResolver(matcher)
  }
}
