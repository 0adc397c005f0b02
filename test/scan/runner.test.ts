import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { removeLeftContainer, scanPorts } from '../../src/scan/runner.js'

const TOKEN = 'fast-runner-s3cr3t'
const FAKE_DOCKER_DIR = resolve(import.meta.dirname, 'fixtures')

/** A runner that notes what scan mode tells it. */
function fakeRunner(state: Record<string, string> = {}) {
  const lines: string[] = []
  return {
    lines,
    state,
    info: (m: string) => void lines.push(m),
    warning: (m: string) => void lines.push(`warning: ${m}`),
    saveState: (n: string, v: string) => void (state[n] = v),
    getState: (n: string) => state[n] ?? ''
  }
}

describe('scanPorts: scan mode on the runner', () => {
  it('keeps the container in the step’s state and draws groups with the runner’s commands', () => {
    const runner = fakeRunner()
    const ports = scanPorts(
      runner,
      { RUNNER_TEMP: '/runner/tmp', GITHUB_RUN_ID: '77' },
      TOKEN,
      'https://us1.api.wallarm.com'
    )
    expect(ports).toMatchObject({ tempDir: '/runner/tmp', labelValue: '77', token: TOKEN })
    ports.onContainer('wallarm-fast-abc')
    expect(runner.state).toEqual({ 'node-container': 'wallarm-fast-abc' })
    ports.onContainer(undefined)
    expect(runner.state).toEqual({ 'node-container': '' })
    ports.group('Log 100%\nof it', 'line 1\n  ::error::from the node\r\nline ##[3]')
    expect(runner.lines).toEqual([
      '::group::Log 100%25%0Aof it',
      'line 1\n  :\u2060:error::from the node\nline ##\u2060[3]',
      '::endgroup::'
    ])
    expect(scanPorts(fakeRunner(), {}, TOKEN, 'x').tempDir).toBe(tmpdir())
  })

  it('the command’s output: byte for byte with workflow commands off, on again on a line of its own', async () => {
    const runner = fakeRunner()
    const ports = scanPorts(runner, {}, TOKEN, 'x', (chunk, done) => {
      runner.lines.push(`raw:${chunk.toString()}`)
      done()
    })
    const log = ports.commandOutput!()
    log.write(Buffer.from('::error::forged\n::stop-commands::x\nno line break'))
    log.close()
    log.close()
    await log.flushed()
    const off = runner.lines[0]!
    expect(off).toMatch(/^::stop-commands::fast-[0-9a-f-]{36}$/)
    expect(runner.lines.slice(1)).toEqual([
      'raw:::error::forged\n::stop-commands::x\nno line break',
      `raw:\n::${off.slice('::stop-commands::'.length)}::\n`
    ])
    // A fresh token every time: output cannot learn it from an earlier run.
    const next = ports.commandOutput!()
    next.close()
    await next.flushed()
    expect(runner.lines[3]).toMatch(/^::stop-commands::fast-/)
    expect(runner.lines[3]).not.toBe(off)
    // No output (or output that ended with a line break): no blank line before the resume.
    expect(runner.lines[4]).toBe(`raw:::${runner.lines[3]!.slice('::stop-commands::'.length)}::\n`)
  })

  it('after the resume, what processes left in the background print is neutralised, a whole line at a time', async () => {
    const runner = fakeRunner()
    const ports = scanPorts(runner, {}, TOKEN, 'x', (chunk, done) => {
      runner.lines.push(`raw:${chunk.toString()}`)
      done()
    })
    const log = ports.commandOutput!()
    log.write(Buffer.from('tests done\n'))
    log.resume()
    await log.flushed()
    const resumed = runner.lines.length
    // A command split across writes, and a line ending in CRLF; a multi-byte character split too.
    log.write(Buffer.from('::err'))
    log.write(Buffer.from('or title=Wallarm FAST%3A passed::all clear\r\nserver: GET /?q=##[x] '))
    const euro = Buffer.from('€')
    log.write(euro.subarray(0, 1))
    log.write(Buffer.concat([euro.subarray(1), Buffer.from('\n  ::stop-commands::mine\nlast')]))
    log.close()
    await log.flushed()
    expect(runner.lines.slice(resumed).join('').replace(/^raw:/gm, '')).toBe(
      [
        ':\u2060:error title=Wallarm FAST%3A passed::all clear',
        'server: GET /?q=##\u2060[x] €',
        '  :\u2060:stop-commands::mine',
        'last',
        ''
      ].join('\n')
    )
    expect(runner.lines.slice(0, resumed)).toEqual([
      expect.stringMatching(/^::stop-commands::fast-/),
      'raw:tests done\n',
      `raw:::${runner.lines[0]!.slice('::stop-commands::'.length)}::\n`
    ])
  })

  it('back-pressure: one piece at a time goes to the runner, the rest waits in a bounded buffer and asks its writer to wait', async () => {
    const runner = fakeRunner()
    const held: (() => void)[] = []
    const given: Buffer[] = []
    const ports = scanPorts(runner, {}, TOKEN, 'x', (chunk, done) => {
      given.push(chunk)
      held.push(done)
    })
    const log = ports.commandOutput!()
    const answers = Array.from({ length: 40 }, (_, i) => log.write(Buffer.alloc(65_536, i)))
    // The runner has not read the first piece: nothing more is handed to it, and the writer is told to wait.
    expect(given).toHaveLength(1)
    expect(answers.indexOf(false)).toBeGreaterThan(0)
    expect(answers.indexOf(false)).toBeLessThanOrEqual(17)
    const drained = new Promise((resolve) => log.once('drain', resolve))
    // The runner reads on: every piece, in order.
    while (given.length < 40 || held.length > 0) {
      held.shift()?.()
      await new Promise((r) => setImmediate(r))
    }
    await drained
    expect(given.map((c) => c[0])).toEqual(Array.from({ length: 40 }, (_, i) => i))
  })
})

describe('removeLeftContainer: the post step', () => {
  const env = (mode: string, dir: string): NodeJS.ProcessEnv => ({
    PATH: `${FAKE_DOCKER_DIR}:${process.env.PATH}`,
    FAKE_DOCKER_LOG: join(dir, 'calls'),
    FAKE_DOCKER_MODE: mode
  })
  it('removes the container a killed step left, says when it was gone, does nothing without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-post-'))
    const runner = fakeRunner({ 'node-container': 'wallarm-fast-left' })
    await removeLeftContainer(runner, env('ok', dir))
    await removeLeftContainer(runner, env('gone', dir))
    expect(runner.lines).toEqual([
      'The FAST node container wallarm-fast-left was removed.',
      'The FAST node container wallarm-fast-left was already gone.'
    ])
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(
      '\trm --force wallarm-fast-left\n\trm --force wallarm-fast-left\n'
    )
    const none = fakeRunner()
    await removeLeftContainer(none, env('ok', dir))
    expect(none.lines).toEqual([])
  })
  it('only warns when docker cannot remove it', async () => {
    const runner = fakeRunner({ 'node-container': 'wallarm-fast-left' })
    await removeLeftContainer(runner, { PATH: '/nonexistent' })
    expect(runner.lines).toEqual([
      expect.stringMatching(/^warning: Removing the FAST node's container wallarm-fast-left failed/)
    ])
  })
})
