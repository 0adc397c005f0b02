/**
 * How one input is read: the error every bad input raises (the input, its value, what is allowed), the
 * defaults of action.yml, and the small parsers (whole numbers, ids, booleans, durations, URLs) that
 * ./settings.ts and ./scan-settings.ts share.
 */
import {
  DEFAULT_BASELINE_FILE,
  DEFAULT_IGNORE_FILE,
  DEFAULT_NODE_IMAGE,
  Inputs
} from '../common/constants.js'
import { DurationError, parseDuration, type DurationLimits } from '../common/duration.js'

/** Returns the raw value of an input, `''` when unset. Values are trimmed here. */
export type InputReader = (name: string) => string

export type InputName = (typeof Inputs)[keyof typeof Inputs]

/** A bad input. The message names the input, its value (`***` for secrets) and what is allowed. */
export class InputError extends Error {
  /** The input's name as action.yml spells it. */
  readonly input: string
  /** The value as shown in the message (`***` for secrets). */
  readonly value: string

  constructor(input: string, value: string, expected: string) {
    super(`Input "${input}" has the value ${show(value)}: ${expected.replace(/\.$/, '')}.`)
    this.name = 'InputError'
    this.input = input
    this.value = value
  }
}

/** The defaults of action.yml, applied here too when an input is empty (a test keeps them in step). */
export const InputDefaults: Partial<Record<InputName, string>> = {
  [Inputs.IfNoToken]: 'fail',
  [Inputs.ApiHost]: 'us',
  [Inputs.StopOnFirstFail]: 'false',
  [Inputs.SkipDuplicatedBaselines]: 'true',
  [Inputs.Wait]: 'true',
  [Inputs.WaitTimeout]: '60m',
  [Inputs.ReadyTimeout]: '5m',
  [Inputs.PollInterval]: '30s',
  [Inputs.StopGracePeriod]: '3s',
  [Inputs.FailOn]: 'vulnerabilities',
  [Inputs.MinThreat]: '1',
  [Inputs.TechFailTolerance]: '0',
  [Inputs.BaselineFile]: DEFAULT_BASELINE_FILE,
  [Inputs.IgnoreFile]: DEFAULT_IGNORE_FILE,
  [Inputs.AutoStop]: 'true',
  [Inputs.Sarif]: 'true',
  [Inputs.Comment]: 'false',
  [Inputs.Reports]: 'wallarm-fast-reports/**/*.json',
  [Inputs.NodeImage]: DEFAULT_NODE_IMAGE,
  [Inputs.ProxyPort]: '8080',
  [Inputs.TestsMustPass]: 'true'
}

export function show(value: string): string {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value
  return JSON.stringify(shown)
}

export function oneOf<const T extends string>(
  input: InputName,
  value: string,
  allowed: readonly T[],
  note?: string
): T {
  const names: readonly string[] = allowed
  if (isOneOf(value, allowed)) return value
  const list = allowed.join(', ')
  const lower = value.toLowerCase()
  let expected = `expected one of ${list}`
  if (value !== '' && names.includes(lower)) {
    expected += `, in lowercase: use "${lower}"`
  } else if (value === '' && note) {
    expected += ` (${note})`
  }
  throw new InputError(input, value, expected)
}

export function isOneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value)
}

/**
 * A URL with `user:password@` in it is refused without being quoted: it would put the credentials into
 * the log (the token header is how the API authenticates anyway).
 */
export function refuseCredentials(input: string, value: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    throw new InputError(
      input,
      '***',
      'expected a URL without credentials (user:password@): the token authenticates'
    )
  }
}

/** An absolute http(s) URL with a host (scan mode's target and node-url). */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

export function parsePositive(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** A positive id as its exact decimal text (ids may exceed 2^53), without leading zeros. */
export function parseId(value: string): string | undefined {
  return /^0*([1-9][0-9]{0,39})$/.exec(value)?.[1]
}

/** A positive id that the API takes as a number (a policy); '' is undefined. */
export function smallId(input: InputName, value: string): number | undefined {
  if (value === '') return undefined
  const n = parsePositive(value)
  if (n === undefined)
    throw new InputError(input, value, 'expected a positive whole number such as 42, or empty')
  return n
}

/** A positive id of a test run or record, as its exact digits; '' is undefined. */
export function id(input: InputName, value: string): string | undefined {
  if (value === '') return undefined
  const n = parseId(value)
  if (n === undefined)
    throw new InputError(input, value, 'expected a positive whole number such as 42, or empty')
  return n
}

/** A whole number in min..max; '' is undefined (callers pass defaults in for inputs that have one). */
export function integer(
  input: InputName,
  value: string,
  min: number,
  max: number,
  emptyMeans?: string
): number | undefined {
  if (value === '') return undefined
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(
      input,
      value,
      `expected a whole number from ${min} to ${max}${emptyMeans ? `, or empty ${emptyMeans}` : ''}`
    )
  }
  return n
}

const TRUE_VALUES = ['true', 'True', 'TRUE']
const FALSE_VALUES = ['false', 'False', 'FALSE']

/** The YAML 1.2 core schema booleans, as `core.getBooleanInput` takes them. */
export function bool(input: InputName, value: string): boolean {
  if (TRUE_VALUES.includes(value)) return true
  if (FALSE_VALUES.includes(value)) return false
  throw new InputError(input, value, `expected one of ${[...TRUE_VALUES, ...FALSE_VALUES].join(', ')}`)
}

export function duration(input: InputName, value: string, limits: DurationLimits): number {
  try {
    return parseDuration(input, value, limits)
  } catch (err) {
    if (err instanceof DurationError) throw new InputError(input, value, err.expected)
    throw err
  }
}

export function isSetAndNotDefault(raw: (name: InputName) => string, name: InputName): boolean {
  const value = raw(name)
  return value !== '' && value !== InputDefaults[name]
}
