/**
 * The real runner port over @actions/core: what it writes where the runner reads it (workflow commands
 * on stdout, the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV / GITHUB_STEP_SUMMARY files).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { corePort } from '../../src/action/core-port.js'

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
  expect(corePort.getInput('api-host')).toBe('eu')
  expect(corePort.getInput('missing')).toBe('')
  expect(corePort.getState('is-post')).toBe('true')
})

it('writes outputs, state and exported variables to the runner files', () => {
  corePort.setOutput('conclusion', 'passed')
  corePort.saveState('recording-test-run-id', '5')
  corePort.exportVariable('WALLARM_FAST_TEST_RUN_ID', '5')
  expect(file('GITHUB_OUTPUT')).toMatch(/^conclusion<<.+\npassed\n/)
  expect(file('GITHUB_STATE')).toMatch(/^recording-test-run-id<<.+\n5\n/)
  expect(file('GITHUB_ENV')).toMatch(/^WALLARM_FAST_TEST_RUN_ID<<.+\n5\n/)
  expect(process.env.WALLARM_FAST_TEST_RUN_ID).toBe('5')
})

it('logs through workflow commands, annotations with their title', () => {
  corePort.setSecret('s3cr3t')
  corePort.info('plain')
  corePort.warning('careful', { title: 'T' })
  corePort.error('broken', {})
  corePort.notice('fyi')
  corePort.setFailed('failed because')
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
  await corePort.appendSummary('## one')
  await corePort.appendSummary('## two')
  expect(file('GITHUB_STEP_SUMMARY')).toBe('## one\n## two\n')
})
