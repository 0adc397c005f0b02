/**
 * summarize mode's part of the job summary: the legs of the matrix in a table (name, policy, conclusion,
 * baselines, findings), the missing ones last. Every cell comes from a leg's report, which is outside
 * text: escaped and cut as the rest of the summary is.
 */
import { escapeMarkdown, link, truncate } from './markdown.js'
import type { MatrixReport } from './model.js'

export function renderLegs(matrix: MatrixReport): string {
  const rows = matrix.legs.map((leg) => {
    const name = escapeMarkdown(truncate(leg.name || '(no name)', 100))
    const findings =
      leg.findings === leg.counted ? String(leg.findings) : `${leg.counted} (of ${leg.findings} found)`
    return (
      `| ${link(name, leg.runUrl)} | ${escapeMarkdown(truncate(leg.policy ?? 'default', 100))} | ` +
      `${leg.conclusion} | ${leg.baselines ?? '–'} | ${findings} |`
    )
  })
  for (const name of matrix.missing)
    rows.push(`| ${escapeMarkdown(truncate(name, 100))} | – | did not report | – | – |`)
  const unnamed = matrix.missingCount - matrix.missing.length
  if (unnamed > 0) rows.push(`| ${unnamed} more | – | did not report | – | – |`)
  return [
    `### Legs (${matrix.legs.length} reported${matrix.missingCount > 0 ? `, ${matrix.missingCount} missing` : ''})`,
    '',
    '| Leg | Policy | Conclusion | Baselines | Findings |',
    '| --- | --- | --- | ---: | ---: |',
    ...rows
  ].join('\n')
}
