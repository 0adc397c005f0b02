/**
 * Whether a rule matches every endpoint: an `exclude` regex or an ignore entry's path glob that does
 * would set every finding aside, so such a rule is refused before any API call.
 */

/**
 * Paths of every shape a request can have: a rule that matches all of them matches every endpoint, so
 * would make every finding not count (and, for `exclude` in scan mode, leave the node nothing to record).
 */
const EVERY_PATH_PROBES = ['/', '/a', '/a/b', '/a/b/c.json', '/A-b_c/~x/%20/1', '/.well-known/x']

/** Whether `test` holds for a path of every shape (see {@link EVERY_PATH_PROBES}). */
export function matchesEveryPath(test: (path: string) => boolean): boolean {
  return EVERY_PATH_PROBES.every(test)
}
