/**
 * `exclude`: endpoints out of scope, one rule a line, `[METHOD[,METHOD]] <path regex>`, the regex
 * matched against the whole path (`POST ^/logout$`, `DELETE .*`, `/admin/.*`). Blank lines and lines
 * starting with `#` are skipped. In scan mode the hop sends matching requests straight to the target
 * (never to the node); in every mode findings on them are `out of scope`.
 */
import { Inputs } from '../common/constants.js'
import { InputError } from '../inputs/parse.js'
import { matchesEveryPath } from './match-all.js'

export interface ExcludeRule {
  /** Upper case; undefined matches every method. */
  methods?: readonly string[] | undefined
  /** Anchored: matches the whole path. */
  path: RegExp
  /** The line as written, for messages. */
  text: string
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']
const ALLOWED =
  'expected one rule a line, [METHOD[,METHOD]] <path regex>, such as "POST ^/logout$" or "DELETE .*"'

/** @throws InputError naming `exclude`, the line and what is allowed */
export function parseExclude(value: string): ExcludeRule[] {
  const rules: ExcludeRule[] = []
  for (const raw of value.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([A-Za-z]+(?:,[A-Za-z]+)*)\s+(\S.*)$/.exec(line)
    let methods: string[] | undefined
    let pattern = line
    if (m?.[1] !== undefined && m[2] !== undefined) {
      methods = m[1].split(',').map((x) => x.toUpperCase())
      const unknown = methods.find((x) => !METHODS.includes(x))
      if (unknown !== undefined) {
        throw new InputError(
          Inputs.Exclude,
          line,
          `"${unknown}" is not an HTTP method (${METHODS.join(', ')}); ${ALLOWED}`
        )
      }
      pattern = m[2]
    }
    let path: RegExp
    try {
      // Anchored as well as the user's own ^ and $: the rule is about the whole path.
      path = new RegExp(`^(?:${pattern})$`)
    } catch (err) {
      throw new InputError(
        Inputs.Exclude,
        line,
        `the path is not a valid regular expression (${(err as Error).message}); ${ALLOWED}`
      )
    }
    // A rule that takes every endpoint out of scope leaves nothing to test: a pass would mean nothing.
    if (
      (methods === undefined || METHODS.every((x) => methods.includes(x))) &&
      matchesEveryPath((p) => path.test(p))
    ) {
      throw new InputError(
        Inputs.Exclude,
        line,
        'it matches every path with every method, so nothing would be tested (and in scan mode no request would reach the FAST node): ' +
          `name the endpoints out of scope, or the methods (such as "DELETE .*"); ${ALLOWED}`
      )
    }
    rules.push({ methods, path, text: line })
  }
  return rules
}

/** The first rule that matches `method` and `path` (the path without its query), if any. */
export function excludedBy(
  rules: readonly ExcludeRule[],
  method: string | undefined,
  path: string | undefined
): ExcludeRule | undefined {
  if (path === undefined) return undefined
  const bare = path.split('?')[0] ?? path
  const verb = method?.toUpperCase()
  return rules.find(
    (r) => (r.methods === undefined || (verb !== undefined && r.methods.includes(verb))) && r.path.test(bare)
  )
}
