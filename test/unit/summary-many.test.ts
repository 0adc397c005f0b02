/**
 * Many findings (issue 25: 20,000 in one step): the summary and the comment render what fits and count
 * the rest, in the same order as for a few. The memory this saves is measured by `npm run bench`
 * (many_findings); these tests hold the content.
 */
import { describe, expect, it } from 'vitest'
import type { Finding, RunReport } from '../../src/report/model.js'
import { renderComment } from '../../src/report/pr-comment.js'
import { renderSummary } from '../../src/report/summary.js'
import { runReport } from '../support/fixtures.js'

const COUNTED = 5_000
const BELOW = 3_000

function finding(i: number, threat: number): Finding {
  return {
    id: String(i + 1),
    type: 'sqli',
    threat,
    code: `S${i}`,
    method: 'GET',
    domain: 'app.local',
    path: `/items/${i}`,
    parameter: 'q',
    exploitExample: `GET /items/${i}?q=%27%20OR%201%3D1 HTTP/1.1\r\nHost: app.local\r\nCookie: sid=s3cr3t-${i}\r\n\r\n`
  }
}

/** 5,000 findings that count (threat 80), then 3,000 below `min-threat` 50 (set aside). */
function manyReport(over: Partial<RunReport> = {}): RunReport {
  return runReport({
    minThreat: 50,
    findings: [
      ...Array.from({ length: COUNTED }, (_, i) => finding(i, 80)),
      ...Array.from({ length: BELOW }, (_, i) => finding(COUNTED + i, 10))
    ],
    ...over
  })
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')
const countedRows = (md: string): string[] => md.split('\n').filter((l) => l.startsWith('| 🔴 high (80)'))
const number = (s: string | undefined): number => Number((s ?? 'NaN').replace(/,/g, ''))

describe('a summary of 5,000 findings that count and 3,000 set aside', () => {
  for (const maxBytes of [1_000_000, 100_000]) {
    it(`stays under ${maxBytes} bytes, counted rows first, and says how many of each were left out`, () => {
      const md = renderSummary(manyReport(), { maxBytes })
      expect(bytes(md)).toBeLessThanOrEqual(maxBytes)

      // What counts comes first: its heading and rows before how to reproduce and the set-aside list.
      const rows = countedRows(md)
      expect(rows.length).toBeGreaterThan(20)
      const left = /> ([\d,]+) of 5,000 findings that count were left out/.exec(md)
      expect(left).not.toBeNull()
      expect(rows.length + number(left?.[1])).toBe(COUNTED)
      const at = (s: string): number => md.indexOf(s)
      expect(at('### Findings that count (5,000)')).toBeGreaterThan(0)
      expect(at('### Findings that count (5,000)')).toBeLessThan(at(rows[0] ?? '?'))
      expect(md.lastIndexOf(rows.at(-1) ?? '?')).toBeLessThan(at('### How to reproduce'))
      expect(at('### How to reproduce')).toBeLessThan(at('### Set aside'))
      // The rows come in the report's order, none twice.
      expect(rows.map((r) => /\/items\/(\d+)/.exec(r)?.[1])).toEqual(rows.map((_, i) => String(i)))

      // The reproduction blocks that did not fit and the set-aside items are counted, not lost.
      const blocks = md.split('<summary>🔴 high · SQL injection').length - 1
      expect(blocks).toBeLessThanOrEqual(20)
      const cut = /_([\d,]+) of these were left out to keep this summary under GitHub’s size limit/.exec(md)
      expect(blocks + number(cut?.[1])).toBe(20)
      expect(md).toContain('_The first 20 are shown;')
      expect(md).toContain(`3,000 findings set aside: ${BELOW} below min-threat 50`)
      const aside = md.split('\n').filter((l) => l.startsWith('- 🟡 low · SQL injection')).length
      const asideLeft = /_([\d,]+) more were left out to keep this summary under GitHub’s size limit/.exec(md)
      expect(aside + number(asideLeft?.[1])).toBe(BELOW)
      expect(md.split('<details>').length).toBe(md.split('</details>').length)
      expect(md).not.toContain('s3cr3t')
    })
  }

  it('keeps everything when the bound is large enough, as for a few findings', () => {
    const md = renderSummary(manyReport(), { maxBytes: 100_000_000 })
    expect(countedRows(md)).toHaveLength(COUNTED)
    expect(md).not.toContain('left out')
    expect(md.split('\n').filter((l) => l.startsWith('- 🟡 low · SQL injection'))).toHaveLength(BELOW)
    expect(md.split('<summary>🔴 high · SQL injection').length - 1).toBe(20)
  })
})

describe('a comment on 5,000 findings that count', () => {
  it('shows the first rows and examples and counts the rest', () => {
    const md = renderComment(manyReport())
    expect(bytes(md)).toBeLessThan(65_536)
    expect(countedRows(md)).toHaveLength(10)
    expect(md).toContain(`_${COUNTED - 10} more findings that count are in the job summary._`)
    expect(md.split('<summary>🔴 high · SQL injection').length - 1).toBe(5)
    expect(md).toContain(`_${BELOW} findings set aside (${BELOW} below min-threat 50): see the job summary._`)
    expect(md).not.toContain('s3cr3t')
  })
})
