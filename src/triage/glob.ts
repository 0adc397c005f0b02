/**
 * The ignore file's path globs: `*` matches within one path segment, `**` across segments, anything
 * else is literal. The whole path must match (`/api/*` matches `/api/users`, not `/api/users/1`).
 */

/** `glob` as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i)
    if (c === '*') {
      if (glob.charAt(i + 1) === '*') {
        i++
        // `/**/` also matches a single `/`, so `/api/**/x` matches `/api/x`.
        if (glob.charAt(i + 1) === '/' && (i === 1 || glob.charAt(i - 2) === '/')) {
          i++
          out += '(?:.*/)?'
        } else out += '.*'
      } else out += '[^/]*'
    } else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

export function globMatches(glob: string, path: string): boolean {
  return globToRegExp(glob).test(path)
}

/**
 * Paths of every shape a request can have: a rule that matches all of them matches every endpoint, so
 * would make every finding not count (and, for `exclude` in scan mode, leave the node nothing to record).
 */
const EVERY_PATH_PROBES = ['/', '/a', '/a/b', '/a/b/c.json', '/A-b_c/~x/%20/1', '/.well-known/x']

/** Whether `test` holds for a path of every shape (see {@link EVERY_PATH_PROBES}). */
export function matchesEveryPath(test: (path: string) => boolean): boolean {
  return EVERY_PATH_PROBES.every(test)
}
