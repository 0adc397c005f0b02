/**
 * Report files written piece by piece: with 20,000 findings, a report built whole as one string (and its
 * redacted copy, and the Buffer `writeFileSync` makes of it) grew the heap by tens of megabytes per file.
 * Here a report is serialised value by value (a JUnit file test case by test case) into a small buffer
 * that is flushed to the file, so that only a few kilobytes are ever held as text, and nothing is copied
 * to be masked.
 *
 * The bytes are the same as before: `writeJsonFile` writes exactly
 * `JSON.stringify(redactor.deep(value), null, 2) + '\n'`, and the secrets are masked per whole value (a
 * string, a key) as `Redactor.deep` masks them, never per arbitrary chunk of bytes.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import type { Redactor } from '../text/untrusted.js'

/** How many characters are gathered before one write to the file. */
const FLUSH_CHARS = 64 * 1024

/** A file written in pieces: `write` gathers, and the file gets them in chunks of {@link FLUSH_CHARS}. */
export class FileSink {
  private readonly fd: number
  private pending: string[] = []
  private size = 0

  constructor(path: string) {
    this.fd = openSync(path, 'w')
  }

  write(text: string): void {
    this.pending.push(text)
    this.size += text.length
    if (this.size >= FLUSH_CHARS) this.flush()
  }

  /** Flushes what is left and closes the file (also when the writing failed, so no fd is left open). */
  close(): void {
    try {
      this.flush(false)
    } finally {
      closeSync(this.fd)
    }
  }

  /** Writes what was gathered; `keepHalf` keeps a trailing high surrogate for the low one still to come. */
  private flush(keepHalf = true): void {
    if (this.size === 0) return
    let text = this.pending.join('')
    this.pending = []
    this.size = 0
    const last = text.charCodeAt(text.length - 1)
    if (keepHalf && last >= 0xd800 && last <= 0xdbff) {
      this.pending.push(text.slice(-1))
      this.size = 1
      text = text.slice(0, -1)
    }
    // writeSync may write less than asked (a full disk is an error, not a short write, but a pipe is not).
    const bytes = Buffer.from(text, 'utf8')
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at)
  }
}

/** Writes pieces of text to `path`, each masked by `redactor` whole (a piece is one test case, one line). */
export function writeTextFile(path: string, pieces: Iterable<string>, redactor: Redactor): void {
  const sink = new FileSink(path)
  try {
    for (const piece of pieces) sink.write(redactor.text(piece))
  } finally {
    sink.close()
  }
}

/** Writes `JSON.stringify(redactor.deep(value), null, 2) + '\n'` to `path`, one member at a time. */
export function writeJsonFile(path: string, value: unknown, redactor: Redactor): void {
  const sink = new FileSink(path)
  try {
    const whole = leaf(value, 0, redactor)
    if (whole === undefined) throw new TypeError('a report must serialise to JSON')
    if (whole !== STRUCTURAL) sink.write(whole)
    else structural(value as object, 0, redactor, sink)
    sink.write('\n')
  } finally {
    sink.close()
  }
}

/** Marks a value that is written member by member rather than as one string. */
const STRUCTURAL = Symbol('structural')

/**
 * A value's JSON text at `depth` (its lines indented to it), or {@link STRUCTURAL} when it is an array or a
 * plain object, written member by member; undefined where JSON.stringify leaves it out (undefined, a
 * function, a symbol). A string is masked whole, as `Redactor.deep` masks it, and nothing is copied.
 */
function leaf(value: unknown, depth: number, redactor: Redactor): string | typeof STRUCTURAL | undefined {
  if (typeof value === 'string') return JSON.stringify(redactor.text(value))
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (isContainer(value)) return STRUCTURAL
  // An object with a toJSON of its own (a Date): serialised whole, as it was.
  const text = JSON.stringify(redactor.deep(value), null, 2) as string | undefined
  if (text === undefined || depth === 0) return text
  // Inside JSON text a newline is only ever layout (a newline in a string is written `\n`).
  return text.replace(/\n/g, `\n${'  '.repeat(depth)}`)
}

/** An array or object that JSON.stringify would walk as it is (no `toJSON` of its own to call first). */
function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function'
}

/**
 * Writes an array or object member by member, as JSON.stringify(…, null, 2) lays it out. Its keys are
 * masked as `Redactor.deep` masks them: on a shallow copy whose renamed keys move to its end.
 */
function structural(value: object, depth: number, redactor: Redactor, sink: FileSink): void {
  const array = Array.isArray(value)
  const members = maskedKeys(value, array, redactor)
  const inner = `\n${'  '.repeat(depth + 1)}`
  let written = 0
  const open = (): void => sink.write(written++ === 0 ? (array ? `[${inner}` : `{${inner}`) : `,${inner}`)
  if (array) {
    const items = members as unknown[]
    for (let i = 0; i < items.length; i++) {
      const item = leaf(items[i], depth + 1, redactor)
      open()
      if (item === STRUCTURAL) structural(items[i] as object, depth + 1, redactor, sink)
      else sink.write(item ?? 'null')
    }
  } else {
    const record = members as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const member = leaf(record[key], depth + 1, redactor)
      if (member === undefined) continue
      open()
      sink.write(`${JSON.stringify(key)}: `)
      if (member === STRUCTURAL) structural(record[key] as object, depth + 1, redactor, sink)
      else sink.write(member)
    }
  }
  if (written === 0) sink.write(array ? '[]' : '{}')
  else sink.write(`\n${'  '.repeat(depth)}${array ? ']' : '}'}`)
}

/** What `Redactor.deep` makes of one level: a shallow copy, each key masked and, when that changed it, moved. */
function maskedKeys(value: object, array: boolean, redactor: Redactor): object {
  if (!Object.keys(value).some((k) => redactor.text(k) !== k)) return value
  const copy = (array ? [...(value as unknown[])] : { ...value }) as Record<string, unknown>
  for (const k of Object.keys(copy)) {
    const clean = redactor.text(k)
    if (clean !== k) {
      copy[clean] = copy[k]
      delete copy[k]
    }
  }
  return copy
}
