/**
 * A measurement in a module of its own: scripts/bench.ts runs every one listed in its `SECTIONS` (one
 * line per module), prints its part of the table, judges its targets and puts its figures in `--json`.
 */
export interface BenchSection {
  /** The key of its figures in `--json`. */
  key: string
  /** Said on stderr before it runs. */
  progress: string
  run(): Promise<SectionResult>
}

export interface SectionResult {
  /** The heading of its part of the table (numbered by the bench), then its lines, indented. */
  heading: string
  lines: string[]
  targets: Array<{ ok: boolean | null; target: string; actual: string }>
  json: unknown
}
