/**
 * What the job summary and the pull-request comment say about the triage rules: one line of counts
 * ("2 new · 1 known · 1 ignored"), each finding's status, the findings whose baseline or ignore entry
 * expired, and the baseline entries this run did not observe (never "fixed": a reused record or a
 * narrower test suite tests less). Pure; everything from files or the API is escaped.
 */
import { code, escapeMarkdown, escapeProse, link, truncate } from './markdown.js'
import {
  atThreshold,
  FindingStatuses,
  statusLabel,
  type Finding,
  type FindingStatus,
  type RunReport
} from './model.js'
import { isLocated } from '../triage/identity.js'
import { typeTitle } from './findings.js'
import { shownEndpoint } from './redact.js'

const MAX_LISTED = 50

/** `**2 new** · 1 known · 1 ignored · 1 triaged …`, over the findings at or above `min-threat`. */
export function triageLine(report: RunReport): string | undefined {
  if (report.triage === undefined) return undefined
  const n = (status: FindingStatus): number =>
    report.findings.filter((f) => atThreshold(f, report.minThreat) && f.decision?.status === status).length
  const fresh = n('new') + n('expired')
  const parts = [
    `**${fresh} new**${n('expired') > 0 ? ` (${n('expired')} expired)` : ''}`,
    `${n('known')} known`,
    `${n('ignored')} ignored`
  ]
  for (const status of ['triaged', 'out-of-scope'] as const)
    if (n(status) > 0) parts.push(`${n(status)} ${statusLabel(status)}`)
  return parts.join(' · ')
}

/**
 * How many findings have no location (the vulnerability details could not be read), why that matters
 * and what to do; undefined when every finding has one. Such findings always count (../triage/decide.ts).
 */
export function unlocatedNote(report: RunReport): string | undefined {
  const count = report.findings.filter((f) => !isLocated(f)).length
  if (count === 0) return undefined
  const [subject, verb] = count === 1 ? ['1 vulnerability', 'has'] : [`${count} vulnerabilities`, 'have']
  return (
    `${subject} ${verb} no location: the vulnerability details (method, domain, path, parameter) could not ` +
    'be read from Wallarm, so no baseline or ignore entry can tell one from another of its type, and ' +
    `${count === 1 ? 'it always counts' : 'they always count'}. Set the \`api-token\` input (a Wallarm API ` +
    'token that may read vulnerabilities) so the step can read them.'
  )
}

/** The Status cell of a finding: `ignored: reason (SEC-12, until 2026-03-31)`. */
export function statusCell(f: Finding): string {
  const d = f.decision
  if (d === undefined) return ''
  let text = statusLabel(d.status)
  if (d.regressionOf !== undefined) text += ` (regression: vulnerability ${d.regressionOf} was closed)`
  else if (d.triagedVulnerabilityId !== undefined) {
    // The id is digits and `link` checks the URL: nothing here needs escaping.
    return `${statusLabel(d.status)} (false positive: ${link(`vulnerability ${d.triagedVulnerabilityId}`, d.link)})`
  } else if (d.reason !== undefined) text += `: ${truncate(d.reason, 200)}`
  const extra = [
    d.ticket,
    d.expires && (d.status === 'expired' ? `expired ${d.expires}` : `until ${d.expires}`)
  ]
  const shown = extra.filter((v): v is string => typeof v === 'string' && v !== '')
  if (shown.length > 0) text += ` (${shown.join(', ')})`
  return escapeMarkdown(text)
}

/**
 * Under the table of what counts: why the expired findings count again, and which are regressions of a
 * vulnerability closed in Wallarm; or ''.
 */
export function countedNotes(report: RunReport): string {
  const triage = report.triage
  if (triage === undefined) return ''
  const parts: string[] = []
  const expired = report.findings.filter((f) => f.decision?.status === 'expired')
  if (expired.length > 0) {
    const rows = expired.slice(0, MAX_LISTED).map((f) => {
      const d = f.decision
      const from = d?.expiredFrom === 'ignore' ? triage.ignoreFile : triage.baselineFile
      return `- ${where(f)}: the entry in ${code(from)} expired on ${d?.expires ?? '?'} (${escapeProse(truncate(d?.reason ?? 'no reason given', 200))}); it counts again.`
    })
    parts.push(`**Expired:**\n\n${rows.join('\n')}`)
  }
  const regressions = report.findings.filter(
    (f) => f.decision?.regressionOf !== undefined && f.decision.counted && atThreshold(f, report.minThreat)
  )
  if (regressions.length > 0) {
    const rows = regressions.slice(0, MAX_LISTED).map((f) => `- ${where(f)}: ${statusCell(f)}; found again.`)
    parts.push(`**Regressions:**\n\n${rows.join('\n')}`)
  }
  return parts.join('\n\n')
}

/** The baseline entries not observed (collapsed) and the note on a missing baseline file, or ''. */
export function unobservedSection(report: RunReport): string {
  const triage = report.triage
  if (triage === undefined) return ''
  const parts: string[] = []
  if (triage.unobserved.length > 0) {
    const rows = triage.unobserved.slice(0, MAX_LISTED).map((e) => `- ${where(e)}`)
    if (triage.unobserved.length > MAX_LISTED)
      rows.push(`- … and ${triage.unobserved.length - MAX_LISTED} more`)
    parts.push(
      `<details>\n<summary>${triage.unobserved.length} baseline ${triage.unobserved.length === 1 ? 'entry' : 'entries'} not observed in this run</summary>\n\n` +
        'Not observed is not fixed: a reused test record or a narrower test suite tests less.\n\n' +
        `${rows.join('\n')}\n\n</details>`
    )
  }
  if (triage.baselineMissing && triage.failOn === 'new-vulnerabilities') {
    parts.push(
      `_No baseline file at ${code(triage.baselineFile)}: every finding is new. Upload the file at \`baseline-path\` as an artifact and commit it to start one._`
    )
  }
  return parts.join('\n\n')
}

/**
 * The findings set aside: at or above the threshold but not counted by a rule (known, ignored, triaged,
 * out of scope), then those below `min-threat`; highest threat first as the report keeps them.
 */
export function setAside(report: RunReport): Finding[] {
  return report.findings.filter((f) => !atThreshold(f, report.minThreat) || f.decision?.counted === false)
}

/** `1 known, 1 ignored, 2 below min-threat 30`: the set-aside findings by reason. */
export function setAsideCounts(report: RunReport, findings: readonly Finding[]): string {
  const byReason = new Map<string, number>()
  for (const f of findings) {
    const key = !atThreshold(f, report.minThreat)
      ? `below min-threat ${report.minThreat}`
      : statusLabel(f.decision?.status ?? 'new')
    byReason.set(key, (byReason.get(key) ?? 0) + 1)
  }
  const order = (reason: string): number => {
    const i = FindingStatuses.findIndex((s) => statusLabel(s) === reason)
    return i < 0 ? FindingStatuses.length : i
  }
  return [...byReason]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ')
}

/** One list item: `- 🟠 medium (50) · Path traversal \`GET /files\` parameter \`f\`: known: tracked in SEC-1`. */
export function setAsideItem(report: RunReport, f: Finding, badge: string): string {
  const reason = !atThreshold(f, report.minThreat) ? `below min-threat ${report.minThreat}` : statusCell(f)
  const endpoint = shownEndpoint(f)
  let text = `- ${badge} · ${escapeMarkdown(truncate(typeTitle(f.type), 80))}`
  if (endpoint !== undefined) text += ` ${code(truncate(endpoint, 200))}`
  if (f.parameter !== undefined) text += ` parameter ${code(truncate(f.parameter, 100))}`
  if (f.legs !== undefined && f.legs.length > 0)
    text += ` (${escapeMarkdown(truncate(f.legs.join(', '), 200))})`
  return `${text}: ${reason}\n`
}

function where(f: Pick<Finding, 'type' | 'method' | 'domain' | 'path' | 'parameter' | 'code'>): string {
  const target = [f.method, `${f.domain ?? ''}${f.path ?? ''}`]
    .filter((v) => v !== undefined && v !== '')
    .join(' ')
  let text = escapeMarkdown(truncate(f.type, 50))
  if (target !== '') text += ` ${code(truncate(target, 300))}`
  if (f.parameter !== undefined) text += ` parameter ${code(truncate(f.parameter, 100))}`
  else if (target === '' && f.code !== undefined) text += ` ${escapeMarkdown(f.code)}`
  return text
}
