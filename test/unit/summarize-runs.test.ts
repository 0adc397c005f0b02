/** The warning about legs from different workflow runs (src/summarize/runs.ts). */
import { describe, expect, it } from 'vitest'
import { differentRunsWarning } from '../../src/summarize/runs.js'

describe('legs from different workflow runs', () => {
  it('names ten runs and counts the rest', () => {
    const legs = Array.from({ length: 12 }, (_, i) => ({
      leg: `l${i}`,
      file: `f${i}.json`,
      runId: String(100 + i)
    }))
    const w = differentRunsWarning(legs)
    expect(w).toMatch(
      /^The reports come from 12 different workflow runs; they are summarised together: run 100: "l0" \(f0\.json\);/
    )
    expect(w).toMatch(/run 109: "l9" \(f9\.json\); and 2 more run\(s\)\.$/)
    expect(w).not.toMatch(/run 110/)
  })

  it('says nothing for one run, or for legs that name none', () => {
    expect(
      differentRunsWarning([
        { leg: 'a', file: 'a', runId: '1' },
        { leg: 'b', file: 'b', runId: '1' }
      ])
    ).toBeUndefined()
    expect(
      differentRunsWarning([
        { leg: 'a', file: 'a', runId: undefined },
        { leg: 'b', file: 'b', runId: undefined }
      ])
    ).toBeUndefined()
  })
})
