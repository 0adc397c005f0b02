/**
 * Inputs that are valid together but do less than they seem to: each is said once, as a warning, before
 * the run (the action layer logs them). Pure.
 */
import type { FailOn, Mode } from '../common/constants.js'

/** What these read of the settings (./settings.ts, which calls excludeCaveat). */
interface CaveatSettings {
  mode: Mode
  /** The exclude rules. */
  exclude: readonly unknown[]
  stopOnFirstFail: boolean
  failOn: FailOn
  minThreat: number
}

/**
 * `exclude` where it keeps nothing from the FAST node. A replay (scan mode with `test-record-id`, and
 * reuse mode) attacks every baseline of the record: the node has no hop in front of it, and the record
 * holds what the tests sent when it was recorded. There `exclude` only sets findings out of scope. In
 * record mode it does nothing at all (the stop or wait step gives the verdict and applies it).
 */
export function excludeCaveat(
  s: Pick<CaveatSettings, 'mode' | 'exclude'>,
  testRecordId: string | undefined
): string | undefined {
  if (s.exclude.length === 0) return undefined
  if (s.mode === 'record') {
    return (
      'Input "exclude" is ignored in record mode: the FAST node records and attacks every request the tests ' +
      'send through its proxy. Set it on the stop or wait step, where it sets findings out of scope; only ' +
      'scan mode, while it records, sends the requests it matches straight to the target.'
    )
  }
  const replay =
    s.mode === 'reuse' ? 'reuse mode' : s.mode === 'scan' && testRecordId ? 'scan mode' : undefined
  if (replay === undefined) return undefined
  return (
    `Input "exclude" keeps nothing from the FAST node in a replay (${replay} with test-record-id): the node ` +
    `attacks every baseline of test record ${testRecordId ?? ''}, those exclude matches included (a DELETE ` +
    'too), and exclude only sets their findings out of scope. To keep an endpoint out, record again with ' +
    'exclude (scan mode with run sends the requests it matches straight to the target, so they are never ' +
    'recorded), then replay that record.'
  )
}

/** Which of the triage files are there, from ../triage/load.ts. */
export interface RulesPresent {
  baselineFile: string
  baselineMissing: boolean
  ignoreFile: string
  ignoreMissing: boolean
}

/**
 * `stop-on-first-fail` with rules that set findings aside: the node stops at its first finding whether
 * or not it counts here, and leaves the rest untested, so the gate can only say `inconclusive` where a
 * pass was possible. Only where this step creates the run (record, reuse, scan).
 */
export function stopOnFirstFailCaveat(s: CaveatSettings, rules: RulesPresent): string | undefined {
  if (!s.stopOnFirstFail || !(s.mode === 'record' || s.mode === 'reuse' || s.mode === 'scan'))
    return undefined
  const aside: string[] = []
  if (s.failOn === 'new-vulnerabilities') {
    aside.push(
      rules.baselineMissing
        ? 'fail-on: new-vulnerabilities'
        : `fail-on: new-vulnerabilities with the baseline file ${rules.baselineFile}`
    )
  }
  if (!rules.ignoreMissing) aside.push(`the ignore file ${rules.ignoreFile}`)
  if (s.exclude.length > 0) aside.push('exclude')
  if (s.minThreat > 1) aside.push(`min-threat ${s.minThreat}`)
  if (aside.length === 0) return undefined
  return (
    `Input "stop-on-first-fail" ends the test run at the node's first finding, whether or not it counts here, ` +
    `and the node tests no other baseline. With ${aside.join(', ')}, that first finding may be one this step ` +
    'sets aside (known, ignored, out of scope, below min-threat, or triaged in Wallarm): the run is then ' +
    'inconclusive, never passed, since what it did not test may hold a new vulnerability. Leave ' +
    'stop-on-first-fail false for a gate that sets findings aside.'
  )
}
