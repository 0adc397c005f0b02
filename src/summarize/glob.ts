/**
 * The `reports` input's glob, without a dependency: Node 22's `fs.glob` is not in Node 20, which the
 * tests run on, and the one rule this needs is small. The syntax is the action's one glob
 * (../common/glob.ts), with `?` as a wildcard: `*` and `?` match within one path segment, `**` any
 * number of segments (`a/**\/b` matches `a/b` too); everything else is literal. The walk starts at
 * the pattern's literal prefix, follows no symbolic link to a directory (no loops), and sorts its result
 * so every run lists the legs in the same order.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { globToRegExp } from '../common/glob.js'

/** The glob as an anchored regular expression over `/`-separated relative paths (`?` is a wildcard). */
export function fileGlobToRegExp(glob: string): RegExp {
  return globToRegExp(glob, { questionMark: true })
}

/** The segments before the first one with a wildcard: where the walk starts. */
function literalPrefix(segments: string[]): string[] {
  const i = segments.findIndex((s) => /[*?]/.test(s))
  return i === -1 ? segments.slice(0, -1) : segments.slice(0, i)
}

/**
 * The regular files that match `pattern`, relative to `cwd` unless the pattern is absolute, as absolute
 * paths, sorted. At most `limit` (then `truncated`).
 */
export function findFiles(
  pattern: string,
  cwd: string,
  limit = 10_000
): { files: string[]; truncated: boolean } {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '')
  const absolute = isAbsolute(normalized)
  if (!/[*?]/.test(normalized)) {
    // No wildcard: the one file, if it is one.
    const path = resolve(cwd, normalized)
    return { files: isFile(path) ? [path] : [], truncated: false }
  }
  const segments = normalized.split('/').filter((s) => s !== '')
  const prefix = literalPrefix(segments)
  const base = resolve(absolute ? '/' : cwd, ...prefix)
  const rest = fileGlobToRegExp(segments.slice(prefix.length).join('/'))
  const files: string[] = []
  let truncated = false
  const walk = (dir: string): void => {
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (truncated) return
      const path = join(dir, entry.name)
      const rel = relative(base, path).split(sep).join('/')
      if (entry.isDirectory()) walk(path)
      else if ((entry.isFile() || (entry.isSymbolicLink() && isFile(path))) && rest.test(rel)) {
        if (files.length >= limit) truncated = true
        else files.push(path)
      }
    }
  }
  walk(base)
  return { files, truncated }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
