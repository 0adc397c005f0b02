/**
 * The demo's ending: the API coverage of the pull-request check (`openapi: sample-app/openapi.yaml`), said
 * plainly: the coverage table as the job summary has it, the operation the tests never sent, the route
 * the spec does not document, and a finding located at its operation's line in the spec (from the SARIF
 * file). Each is checked, so that the demo fails when one is missing.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { Log } from 'sarif'
import { INJECTABLE_PATH } from '../../sample-app/server.js'
import type { StepResult } from '../lib/action-runner.js'
import { renderMarkdown } from '../lib/terminal.js'
import { MARKDOWN_MASK, jobHeader, masker, say, style } from './console.js'
import { q, type Verdict } from './verdict.js'

/** The sample app's API description, relative to the repository root (and so to the workspace). */
export const SPEC = 'sample-app/openapi.yaml'
/** The operation the demo's tests never send, and the route the spec leaves out. */
const UNTESTED = { method: 'GET', template: '/hello', operationId: 'hello' }
const UNDOCUMENTED = { method: 'GET', path: '/files' }

interface ReportCoverage {
  operations: number
  tested: number
  rows: Array<{ method: string; template: string; operationId?: string; status: string }>
  notInSpec: Array<{ method: string; path: string; requests: number; findings: number }>
}

/** `specText`: the spec's text; `pr`: the pull-request check, run with `openapi: SPEC`. */
export function showApiCoverage(specText: string, pr: StepResult, check: Verdict['check']): void {
  jobHeader('API coverage', `the pull-request check, against ${SPEC}`)

  const start = pr.summary.indexOf('### API coverage')
  const end = start < 0 ? -1 : pr.summary.indexOf('\n### ', start + 1)
  const section = start < 0 ? '' : pr.summary.slice(start, end < 0 ? undefined : end)
  for (const line of renderMarkdown(masker.apply(section, MARKDOWN_MASK), style)) say(`  ${line}`.trimEnd())
  const coverage = reportCoverage(pr.outputs['report-path'])
  check(
    section.includes(`| \`${UNTESTED.method} ${UNTESTED.template}\` |`) &&
      coverage !== undefined &&
      pr.outputs.operations === String(coverage.operations) &&
      pr.outputs['operations-tested'] === String(coverage.tested),
    `API coverage: the job summary's table and the JSON report, ${coverage?.tested ?? '?'} of ` +
      `${coverage?.operations ?? '?'} operations tested (outputs operations ${q(pr.outputs.operations)}, ` +
      `operations-tested ${q(pr.outputs['operations-tested'])})`
  )

  say()
  const first = coverage?.rows[0]
  const untested = coverage?.rows.filter((r) => r.status !== 'tested') ?? []
  say(`  ${style.bold('never attacked:')}   ${untested.map(opLabel).join(', ') || '(none)'}`)
  check(
    first?.method === UNTESTED.method &&
      first.template === UNTESTED.template &&
      first.status === 'never-sent' &&
      untested.length === 1,
    `API coverage: the one operation the tests never sent, listed first as never attacked: ` +
      `${first === undefined ? '(none)' : `${opLabel(first)}, ${first.status}`}`
  )

  const undocumented = coverage?.notInSpec ?? []
  say(
    `  ${style.bold('not in the spec:')}  ${undocumented.map((r) => `${r.method} ${r.path}`).join(', ') || '(none)'}` +
      style.dim('   (an undocumented endpoint: a finding in its own right)')
  )
  check(
    undocumented.some((r) => r.method === UNDOCUMENTED.method && r.path === UNDOCUMENTED.path),
    `API coverage: the route the spec does not document, not in the spec: ` +
      `${undocumented.map((r) => `${r.method} ${r.path}`).join(', ') || '(none)'}`
  )

  const located = locatedFindings(pr.outputs['sarif-path'])
  for (const l of located)
    say(`  ${style.bold('finding at:')}       ${l.rule} → ${l.uri}:${l.line} (${l.name})`)
  const expected = methodKeyLine(specText, INJECTABLE_PATH, 'get')
  const sqli = located.find((l) => l.rule === 'wallarm-fast/sqli')
  check(
    sqli !== undefined && sqli.uri === SPEC && sqli.line === expected && sqli.name === 'searchProducts',
    `SARIF: the sqli located at its operation's line, ` +
      (sqli === undefined ? 'not found' : `${sqli.uri}:${sqli.line} (${sqli.name})`) +
      `, the get: key of ${INJECTABLE_PATH} being line ${expected}`
  )
}

/** `GET /hello (hello)`. */
function opLabel(r: { method: string; template: string; operationId?: string }): string {
  return `${r.method} ${r.template}${r.operationId === undefined ? '' : ` (${r.operationId})`}`
}

function reportCoverage(path: string | undefined): ReportCoverage | undefined {
  if (!path || !existsSync(path)) return undefined
  const report = JSON.parse(readFileSync(path, 'utf8')) as { coverage?: ReportCoverage | null }
  return report.coverage ?? undefined
}

/** The SARIF results placed in a file with a line: rule, file, line, the operation's logical name. */
function locatedFindings(
  path: string | undefined
): Array<{ rule: string; uri: string; line: number; name: string }> {
  if (!path || !existsSync(path)) return []
  const log = JSON.parse(readFileSync(path, 'utf8')) as Log
  return (log.runs[0]?.results ?? []).flatMap((r) => {
    const loc = r.locations?.[0]
    const uri = loc?.physicalLocation?.artifactLocation?.uri
    const line = loc?.physicalLocation?.region?.startLine
    const name = loc?.logicalLocations?.[0]?.name
    return uri && line && name ? [{ rule: r.ruleId ?? '?', uri, line, name }] : []
  })
}

/** The 1-based line of the `<method>:` key under the path item `<template>:`, read from the spec's text. */
function methodKeyLine(specText: string, template: string, method: string): number {
  const lines = specText.split('\n')
  const item = lines.findIndex((l) => l.trimEnd() === `  ${template}:`)
  if (item < 0) return -1
  const key = lines.findIndex((l, i) => i > item && l.trimEnd() === `    ${method}:`)
  return key < 0 ? -1 : key + 1
}
