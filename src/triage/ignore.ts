/**
 * The ignore file (`ignore-file`, YAML): findings a team has decided not to gate on, each with a reason.
 *
 * ```yaml
 * ignore:
 *   - type: xss
 *     path: /api/**        # a glob: * within a segment, ** across
 *     reason: output is escaped by the template layer
 *     ticket: SEC-12
 *     expires: 2026-03-31  # YYYY-MM-DD; past it the finding counts again
 * ```
 *
 * An entry names any of `type`, `method`, `domain`, `path`, `parameter`, `id` (a Wallarm vulnerability
 * id: a new run's vulnerabilities have new ids, so it matches one run only); every field it names must
 * match. A `path` matches the finding's path as it is, or as its template (../common/path-template.ts):
 * the glob's own id segments are templated too, so `/users/123` matches the finding at `/users/456`.
 * With `openapi`, "its template" is the spec's (`/v1/users/{userId}`), and a template's parameter names
 * never decide (`/users/{id}` in the file matches `/users/{userId}`: ../common/path-template.ts).
 * A bad file fails the step with the file, the line and what is allowed, before any API call. A UTF-8
 * byte-order mark is accepted.
 */
import { readFileSync } from 'node:fs'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import type { Finding } from '../report/model.js'
import { isDate } from './dates.js'
import { TriageFileError } from './errors.js'
import { globToRegExp } from '../common/glob.js'
import { comparableTemplate, templatePath, type PathTemplateResolver } from '../common/path-template.js'
import { matchesEveryPath } from './match-all.js'

export interface IgnoreEntry {
  type?: string | undefined
  method?: string | undefined
  domain?: string | undefined
  /** A glob (see ../common/glob.ts). */
  path?: string | undefined
  parameter?: string | undefined
  /** A Wallarm vulnerability id (exact decimal text). */
  id?: string | undefined
  reason: string
  ticket?: string | undefined
  /** YYYY-MM-DD. */
  expires?: string | undefined
  /** The entry's line in the file, for messages. */
  line: number
}

const MATCH_KEYS = ['type', 'method', 'domain', 'path', 'parameter', 'id'] as const
const ENTRY_KEYS = [...MATCH_KEYS, 'reason', 'ticket', 'expires'] as const
const ALLOWED = `allowed are ${ENTRY_KEYS.join(', ')}`

/** Reads `file`; a missing file is no entries (`missing: true`). */
export function readIgnoreFile(file: string, shown = file): { entries: IgnoreEntry[]; missing: boolean } {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], missing: true }
    throw new TriageFileError(shown, undefined, `cannot be read (${(err as Error).message})`)
  }
  return { entries: parseIgnoreFile(text, shown), missing: false }
}

export function parseIgnoreFile(text: string, file: string): IgnoreEntry[] {
  const lines = new LineCounter()
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true
  })
  const lineOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lines.linePos(node.range[0]).line : undefined
  const firstError = doc.errors[0]
  if (firstError) {
    const line = lines.linePos(firstError.pos[0]).line
    throw new TriageFileError(file, line, `is not valid YAML (${firstError.message.split('\n')[0]})`)
  }
  const root = doc.contents
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return []
  if (!isMap(root)) throw new TriageFileError(file, lineOf(root), 'expected a mapping with the key "ignore"')
  let list: Node | null | undefined
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (key !== 'ignore') {
      throw new TriageFileError(
        file,
        lineOf(pair.key),
        `unknown key "${key}": the only key allowed is ignore`
      )
    }
    list = pair.value
  }
  if (list === undefined || list === null || (isScalar(list) && list.value === null)) return []
  if (!isSeq(list)) throw new TriageFileError(file, lineOf(list), '"ignore" must be a list of entries')

  return list.items.map((item, i) => {
    const node = item as Node
    const at = lineOf(node) ?? 1
    if (!isMap(node)) {
      throw new TriageFileError(file, at, `entry ${i + 1} must be a mapping (${ALLOWED})`)
    }
    const entry: Record<string, string> = {}
    for (const pair of node.items) {
      const keyNode = pair.key as Node
      const key = isScalar(keyNode) ? String(keyNode.value) : ''
      const line = lineOf(keyNode) ?? at
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) {
        throw new TriageFileError(file, line, `unknown key "${key}": ${ALLOWED}`)
      }
      const value = pair.value as Node | null
      const v = isScalar(value) ? value.value : undefined
      if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '') {
        throw new TriageFileError(file, line, `"${key}" must be a single non-empty value`)
      }
      entry[key] = String(v).trim()
    }
    if (entry.reason === undefined) {
      throw new TriageFileError(
        file,
        at,
        `entry ${i + 1} has no "reason": every entry says why it is ignored`
      )
    }
    if (!MATCH_KEYS.some((k) => entry[k] !== undefined)) {
      throw new TriageFileError(
        file,
        at,
        `entry ${i + 1} matches everything: name at least one of ${MATCH_KEYS.join(', ')}`
      )
    }
    // `path: '**'` alone names a key but matches as much as naming none: every located finding.
    const path = entry.path
    if (
      path !== undefined &&
      MATCH_KEYS.every((k) => k === 'path' || entry[k] === undefined) &&
      matchesEveryPath((p) => globToRegExp(path).test(p))
    ) {
      throw new TriageFileError(
        file,
        at,
        `entry ${i + 1} matches everything: "path" is "${path}", which matches every path; name a narrower path, or one of ${MATCH_KEYS.filter((k) => k !== 'path').join(', ')}`
      )
    }
    if (entry.expires !== undefined && !isDate(entry.expires)) {
      throw new TriageFileError(
        file,
        at,
        `entry ${i + 1}: "expires" is "${entry.expires}": expected a date written YYYY-MM-DD`
      )
    }
    if (entry.id !== undefined && !/^\d+$/.test(entry.id)) {
      throw new TriageFileError(
        file,
        at,
        `entry ${i + 1}: "id" is "${entry.id}": expected a Wallarm vulnerability id (a whole number)`
      )
    }
    return { ...(entry as unknown as Omit<IgnoreEntry, 'line'>), line: at }
  })
}

/**
 * Whether every field `entry` names matches `f` (type, method, domain: any case; path: the glob), with the
 * spec's templates when `resolve` is given (`openapi`).
 */
export function ignoreMatches(entry: IgnoreEntry, f: Finding, resolve?: PathTemplateResolver): boolean {
  const same = (a: string | undefined, b: string | undefined): boolean =>
    a === undefined || (b !== undefined && a.toLowerCase() === b.toLowerCase())
  return (
    same(entry.type, f.type) &&
    same(entry.method, f.method) &&
    same(entry.domain, f.domain) &&
    (entry.path === undefined ||
      (f.path !== undefined && pathMatches(entry.path, f.path, f.method, resolve))) &&
    (entry.parameter === undefined || entry.parameter === f.parameter) &&
    (entry.id === undefined || entry.id === f.id)
  )
}

/**
 * The glob matches the path as it is, or, both templated (by the spec where it knows the template, the
 * parameter names aside), the path's template (`/users/123` ~ `/users/456`).
 */
function pathMatches(
  glob: string,
  path: string,
  method: string | undefined,
  resolve: PathTemplateResolver | undefined
): boolean {
  if (globToRegExp(glob).test(path)) return true
  const where = { method: method?.toUpperCase(), resolve }
  const template = (p: string, by = where): string => comparableTemplate(templatePath(p, by))
  // A glob with a wildcard is no path: the spec's template of `/users/a*` would widen it to every user.
  const globWhere = glob.includes('*') ? { ...where, resolve: undefined } : where
  return globToRegExp(template(glob, globWhere)).test(template(path))
}

/** How an entry is named in messages: `.github/wallarm-fast-ignore.yml:4 (SEC-12)`. */
export function ignoreEntryName(file: string, entry: IgnoreEntry): string {
  return `${file}:${entry.line}${entry.ticket === undefined ? '' : ` (${entry.ticket})`}`
}
