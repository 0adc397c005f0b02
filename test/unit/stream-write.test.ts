/**
 * The report files are written piece by piece (src/report/stream-write.ts) so that 20,000 findings are never
 * held as one string: the bytes must be exactly those of the whole-string serialisation they replace, the
 * secrets masked the same way, whatever the strings hold and wherever a piece ends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeReports } from '../../src/action/files.js'
import { buildJsonReport } from '../../src/report/json-report.js'
import { buildJunit } from '../../src/report/junit.js'
import type { Finding } from '../../src/report/model.js'
import { buildSarif } from '../../src/report/sarif.js'
import { FileSink, writeJsonFile, writeTextFile } from '../../src/report/stream-write.js'
import { Redactor } from '../../src/text/untrusted.js'
import { runReport } from '../support/fixtures.js'

const TOKEN = 'fast-node-token-0123456789'
const API_TOKEN = 'wallarm-api-token-ABCDEFGH'
const base64Token = Buffer.from(TOKEN).toString('base64')

/** Strings a report may carry from the API: quotes, escapes, control characters, any Unicode, secrets. */
const NASTY = [
  '',
  'plain',
  'say "hi" \\ back\\slash / slash',
  'line\nbreak\r\ncarriage\ttab\u0000nul\u001f\u007f\u2028\u2029',
  'ünïcödé 日本語 🐍🧨 e\u0301',
  'lone \ud800 high, lone \udc00 low',
  TOKEN,
  `${TOKEN} at the start`,
  `at the end ${TOKEN}`,
  `two: ${TOKEN}${TOKEN}`,
  `in base64 ${base64Token}.`,
  `the other ${API_TOKEN}"quoted"`,
  '</testcase><![CDATA[ ]]> & &amp; <x a="1">'
]

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wallarm-stream-'))
  dirs.push(dir)
  return dir
}

/** What the action wrote before the files were streamed. */
const wholeJson = (value: unknown, redactor: Redactor): string =>
  `${JSON.stringify(redactor.deep(value), null, 2)}\n`

describe('writeJsonFile', () => {
  const odd = {
    strings: NASTY,
    [`key ${TOKEN}`]: 'a key with a secret moves to the end, as Redactor.deep moves it',
    numbers: [0, -0, 1.5e300, -1e-7, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 1],
    literals: [true, false, null],
    empty: { array: [], object: {}, string: '' },
    left: { undefined: undefined, fn: () => 1, symbol: Symbol('s'), kept: 1 },
    holes: [undefined, () => 1, Symbol('s'), 'kept'],
    onlyUndefined: { a: undefined },
    date: new Date(0),
    withToJson: { toJSON: () => ({ replaced: TOKEN }) },
    deep: { a: { b: { c: { d: { e: { f: [NASTY, { g: [[[]]] }] } } } } } },
    nestedArrays: [[[[[1, [2, [3]]]]]]],
    [TOKEN]: { [TOKEN]: [TOKEN] }
  }

  for (const [name, secrets] of [
    ['with secrets to mask', [TOKEN, API_TOKEN]],
    ['with no secret', []]
  ] as const) {
    it(`writes exactly JSON.stringify(redactor.deep(value), null, 2) + newline, ${name}`, () => {
      const redactor = new Redactor(secrets)
      const dir = tempDir()
      for (const [i, value] of [odd, NASTY, 'just a string', 42, null, [], {}, [odd, [odd]]].entries()) {
        const file = join(dir, `${i}.json`)
        writeJsonFile(file, value, redactor)
        expect(readFileSync(file, 'utf8'), `value ${i}`).toBe(wholeJson(value, redactor))
      }
    })
  }

  it('masks a secret wherever it sits, also across the points where the file is flushed', () => {
    const redactor = new Redactor([TOKEN])
    // Far more than one flush (64 KB): the secret lands on every offset modulo the flush size.
    const items = Array.from({ length: 3000 }, (_, i) => ({
      id: i,
      pad: 'x'.repeat(i % 97),
      title: `${TOKEN}${'é'.repeat(i % 5)}${TOKEN}`
    }))
    const file = join(tempDir(), 'big.json')
    writeJsonFile(file, { items }, redactor)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(TOKEN)
    expect(text).toBe(wholeJson({ items }, redactor))
  })

  it('refuses a value that is no JSON at all, and leaves no file descriptor open', () => {
    const file = join(tempDir(), 'none.json')
    expect(() => writeJsonFile(file, undefined, new Redactor([]))).toThrow(/serialise/)
    expect(readFileSync(file, 'utf8')).toBe('')
  })
})

describe('writeTextFile', () => {
  it('masks each piece whole: a secret in any piece, at its start or end', () => {
    const pieces = [`${TOKEN} head\n`, ...NASTY.map((s) => `<case>${s}</case>\n`), `tail ${TOKEN}`]
    const file = join(tempDir(), 'pieces.txt')
    writeTextFile(file, pieces, new Redactor([TOKEN, API_TOKEN]))
    // Compared as bytes: a lone surrogate is written as U+FFFD, by writeFileSync as by this.
    expect(readFileSync(file)).toEqual(Buffer.from(new Redactor([TOKEN, API_TOKEN]).text(pieces.join(''))))
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain(API_TOKEN)
  })
})

describe('FileSink', () => {
  it('never splits a surrogate pair between two writes to the file', () => {
    const file = join(tempDir(), 'pairs.txt')
    const sink = new FileSink(file)
    // The high half ends one piece and the flush size, the low half starts the next piece.
    sink.write('a'.repeat(64 * 1024 - 1) + '\ud83d')
    sink.write('\udc0d and more')
    sink.close()
    expect(readFileSync(file, 'utf8')).toBe(`${'a'.repeat(64 * 1024 - 1)}🐍 and more`)
  })
})

describe('writeReports: the files, byte for byte as the whole-string serialisation wrote them', () => {
  const findings: Finding[] = Array.from({ length: 400 }, (_, i) => ({
    id: String(9000 + i),
    type: i % 3 === 0 ? 'sqli' : i % 3 === 1 ? 'xss' : 'ptrav',
    threat: 10 + (i % 90),
    method: i % 2 === 0 ? 'GET' : 'POST',
    domain: 'app.local',
    path: `/api/${NASTY[i % NASTY.length]!.slice(0, 20)}/${i}`,
    parameter: i % 4 === 0 ? undefined : `p"${i}`,
    title: NASTY[(i + 3) % NASTY.length],
    description: `${NASTY[i % NASTY.length]} ${TOKEN}`,
    exploitExample: `GET /api?q=${NASTY[(i + 7) % NASTY.length]}&t=${TOKEN} HTTP/1.1\nCookie: s=${API_TOKEN}`,
    ...(i % 5 === 0
      ? {
          decision: { status: 'ignored' as const, counted: false, inBaseline: false, reason: `why ${TOKEN}` }
        }
      : {})
  }))

  it('JSON report, SARIF and JUnit: identical bytes, every token masked', () => {
    const secrets = [TOKEN, API_TOKEN]
    const report = runReport({ findings, mode: 'stop', conclusion: 'failed', reason: `reason ${TOKEN}` })
    const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
    const written = writeReports(report, {
      env: { RUNNER_TEMP: tempDir() },
      sarif: true,
      toolVersion: '9.9.9',
      legName: `leg "${TOKEN}"`,
      now,
      secrets
    })
    const redactor = new Redactor(secrets)
    const json = buildJsonReport(report, {
      generatedAt: now.toISOString(),
      toolVersion: '9.9.9',
      legName: `leg "${TOKEN}"`
    })
    const sarif = buildSarif(report, { toolVersion: '9.9.9', legName: `leg "${TOKEN}"` })
    const expected: Array<[string | undefined, string]> = [
      [written.reportPath, wholeJson(json, redactor)],
      [written.sarifPath, wholeJson(sarif, redactor)],
      [written.junitPath, redactor.text(buildJunit(report))]
    ]
    for (const [file, text] of expected) {
      expect(file).toBeDefined()
      const actual = readFileSync(file!, 'utf8')
      expect(actual, file).toBe(text)
      expect(actual, file).not.toContain(TOKEN)
      expect(actual, file).not.toContain(API_TOKEN)
      expect(actual, file).toContain('***')
    }
  })
})
