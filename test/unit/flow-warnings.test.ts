/** What the flow says when Wallarm's vulnerability reads are refused or capped: the input, the cap, what was not read. */
import { describe, expect, it } from 'vitest'
import { TRIAGED_READ_LIMIT, detailsRefused, triageCapped } from '../../src/modes/flow.js'

describe('the vulnerability reads, said', () => {
  it('a refused details read names api-token when it is not set, and what to check when it is', () => {
    expect(detailsRefused(false)).toContain('refused the node token')
    expect(detailsRefused(false)).toContain('Set the api-token input to a Wallarm API token')
    expect(detailsRefused(true)).toContain('refused the api-token input')
    expect(detailsRefused(true)).toContain('read access to vulnerabilities')
  })

  it('a capped triage read names the cap and what was not read', () => {
    expect(
      triageCapped({
        read: TRIAGED_READ_LIMIT,
        oldestId: '7001',
        cap: { kind: 'max', max: TRIAGED_READ_LIMIT }
      })
    ).toBe(
      `Wallarm's triage: read the newest 5000 vulnerabilities marked false positive or closed, the most this ` +
        'action reads (5000). Older ones were not read (those before vulnerability 7001): a finding marked ' +
        'false positive or closed only among them is not recognised here, and counts as new (or as known ' +
        'through the baseline).'
    )
    expect(
      triageCapped({ read: 2000, oldestId: undefined, cap: { kind: 'offset', offset: 2000 } })
    ).toContain(
      'the most the Wallarm API pages to (it takes offset up to 1000; this read stopped at offset 2000). Older ones were not read:'
    )
  })
})
