/**
 * The inputs of summarize mode, checked with the rest (./settings.ts calls this), in the same error style.
 */
import { Inputs } from '../common/constants.js'
import type { ExpectedLegs } from '../summarize/merge.js'
import { InputDefaults, InputError, integer, type InputName } from './parse.js'

/** Inputs only summarize mode reads: set in another mode, they are ignored with a warning. */
export const SUMMARIZE_ONLY_INPUTS: readonly InputName[] = [Inputs.Reports, Inputs.ExpectedLegs]

/** GitHub runs at most 256 jobs of one matrix. */
export const MAX_LEGS = 256

export interface SummarizeSettings {
  /** The legs' JSON reports: patterns as upload-artifact's `path` takes them, relative to the workspace. */
  reports: string
  expectedLegs: ExpectedLegs | undefined
}

export function readSummarizeSettings(raw: (name: InputName) => string): SummarizeSettings {
  const reports = raw(Inputs.Reports) || (InputDefaults[Inputs.Reports] ?? '')
  const patterns = reports.split(/\r?\n/).map((line) => line.trim())
  if (/\0/.test(reports) || patterns.every((p) => p === '' || p.startsWith('#') || p.startsWith('!'))) {
    throw new InputError(
      Inputs.Reports,
      reports,
      'expected the legs’ JSON reports as patterns, one a line, as upload-artifact’s path takes them (such as ' +
        'wallarm-fast-reports/**/*.json; a line starting with ! leaves files out), with at least one that is not an exclusion'
    )
  }
  return { reports, expectedLegs: expectedLegs(raw(Inputs.ExpectedLegs)) }
}

function expectedLegs(value: string): ExpectedLegs | undefined {
  if (value === '') return undefined
  if (/^[0-9]+$/.test(value)) return { count: integer(Inputs.ExpectedLegs, value, 1, MAX_LEGS) as number }
  const names = [
    ...new Set(
      value
        .split(/[,\n]/)
        .map((n) => n.trim())
        .filter((n) => n !== '')
    )
  ]
  // eslint-disable-next-line no-control-regex
  if (names.length === 0 || names.length > MAX_LEGS || names.some((n) => /[\u0000-\u001f\u007f]/.test(n))) {
    throw new InputError(
      Inputs.ExpectedLegs,
      value,
      `expected empty, a number of legs from 1 to ${MAX_LEGS}, or the legs' names separated by commas or lines`
    )
  }
  return { names }
}
