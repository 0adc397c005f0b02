/**
 * Legs from more than one workflow run: a summary of a `workflow_run` trigger (or of artifacts gathered
 * from several runs) is legitimate, so it is not refused, but a reader should know the verdict spans
 * runs: one warning naming each run and the legs (and files) that came from it.
 */

/** What this check needs of a leg's report. */
export interface LegRun {
  leg: string
  file: string
  /** GITHUB_RUN_ID from the leg's report's workflow context; undefined when the leg did not record it. */
  runId?: string | undefined
}

/** Runs named in the warning; the rest are counted. */
const MAX_RUNS_SHOWN = 10

/** One warning naming the workflow runs the legs come from, or undefined when they come from one (or none is known). */
export function differentRunsWarning(legs: readonly LegRun[]): string | undefined {
  const byRun = new Map<string, LegRun[]>()
  for (const leg of legs) {
    if (leg.runId === undefined) continue
    const group = byRun.get(leg.runId) ?? []
    group.push(leg)
    byRun.set(leg.runId, group)
  }
  if (byRun.size < 2) return undefined
  const runs = [...byRun.entries()]
  const shown = runs
    .slice(0, MAX_RUNS_SHOWN)
    .map(
      ([runId, group]) =>
        `run ${runId}: ${group.map((l) => `${JSON.stringify(l.leg)} (${l.file})`).join(', ')}`
    )
  const more = runs.length > MAX_RUNS_SHOWN ? `; and ${runs.length - MAX_RUNS_SHOWN} more run(s)` : ''
  const unknown = legs.filter((l) => l.runId === undefined).length
  const unknownText = unknown > 0 ? ` (${unknown} leg(s) name no run)` : ''
  return (
    `The reports come from ${runs.length} different workflow runs${unknownText}; they are summarised together: ` +
    `${shown.join('; ')}${more}.`
  )
}
