/**
 * The real runner port (`@actions/core` behind it): what it writes where the runner reads it (workflow
 * commands on stdout, the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV / GITHUB_STEP_SUMMARY files), escaped
 * so that nothing a value holds can forge a command or another output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { summary } from '@actions/core'
import { corePort as port } from '../../src/action/core-port.js'

let dir: string
let stdout: string[]
const saved = { ...process.env }
const savedExitCode = process.exitCode

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'core-port-'))
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY']) {
    const file = join(dir, name)
    writeFileSync(file, '')
    process.env[name] = file
  }
  // core.summary keeps the first GITHUB_STEP_SUMMARY it saw (one per process on a runner); each test
  // here has its own.
  Object.assign(summary, { _filePath: undefined })
  stdout = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk))
    return true
  })
})

afterEach(() => {
  vi.restoreAllMocks()
  process.env = { ...saved }
  process.exitCode = savedExitCode
  rmSync(dir, { recursive: true, force: true })
})

const file = (name: string): string => readFileSync(join(dir, name), 'utf8')

it('reads inputs and state from the environment the runner sets', () => {
  process.env['INPUT_API-HOST'] = '  eu \n'
  process.env['STATE_is-post'] = 'true'
  expect(port.getInput('api-host')).toBe('eu')
  expect(port.getInput('missing')).toBe('')
  expect(port.getState('is-post')).toBe('true')
})

it('writes outputs, state and exported variables to the runner files', () => {
  port.setOutput('conclusion', 'passed')
  port.saveState('recording-test-run-id', '5')
  port.exportVariable('WALLARM_FAST_TEST_RUN_ID', '5')
  expect(file('GITHUB_OUTPUT')).toMatch(/^conclusion<<.+\npassed\n/)
  expect(file('GITHUB_STATE')).toMatch(/^recording-test-run-id<<.+\n5\n/)
  expect(file('GITHUB_ENV')).toMatch(/^WALLARM_FAST_TEST_RUN_ID<<.+\n5\n/)
  expect(process.env.WALLARM_FAST_TEST_RUN_ID).toBe('5')
})

it('logs through workflow commands, annotations with their title', () => {
  port.setSecret('s3cr3t')
  port.info('plain')
  port.warning('careful', { title: 'T' })
  port.error('broken', {})
  port.notice('fyi')
  port.setFailed('failed because')
  expect(stdout.join('')).toBe(
    [
      '::add-mask::s3cr3t',
      'plain',
      '::warning title=T::careful',
      '::error::broken',
      '::notice::fyi',
      '::error::failed because',
      ''
    ].join('\n')
  )
  expect(process.exitCode).toBe(1)
})

it('appends to the job summary', async () => {
  await port.appendSummary('## one')
  await port.appendSummary('## two')
  expect(file('GITHUB_STEP_SUMMARY')).toBe('## one\n## two\n')
})

it('escapes what could end a command or start another, and keeps values that try to end a block', () => {
  port.warning('first\n::error::forged 100%', { title: 'a: b, c' })
  port.setOutput('report', 'line\nEOF\nforged<<x')
  expect(stdout.join('')).toBe('::warning title=a%3A b%2C c::first%0A::error::forged 100%25\n')
  const block = /^report<<(ghadelimiter_[0-9a-f-]{36})\nline\nEOF\nforged<<x\n(.+)\n$/.exec(
    file('GITHUB_OUTPUT')
  )
  expect(block?.[2]).toBe(block?.[1])
})

it('falls back to workflow commands outside a runner', () => {
  delete process.env.GITHUB_OUTPUT
  delete process.env.GITHUB_STATE
  port.setOutput('conclusion', 'passed')
  port.saveState('is-post', 'true')
  expect(stdout.join('')).toBe('\n::set-output name=conclusion::passed\n::save-state name=is-post::true\n')
})

it('writes summaries appended at once each once, and nothing of one that failed', async () => {
  const path = process.env.GITHUB_STEP_SUMMARY
  delete process.env.GITHUB_STEP_SUMMARY
  await expect(port.appendSummary('## lost')).rejects.toThrow(/GITHUB_STEP_SUMMARY/)
  process.env.GITHUB_STEP_SUMMARY = path
  await Promise.all([port.appendSummary('## one'), port.appendSummary('## two')])
  await port.appendSummary('## three')
  expect(file('GITHUB_STEP_SUMMARY')).toBe('## one\n## two\n## three\n')
})

it('fails a summary it cannot write, as the publisher expects to warn about', async () => {
  delete process.env.GITHUB_STEP_SUMMARY
  await expect(port.appendSummary('x')).rejects.toThrow(/GITHUB_STEP_SUMMARY/)
  process.env.GITHUB_OUTPUT = join(dir, 'missing', 'output')
  expect(() => port.setOutput('a', 'b')).toThrow(/Missing file/)
})

it('fails the step without a word when the failure was said already', () => {
  port.markFailed()
  expect(stdout).toEqual([])
  expect(process.exitCode).toBe(1)
})
