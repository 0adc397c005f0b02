import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { OutputSink } from '../../src/action/outputs.js'
import { Publisher } from '../../src/action/publish.js'
import { readSettings } from '../../src/inputs/settings.js'
import { loadTriageRules } from '../../src/triage/load.js'
import { FIXTURES } from '../openapi/helpers.js'
import { FakeRunner } from '../support/fake-runner.js'
import { testRun } from '../support/fixtures.js'

/** scan mode's publish with the petstore spec (4 operations under /v2), after the tests sent `paths`. */
async function publishScan(
  paths: string[],
  inputs: Record<string, string> = {},
  details: Array<{ id: string; type: string; threat: number; method: string; path: string }> = []
) {
  const runner = new FakeRunner()
  const settings = readSettings(
    (n) =>
      ({
        mode: 'scan',
        token: 't',
        run: 'npm test',
        target: 'http://127.0.0.1:3000',
        openapi: 'petstore.json',
        ...inputs
      })[n] ?? '',
    { RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'publish-cov-')) }
  )
  const rules = loadTriageRules(settings, FIXTURES)
  const outputs = new OutputSink(runner)
  const publisher = new Publisher(runner, outputs, settings, {}, rules)
  const run = testRun({ state: 'passed', baseline_check_fail_count: 0, baseline_check_passed_count: 3 })
  const decision = await publisher.publish({
    conclusion: 'passed',
    reason: 'The test run passed.',
    run,
    details: details.map((d) => ({ ...d, domain: 'pets.test', parameter: 'q' })),
    warnings: [],
    scan: {
      testsExitCode: 0,
      testsCancelled: false,
      testsMustPass: true,
      sent: paths.map((path) => ({ method: 'GET', path, count: 1, recorded: true }))
    }
  })
  return { decision, outputs: runner.outputs }
}

describe('scan mode with openapi: coverage reaches the outputs and min-coverage the verdict', () => {
  it('sets operations and operations-tested from what the tests sent', async () => {
    const { outputs, decision } = await publishScan(['/v2/pets', '/v2/pets/{id}'])
    expect(outputs.operations).toBe('5')
    expect(outputs['operations-tested']).toBe('2')
    expect(decision.conclusion).toBe('passed')
  })

  it('below min-coverage: inconclusive, never passed, naming the ratio', async () => {
    const { decision } = await publishScan(['/v2/pets'], { 'min-coverage': '50' })
    expect(decision.conclusion).toBe('inconclusive')
    expect(decision.failed).toBe(true)
    expect(decision.reason).toContain('1 of 5 operations tested')
  })
})

describe('scan mode with openapi: the spec’s template in every identity the step writes', () => {
  it('the merged baseline, the JSON report and SARIF use the operation’s template', async () => {
    const vuln = (id: string, pet: string) => ({
      id,
      type: 'sqli',
      threat: 80,
      method: 'GET',
      path: `/v2/pets/${pet}`
    })
    const { outputs } = await publishScan(['/v2/pets/rex'], {}, [vuln('1', 'rex'), vuln('2', 'tom')])
    const baseline = JSON.parse(readFileSync(outputs['baseline-path']!, 'utf8')) as {
      entries: Array<{ path: string }>
    }
    // Two pets the id rule cannot tell are ids: one operation, one entry, under the spec's template.
    expect(baseline.entries.map((e) => e.path)).toEqual(['/v2/pets/{petId}'])
    const report = JSON.parse(readFileSync(outputs['report-path']!, 'utf8')) as {
      findings: Array<{ identity: string; pathTemplate?: string }>
    }
    expect(report.findings.map((f) => f.pathTemplate)).toEqual(['/v2/pets/{petId}', '/v2/pets/{petId}'])
    expect(report.findings[0]!.identity).toBe(report.findings[1]!.identity)
    const sarif = JSON.parse(readFileSync(outputs['sarif-path']!, 'utf8')) as {
      runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }>
    }
    const prints = sarif.runs[0]!.results.map((r) => r.partialFingerprints['wallarmFast/v1'])
    expect(prints).toHaveLength(2)
    expect(prints[0]).toBe(prints[1])
  })
})
