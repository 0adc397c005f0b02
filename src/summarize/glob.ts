/**
 * The `reports` input's files, found by `@actions/glob`, the matcher `actions/upload-artifact` uses for its
 * `path`: the same patterns (`*`, `?`, `[...]` within a folder, `**` across folders), one pattern a line,
 * `!` before a pattern to leave out what it matches, `#` for a comment line, and a folder standing for every
 * file under it. A relative pattern is relative to the workspace (the runner's working directory, which
 * `@actions/glob` takes for the root: the workspace is passed in instead, so the tests and the action
 * agree). Symbolic links are not followed into folders (a link loop in a download folder ends nothing),
 * and the files are sorted, so every run lists the legs in the same order.
 */
import { create } from '@actions/glob'
import { isAbsolute } from 'node:path'

/**
 * `path` as a glob that matches only itself, as `@actions/glob` escapes the working directory it roots
 * relative patterns at (its own helper is internal): `*`, `?` and a `[` that a `]` follows in its
 * segment are made literal with brackets, `\` is doubled.
 */
function globEscape(path: string): string {
  return path
    .replace(/\\/g, '\\\\')
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]')
}

/** Each line of `patterns` rooted at `cwd` when it is relative (a `!` kept in front). */
export function rootedPatterns(patterns: string, cwd: string): string {
  const root = globEscape(cwd.replace(/\/+$/, ''))
  return patterns
    .split(/\r?\n/)
    .map((line) => {
      const trimmed = line.trim()
      if (trimmed === '' || trimmed.startsWith('#')) return trimmed
      const negated = trimmed.startsWith('!')
      const pattern = (negated ? trimmed.slice(1).trim() : trimmed).replace(/^\.\//, '')
      const rooted = isAbsolute(pattern) ? pattern : `${root}/${pattern}`
      return `${negated ? '!' : ''}${rooted}`
    })
    .join('\n')
}

/**
 * The files that `patterns` match (one a line, see the module comment), as absolute paths, sorted. At
 * most `limit` (then `truncated`): the search stops there.
 */
export async function findFiles(
  patterns: string,
  cwd: string,
  limit = 10_000
): Promise<{ files: string[]; truncated: boolean }> {
  const globber = await create(rootedPatterns(patterns, cwd), {
    followSymbolicLinks: false,
    implicitDescendants: true,
    matchDirectories: false
  })
  const files: string[] = []
  let truncated = false
  for await (const file of globber.globGenerator()) {
    if (files.length >= limit) {
      truncated = true
      break
    }
    files.push(file)
  }
  return { files: files.sort(), truncated }
}
