/**
 * The triage rules from the workspace: the baseline and ignore files named by the inputs (relative to
 * GITHUB_WORKSPACE), read and checked before any API call, and `exclude` as the inputs parsed it.
 */
import { isAbsolute, join } from 'node:path'
import type { Settings } from '../inputs/settings.js'
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
}

/** @throws TriageFileError for a file that is there but cannot be used (the file, the line, what is allowed) */
export function loadTriageRules(
  settings: Pick<Settings, 'baselineFile' | 'ignoreFile' | 'exclude'>,
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
    exclude: settings.exclude
  }
}
