/**
 * The status decision: one exported function over (findings, baseline, ignore file, exclude, Wallarm's
 * triage, clock) that gives every finding exactly one status (see FindingStatus in ../report/model.ts),
 * and says what the reader must hear about the rules themselves (entries about to expire, ignore
 * entries that matched nothing, baseline entries this run did not observe). Pure: the files are read
 * and the API asked elsewhere, so `mode: summarize` can apply the same rules to several legs at once.
 *
 * Precedence, first that applies: out of scope (`exclude`) → triaged (false positive in Wallarm, this
 * vulnerability or an earlier one of the same identity) → ignored (an ignore entry not past `expires`)
 * → a regression (a vulnerability of the same identity was `closed` in Wallarm: counts, baseline or not)
 * → known (a baseline entry not past `expires`) → expired (the baseline or ignore entry that covered it
 * is past `expires`: counts, listed with the old reason) → new.
 *
 * A finding without a location (known only from the run's summary: ./identity.ts) cannot be told apart
 * from any other of its type, so nothing that matches by identity sets it aside: no baseline entry, no
 * ignore entry that does not name its vulnerability `id`, no triage of another vulnerability. Only what
 * names that very vulnerability does (an ignore entry's `id`, its own status in Wallarm). It counts.
 */
import type { FailOn } from '../common/constants.js'
import { FindingStatuses, type Finding, type FindingDecision, type FindingStatus } from '../report/model.js'
import { baselineIndex, type Baseline, type BaselineEntry } from './baseline.js'
import { expiryOn, today } from './dates.js'
import { excludedBy, type ExcludeRule } from './exclude.js'
import type { PathTemplateResolver } from '../common/path-template.js'
import { describeIdentity, identityKey, isLocated } from './identity.js'
import { ignoreEntryName, ignoreMatches, type IgnoreEntry } from './ignore.js'

/** Wallarm's status of a vulnerability object that means "not a vulnerability". */
export const FALSE_POSITIVE = 'falsepositive'
export const CLOSED = 'closed'

export interface TriageRules {
  baseline: Baseline
  /** For messages: where the baseline came from. */
  baselineFile: string
  ignore: readonly IgnoreEntry[]
  ignoreFile: string
  exclude: readonly ExcludeRule[]
  /**
   * Vulnerabilities Wallarm holds as `falsepositive` or `closed`, from any run (matched by identity as
   * well as by id: a new run's vulnerability objects have new ids). A finding's own `status` counts too.
   */
  wallarm?: readonly Finding[] | undefined
  failOn: FailOn
  /** The console's vulnerabilities page, linked from triaged findings. */
  vulnerabilitiesUrl?: string | undefined
  /** The clock (ms since the epoch): expiry is decided on its UTC date. */
  nowMs: number
  /**
   * The API description's path templates (`openapi`): they win over the id rule in every identity
   * compared here (findings, baseline entries, ignore paths, Wallarm's triage). See ./identity.ts.
   */
  resolve?: PathTemplateResolver | undefined
}

export interface TriageOutcome {
  /** The findings, in the same order, each with its `decision`. */
  findings: Finding[]
  counts: Record<FindingStatus, number>
  /** Baseline entries no finding of this run matched: not observed, never "fixed". */
  unobserved: BaselineEntry[]
  /** Entries that expire within 14 days. */
  warnings: string[]
  /** Ignore entries that matched nothing. */
  notices: string[]
}

export function decideStatuses(findings: readonly Finding[], rules: TriageRules): TriageOutcome {
  const day = today(rules.nowMs)
  const { resolve } = rules
  const known = baselineIndex(rules.baseline, resolve)
  const wallarm = wallarmIndex(rules.wallarm ?? [], resolve)
  const byId = new Map((rules.wallarm ?? []).filter((v) => v.id !== '').map((v) => [v.id, v.status]))
  const usedIgnores = new Set<IgnoreEntry>()
  const observed = new Set<string>()

  const decided = findings.map((f): Finding => {
    const key = identityKey(f, resolve)
    const located = isLocated(f)
    if (located) observed.add(key)
    const entry = located ? known.get(key) : undefined
    const inBaseline = entry !== undefined
    const decision = (status: FindingStatus, extra: Partial<FindingDecision> = {}): Finding => ({
      ...f,
      decision: {
        status,
        counted:
          status === 'new' ||
          status === 'expired' ||
          (status === 'known' && rules.failOn !== 'new-vulnerabilities'),
        inBaseline,
        ...extra
      }
    })

    const rule = excludedBy(rules.exclude, f.method, f.path)
    if (rule !== undefined) return decision('out-of-scope', { reason: `exclude: ${rule.text}` })

    const own = f.id === '' ? undefined : byId.get(f.id)
    const status = (wanted: string): string | undefined =>
      f.status === wanted || own === wanted ? f.id : located ? wallarm.get(key)?.get(wanted) : undefined
    const fp = status(FALSE_POSITIVE)
    if (fp !== undefined) {
      return decision('triaged', {
        reason: 'marked false positive in Wallarm',
        triagedVulnerabilityId: fp,
        ...(rules.vulnerabilitiesUrl === undefined ? {} : { link: rules.vulnerabilitiesUrl })
      })
    }

    const ignores = rules.ignore.filter(
      (e) => (located || e.id !== undefined) && ignoreMatches(e, f, resolve)
    )
    for (const e of ignores) usedIgnores.add(e)
    const ignore = ignores.find((e) => expiryOn(e.expires, day) !== 'expired')
    if (ignore !== undefined) return decision('ignored', covering(ignore))

    const closed = status(CLOSED)
    if (closed !== undefined) {
      return decision('new', {
        reason: `regression: vulnerability ${closed} was closed in Wallarm`,
        regressionOf: closed
      })
    }

    if (entry !== undefined) {
      if (expiryOn(entry.expires, day) !== 'expired') return decision('known', covering(entry))
      return decision('expired', { ...covering(entry), expiredFrom: 'baseline' })
    }
    const expiredIgnore = ignores[0]
    if (expiredIgnore !== undefined)
      return decision('expired', { ...covering(expiredIgnore), expiredFrom: 'ignore' })
    return decision('new')
  })

  const counts = Object.fromEntries(FindingStatuses.map((s) => [s, 0])) as Record<FindingStatus, number>
  for (const f of decided) if (f.decision) counts[f.decision.status]++

  const warnings: string[] = []
  for (const e of rules.baseline.entries) {
    if (expiryOn(e.expires, day) === 'soon')
      warnings.push(
        `The baseline entry for ${describeIdentity(e)} in ${rules.baselineFile} expires on ${e.expires}: after that day the finding counts again.`
      )
  }
  for (const e of rules.ignore) {
    if (expiryOn(e.expires, day) === 'soon')
      warnings.push(
        `The ignore entry ${ignoreEntryName(rules.ignoreFile, e)} expires on ${e.expires}: after that day the findings it matches count again.`
      )
  }
  const notices = rules.ignore
    .filter((e) => !usedIgnores.has(e))
    .map(
      (e) =>
        `The ignore entry ${ignoreEntryName(rules.ignoreFile, e)} matched no finding of this run ("${e.reason}").`
    )

  const unobserved = rules.baseline.entries.filter((e) => !observed.has(identityKey(e, resolve)))
  return { findings: decided, counts, unobserved, warnings, notices }
}

function covering(e: {
  reason?: string | undefined
  ticket?: string | undefined
  expires?: string | undefined
}): Partial<FindingDecision> {
  const out: Partial<FindingDecision> = {}
  if (e.reason !== undefined) out.reason = e.reason
  if (e.ticket !== undefined) out.ticket = e.ticket
  if (e.expires !== undefined) out.expires = e.expires
  return out
}

/** identity → Wallarm status → the lowest vulnerability id with it (a stable choice). */
function wallarmIndex(
  vulns: readonly Finding[],
  resolve: PathTemplateResolver | undefined
): Map<string, Map<string, string>> {
  const index = new Map<string, Map<string, string>>()
  for (const v of vulns) {
    if ((v.status !== FALSE_POSITIVE && v.status !== CLOSED) || !isLocated(v)) continue
    const key = identityKey(v, resolve)
    const byStatus = index.get(key) ?? new Map<string, string>()
    const had = byStatus.get(v.status)
    if (had === undefined || had.length > v.id.length || (had.length === v.id.length && had > v.id))
      byStatus.set(v.status, v.id)
    index.set(key, byStatus)
  }
  return index
}
