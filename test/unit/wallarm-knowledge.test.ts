/**
 * What a leg learns from Wallarm's triage about each finding, whatever its own rules make of it (its
 * report carries it), and how summarize turns it back into Wallarm's triage for the matrix.
 */
import { describe, expect, it } from 'vitest'
import type { Finding } from '../../src/report/model.js'
import { wallarmFromKnowledge, withWallarmKnowledge } from '../../src/report/wallarm-knowledge.js'
import { decideStatuses } from '../../src/triage/decide.js'
import { EMPTY_BASELINE } from '../../src/triage/baseline.js'

const at = (path: string, id: string, extra: Partial<Finding> = {}): Finding => ({
  id,
  type: 'sqli',
  threat: 80,
  method: 'GET',
  domain: 'shop.test',
  path,
  parameter: 'q',
  ...extra
})
const NOW = Date.parse('2026-06-01T00:00:00Z')

describe("a finding's knowledge from Wallarm", () => {
  const wallarm = [at('/closed', '1', { status: 'closed' }), at('/fp', '2', { status: 'falsepositive' })]

  it('names the closed and the false-positive vulnerability of the same identity, or the finding itself', () => {
    const found = withWallarmKnowledge(
      [
        at('/closed', '11'),
        at('/fp', '12'),
        at('/other', '13'),
        at('/own', '14', { status: 'falsepositive' })
      ],
      wallarm,
      NOW
    )
    expect(found.map((f) => f.learned)).toEqual([
      { regressionOf: '1' },
      { falsePositiveOf: '2' },
      undefined,
      { falsePositiveOf: '14' }
    ])
  })

  it('nothing is learned where the triage was not read', () => {
    expect(withWallarmKnowledge([at('/closed', '11')], undefined, NOW)).toEqual([at('/closed', '11')])
  })

  it('back into the triage: the same decision in the summary as in the leg', () => {
    const learned = withWallarmKnowledge([at('/closed', '11'), at('/fp', '12')], wallarm, NOW)
    // A later run of the summary: new ids, only what the legs learned.
    const again = wallarmFromKnowledge(learned)
    const decided = decideStatuses([at('/closed', '21'), at('/fp', '22')], {
      baseline: EMPTY_BASELINE,
      baselineFile: 'b',
      ignore: [],
      ignoreFile: 'i',
      exclude: [],
      wallarm: again,
      failOn: 'vulnerabilities',
      nowMs: NOW
    })
    expect(decided.findings.map((f) => [f.decision?.status, f.decision?.regressionOf])).toEqual([
      ['new', '1'],
      ['triaged', undefined]
    ])
  })

  it('a finding with no location gives no triage for others of its type', () => {
    const blind: Finding = {
      id: '5',
      type: 'sqli',
      threat: 80,
      code: 'S1',
      learned: { falsePositiveOf: '5' }
    }
    expect(wallarmFromKnowledge([blind])).toEqual([])
  })
})
