/**
 * The triage rules from the workspace, and the API description (`openapi`): the baseline and ignore files named by the inputs (relative to
 * GITHUB_WORKSPACE), read and checked before any API call, and `exclude` as the inputs parsed it.
 */
import { isAbsolute, join } from 'node:path'
import type { Settings } from '../inputs/settings.js'
import { loadApiDescription, type ApiDescription } from '../openapi/index.js'
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
  return {
    baseline: baseline.baseline,
    baselineFile: settings.baselineFile,
    baselineMissing: baseline.missing,
    ignore: ignore.entries,
    ignoreFile: settings.ignoreFile,
    ignoreMissing: ignore.missing,
    exclude: settings.exclude,
    api:
      settings.openapi === undefined ? undefined : loadApiDescription({ file: settings.openapi, workspace })
  }
}
