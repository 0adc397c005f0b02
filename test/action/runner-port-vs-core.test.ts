/**
 * The runner port writes the runner's protocol by hand (to keep undici off the start path): here it is
 * held against the real part, `@actions/core` itself, for the same calls with hostile values. Every line
 * on stdout and every block in the runner's files must be the same (the random heredoc delimiter aside),
 * so the port can never escape less than core does.
 */
import * as core from '@actions/core'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runnerPort } from '../../src/action/runner-port.js'
import type { RunnerPort } from '../../src/action/port.js'

const FILES = ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY'] as const
// @actions/core keeps the first summary path it sees: one file for every run here, emptied before each.
const SUMMARY = join(mkdtempSync(join(tmpdir(), 'port-vs-core-summary-')), 'summary.md')
const saved = { ...process.env }
const savedExitCode = process.exitCode
afterEach(() => {
  vi.restoreAllMocks()
  process.env = { ...saved }
  process.exitCode = savedExitCode
})

const HOSTILE = [
  'plain',
  'line one\nline two',
  'running\r\n::stop-commands::x',
  '100% done %0A %25',
  'a:b,c=d',
  '##[error]forged',
  ''
]

/** The calls the action makes, each with every hostile value. */
async function script(port: Pick<RunnerPort, Exclude<keyof RunnerPort, 'markFailed'>>): Promise<void> {
  for (const [i, v] of HOSTILE.entries()) {
    port.setOutput(`out-${i}`, v)
    port.saveState(`state-${i}`, v)
    port.exportVariable(`VAR_${i}`, v)
    if (v) port.setSecret(v)
    port.info(v)
    port.warning(v, { title: v || 'title' })
    port.error(v, { title: `${v}:${v}` })
    port.notice(v)
    port.error(v)
    await port.appendSummary(v)
  }
  port.setFailed(HOSTILE[2]!)
  process.env['INPUT_API-HOST'] = '  eu \n'
  process.env['INPUT_WITH SPACE'] = 'x'
  process.env['STATE_is-post'] = 'true'
  port.info(
    `${port.getInput('api-host')}|${port.getInput('with space')}|${port.getInput('missing')}|${port.getState('is-post')}|${port.getState('none')}`
  )
}

const coreAsPort = {
  getInput: (name: string) => core.getInput(name),
  getState: (name: string) => core.getState(name),
  saveState: (name: string, value: string) => core.saveState(name, value),
  setOutput: (name: string, value: string) => core.setOutput(name, value),
  setSecret: (secret: string) => core.setSecret(secret),
  exportVariable: (name: string, value: string) => core.exportVariable(name, value),
  info: (message: string) => core.info(message),
  warning: (message: string, p?: { title?: string }) => core.warning(message, p),
  error: (message: string, p?: { title?: string }) => core.error(message, p),
  notice: (message: string, p?: { title?: string }) => core.notice(message, p),
  setFailed: (message: string) => core.setFailed(message),
  appendSummary: async (markdown: string) => {
    await core.summary.addRaw(markdown, true).write()
  }
}

async function observe(port: Parameters<typeof script>[0], withFiles: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'port-vs-core-'))
  for (const name of FILES.filter((f) => f !== 'GITHUB_STEP_SUMMARY')) {
    if (withFiles) {
      writeFileSync(join(dir, name), '')
      process.env[name] = join(dir, name)
    } else delete process.env[name]
  }
  writeFileSync(SUMMARY, '')
  process.env.GITHUB_STEP_SUMMARY = SUMMARY
  const stdout: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk))
    return true
  })
  process.exitCode = undefined
  await script(port)
  vi.restoreAllMocks()
  const read = (name: (typeof FILES)[number]): string =>
    name === 'GITHUB_STEP_SUMMARY'
      ? readFileSync(SUMMARY, 'utf8')
      : withFiles
        ? readFileSync(join(dir, name), 'utf8')
        : ''
  const files = Object.fromEntries(FILES.map((name) => [name, read(name)]))
  const exitCode = process.exitCode
  rmSync(dir, { recursive: true, force: true })
  // The heredoc delimiter is random in both: compare its shape, not its value.
  const normalise = (text: string) => text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_<uuid>')
  return {
    stdout: normalise(stdout.join('')),
    files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, normalise(v)])),
    exitCode
  }
}

describe('the runner port writes what @actions/core writes', () => {
  it('with the runner files (a real runner)', async () => {
    const ours = await observe(runnerPort, true)
    const theirs = await observe(coreAsPort, true)
    expect(ours.stdout.length).toBeGreaterThan(1000)
    expect(ours).toEqual(theirs)
  })

  it('without them (the old stdout commands)', async () => {
    const ours = await observe(runnerPort, false)
    const theirs = await observe(coreAsPort, false)
    expect(ours.stdout).toContain('::set-output name=out-0::plain')
    expect(ours).toEqual(theirs)
  })
})
