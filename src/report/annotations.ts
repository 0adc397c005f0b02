/**
 * Workflow annotations for the vulnerabilities that count (threat ≥ `min-threat`): `error` when the
 * step fails (`report.failed`: the gate failed it with `fail-on: vulnerabilities`), else `warning`.
 * GitHub keeps at most 10 annotations of each level per step, so the list is capped at `max` and a
 * final `notice` says how many more there are. When the step fails, its verdict (the reason) comes
 * first, as an error of its own, and takes one of the ten places: a reason dropped as the eleventh
 * error would leave a failed step that does not say why. Pure: the action layer calls
 * core.error/warning/notice.
 */
import { verdictLabel } from '../verdict/scan-outcome.js'
import { logSafe } from '../text/untrusted.js'
import { oneLine } from './markdown.js'
import { countedFindings } from './model.js'
import type { Finding, RunReport } from './model.js'
import { findingUrl, severityOf, typeTitle } from './findings.js'
import { publishable } from './redact.js'

export type AnnotationLevel = 'error' | 'warning' | 'notice'

export interface Annotation {
  level: AnnotationLevel
  title: string
  message: string
}

export const DEFAULT_MAX_ANNOTATIONS = 10

export function buildAnnotations(
  report: RunReport,
  opts: { max?: number } = {}
): { annotations: Annotation[]; omitted: number } {
  const max = Math.max(0, Math.floor(opts.max ?? DEFAULT_MAX_ANNOTATIONS))
  const counted = countedFindings(report)
  const level: AnnotationLevel = report.failed ? 'error' : 'warning'
  const verdict: Annotation[] = report.failed
    ? [
        {
          level: 'error',
          title: `Wallarm FAST: ${verdictLabel(report.conclusion, report.scan)}`,
          message: logSafe(oneLine(report.reason))
        }
      ]
    : []
  const perFinding = counted
    .slice(0, Math.max(0, max - verdict.length))
    .map((f) => findingAnnotation(f, level))
  const annotations = [...verdict, ...perFinding]
  const omitted = counted.length - perFinding.length
  if (omitted > 0) {
    annotations.push({
      level: 'notice',
      title: 'Wallarm FAST: more vulnerabilities',
      message: `${omitted} more ${omitted === 1 ? 'vulnerability' : 'vulnerabilities'}: see the job summary${
        report.runUrl === undefined ? '' : ` or ${report.runUrl}`
      }.`
    })
  }
  return { annotations, omitted }
}

/** The title names the kind of vulnerability, the message says the rest: the runner shows `title: message`. */
function findingAnnotation(f: Finding, level: AnnotationLevel): Annotation {
  const title = typeTitle(f.type)
  const where = [f.method, findingUrl(publishable(f))].filter((v) => v !== undefined).join(' ')
  let message = `threat ${f.threat}/100 (${severityOf(f.threat)})`
  if (where !== '') message += `: ${where}`
  if (f.parameter !== undefined) message += `, parameter ${f.parameter}`
  message += ` (Wallarm vulnerability ${f.id}${f.code === undefined ? '' : `, ${f.code}`})`
  return {
    level,
    title: logSafe(oneLine(`Wallarm FAST: ${title === f.type ? f.type : `${title} (${f.type})`}`)),
    message: logSafe(oneLine(message))
  }
}
