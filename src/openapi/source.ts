/**
 * The files of one API description: each read and parsed once with the `yaml` package (YAML and JSON
 * alike, with source ranges), lines counted, kept inside the workspace; `$ref`s followed by relative
 * file and JSON pointer.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { OpenApiError } from './errors.js'

export interface SourceFile {
  /** The absolute path. */
  abs: string
  /** Relative to the workspace, `/`-separated: how messages and code scanning name it. */
  shown: string
  doc: Document
  lines: LineCounter
}

/** Where something is: for messages. */
export interface Place {
  file: string
  line: number
}

/** A node and the file that defines it. */
export interface Located {
  source: SourceFile
  node: Node | null
}

export class Sources {
  private readonly files = new Map<string, SourceFile>()
  private readonly root: string

  constructor(readonly workspace: string) {
    this.root = realOrSelf(resolve(workspace))
  }

  /** Relative to the workspace, `/`-separated. */
  shown(abs: string): string {
    return relative(resolve(this.workspace), abs).split(sep).join('/') || abs
  }

  /** The 1-based line where `node` starts (1 when it has no range, as an empty document). */
  lineOf(source: SourceFile, node: Node | null | undefined): number {
    return node?.range ? source.lines.linePos(node.range[0]).line : 1
  }

  /** Reads and parses `abs` (once). `from` is the `$ref` that led here, if any, for messages. */
  open(abs: string, from?: Place): SourceFile {
    const known = this.files.get(abs)
    if (known) return known
    const shown = this.shown(abs)
    const refuse = (problem: string): never => {
      if (from) throw new OpenApiError(from.file, from.line, `$ref to ${shown}: ${problem}`)
      throw new OpenApiError(shown, undefined, problem)
    }
    if (!inside(this.root, realOrSelf(abs)) || !inside(resolve(this.workspace), abs)) {
      refuse('is outside the workspace; the API description and its $refs must be files of the repository')
    }
    let text = ''
    try {
      text = readFileSync(abs, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      refuse(
        code === 'ENOENT'
          ? 'no such file (the path is relative to the workspace, the root of the repository)'
          : `cannot be read (${code ?? (err as Error).message})`
      )
    }
    const lines = new LineCounter()
    // uniqueKeys compares every key with every other (twice the parse time on a 500-operation spec): the
    // maps this layer reads are checked by uniqueKeys() below instead.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false })
    const firstError = doc.errors[0]
    if (firstError) {
      const line = lines.linePos(firstError.pos[0]).line
      throw new OpenApiError(
        shown,
        line,
        `is not valid YAML or JSON (${firstError.message.split('\n')[0] ?? firstError.code})`
      )
    }
    const source: SourceFile = { abs, shown, doc, lines }
    this.files.set(abs, source)
    return source
  }

  /**
   * Follows one `$ref` (`./paths/users.yaml`, `paths.yaml#/users`, `#/components/pathItems/Users`),
   * relative to the file that holds it.
   */
  follow(from: SourceFile, ref: string, at: Place): Located {
    const hash = ref.indexOf('#')
    const filePart = hash < 0 ? ref : ref.slice(0, hash)
    const pointer = hash < 0 ? '' : ref.slice(hash + 1)
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(filePart) || filePart.startsWith('//')) {
      throw new OpenApiError(
        at.file,
        at.line,
        `$ref "${ref}" is not a file of the repository: remote references are not followed`
      )
    }
    const target = filePart === '' ? from : this.open(resolve(dirname(from.abs), decode(filePart)), at)
    const node = pointAt(target, decode(pointer))
    if (node === undefined) {
      throw new OpenApiError(at.file, at.line, `$ref "${ref}": ${target.shown} has nothing at "#${pointer}"`)
    }
    return { source: target, node }
  }
}

/** Resolves YAML aliases (`*name`) to the node they stand for. */
export function deref(source: SourceFile, node: Node | null | undefined): Node | null {
  let current = node ?? null
  for (let i = 0; i < 100 && current !== null && isAlias(current); i++) {
    current = (current.resolve(source.doc) as Node | undefined) ?? null
  }
  return current
}

/** The value of `key` in a mapping node, with the key's node (for its line). */
export function entry(
  source: SourceFile,
  map: Node | null,
  key: string
): { key: Node; value: Node | null } | undefined {
  if (!isMap(map)) return undefined
  for (const pair of map.items) {
    const k = pair.key as Node | null
    if (isScalar(k) && String(k.value) === key)
      return { key: k, value: deref(source, pair.value as Node | null) }
  }
  return undefined
}

/** @throws OpenApiError at the second of two equal keys of a mapping (YAML and JSON both forbid them) */
export function uniqueKeys(source: SourceFile, map: Node | null): void {
  if (!isMap(map)) return
  const seen = new Set<string>()
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null
    const key = text(keyNode)
    if (key === undefined) continue
    if (seen.has(key)) {
      const line = keyNode?.range ? source.lines.linePos(keyNode.range[0]).line : 1
      throw new OpenApiError(source.shown, line, `the key "${key}" appears twice in one mapping`)
    }
    seen.add(key)
  }
}

/** A scalar's text, else undefined. */
export function text(node: Node | null | undefined): string | undefined {
  if (!isScalar(node)) return undefined
  const value: unknown = node.value
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined
}

/** RFC 6901: `/a~1b/0` → the node, undefined when absent. The empty pointer is the whole document. */
function pointAt(source: SourceFile, pointer: string): Node | null | undefined {
  let node = deref(source, source.doc.contents)
  if (pointer === '') return node
  if (!pointer.startsWith('/')) return undefined
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (isSeq(node)) {
      const item = /^\d+$/.test(token) ? node.items[Number(token)] : undefined
      if (item === undefined) return undefined
      node = deref(source, item as Node)
    } else {
      const found = entry(source, node, token)
      if (!found) return undefined
      node = found.value
    }
  }
  return node
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}

/** The real path (symlinks followed) where the file exists, else the path itself. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}
