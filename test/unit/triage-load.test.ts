import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { identityKey, identityOf } from '../../src/triage/identity.js'
import { loadTriageRules } from '../../src/triage/load.js'
import { parseExclude } from '../../src/triage/exclude.js'

describe('identityOf', () => {
  it('keeps the located fields, normalised as the key normalises them', () => {
    const f = { type: 'SQLi', method: 'get', domain: 'Shop.Example', path: '/a', parameter: 'q', code: 'S1' }
    expect(identityOf(f)).toEqual({
      type: 'sqli',
      method: 'GET',
      domain: 'shop.example',
      path: '/a',
      parameter: 'q'
    })
    expect(identityOf({ type: 'xss', path: '/only' })).toEqual({ type: 'xss', path: '/only' })
    expect(identityKey(identityOf(f))).toBe(identityKey(f))
  })

  it('is type and code for a finding known only from the run’s summary, and type alone without a code', () => {
    expect(identityOf({ type: 'RCE', code: 'R7' })).toEqual({ type: 'rce', code: 'R7' })
    expect(identityOf({ type: 'RCE' })).toEqual({ type: 'rce' })
    expect(identityKey({ type: 'RCE' })).toBe('rce|')
  })
})

describe('loadTriageRules', () => {
  const baseline = JSON.stringify({
    version: 1,
    entries: [
      {
        type: 'xss',
        method: 'GET',
        domain: 'shop.test',
        path: '/s',
        parameter: 'q',
        first_seen: '2026-11-01',
        last_seen: '2026-11-02'
      }
    ]
  })

  it('reads the files relative to the workspace, and says which are missing', () => {
    const workspace = mkdtempSync(join(tmpdir(), 'triage-ws-'))
    mkdirSync(join(workspace, '.github'))
    writeFileSync(join(workspace, '.github', 'base.json'), baseline)
    const exclude = parseExclude('POST ^/logout$')
    const rules = loadTriageRules(
      { baselineFile: '.github/base.json', ignoreFile: '.github/none.yml', exclude },
      workspace
    )
    expect(rules.baselineMissing).toBe(false)
    expect(rules.baseline.entries.map((e) => e.path)).toEqual(['/s'])
    expect(rules.baselineFile).toBe('.github/base.json')
    expect(rules.ignoreMissing).toBe(true)
    expect(rules.ignore).toEqual([])
    expect(rules.exclude).toBe(exclude)
  })

  it('takes absolute paths as they are, whatever the workspace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'triage-abs-'))
    writeFileSync(join(dir, 'ignore.yml'), 'ignore:\n  - type: xss\n    reason: known false positive\n')
    const rules = loadTriageRules(
      { baselineFile: join(dir, 'none.json'), ignoreFile: join(dir, 'ignore.yml'), exclude: [] },
      '/nonexistent-workspace'
    )
    expect(rules.baselineMissing).toBe(true)
    expect(rules.ignoreMissing).toBe(false)
    expect(rules.ignore).toHaveLength(1)
  })
})
