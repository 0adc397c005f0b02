/**
 * A concrete request (method, path) to the operation that describes it. Per method, as the routers that
 * serve these APIs register their routes; then by path, segment by segment, under each operation's server
 * prefixes. Where several operations match, the most concrete wins (`/users/me` before `/users/{id}`);
 * where none is more concrete than all the others (`/{entity}/me` and `/books/{id}` for `/books/me`, or
 * two templates that differ only in their parameters' names) it is a tie, reported and never guessed.
 *
 * Why `openapi-path-templating` (Apache-2.0, swaggerexpert): it holds the specification's own grammar of
 * path templates, and its `isAmbiguous`/`match` decide "more concrete" exactly as the specification and
 * our tie rule want, including templates with several expressions in one segment (`/{name}.{ext}`),
 * percent-encoded literals and linear-time regular expressions for untrusted paths. Its own `match`
 * breaks ties by list order (a guess) and tries every template's regex on every path, so the index here
 * is ours: a tree of segments per method (a literal segment is a map lookup, a whole `{name}` segment
 * takes any one segment), the library's regex only for the rare mixed segments, and the library's
 * precedence asked once per pair of templates that match the same path.
 */
import { isAmbiguous, isIdentical, match as precedence, toRegExp } from 'openapi-path-templating'
import type { Operation } from './load.js'
import { segmentKind, segmentsOf, withoutQuery } from './template.js'

export type MatchResult =
  | {
      kind: 'operation'
      operation: Operation
      /** The template of the whole request path: the server prefix and the operation's template. */
      pathTemplate: string
    }
  | { kind: 'tie'; operations: Operation[]; pathTemplates: string[] }
  | { kind: 'none' }

export interface Matcher {
  readonly operations: readonly Operation[]
  /** The operation `method` `path` is a request to; a query string or fragment never decides. */
  match(method: string, path: string): MatchResult
}

interface Entry {
  operation: Operation
  pathTemplate: string
  /** Only where a segment is mixed (`{name}.json`): the library's expression for the whole path. */
  regExp?: RegExp | undefined
}

interface TreeNode {
  literal: Map<string, TreeNode>
  /** Segments that are, or hold, a template expression. */
  templated?: TreeNode
  entries: Entry[]
}

const node = (): TreeNode => ({ literal: new Map(), entries: [] })

export function createMatcher(operations: readonly Operation[]): Matcher {
  const trees = new Map<string, TreeNode>()
  for (const operation of operations) {
    const tree = trees.get(operation.method) ?? node()
    trees.set(operation.method, tree)
    for (const prefix of new Set(operation.prefixes)) {
      const segments = segmentsOf(`${prefix}${operation.template}`)
      let at = tree
      let mixed = false
      for (const segment of segments) {
        const kind = segmentKind(segment)
        mixed ||= kind === 'mixed'
        if (kind === 'literal') {
          const next = at.literal.get(segment) ?? node()
          at.literal.set(segment, next)
          at = next
        } else at = at.templated ??= node()
      }
      const pathTemplate = `/${segments.join('/')}`
      at.entries.push({ operation, pathTemplate, regExp: mixed ? toRegExp(pathTemplate) : undefined })
    }
  }
  const relations = new Map<Entry, Map<Entry, Relation>>()
  const order = new Map(operations.map((op, i) => [op, i]))

  return {
    operations,
    match(method, path) {
      const tree = trees.get(method.toUpperCase())
      if (!tree) return { kind: 'none' }
      const bare = pathOf(path)
      const found: Entry[] = []
      collect(tree, segmentsOf(bare), 0, found)
      const [only] = found
      // The common case, one plain template: no filtering, no ranking.
      if (found.length === 1 && only !== undefined && only.regExp === undefined) {
        return { kind: 'operation', operation: only.operation, pathTemplate: only.pathTemplate }
      }
      const candidates = unique(found.filter((e) => e.regExp === undefined || e.regExp.test(normal(bare))))
      const [first] = candidates
      if (first === undefined) return { kind: 'none' }
      if (candidates.length === 1) {
        return { kind: 'operation', operation: first.operation, pathTemplate: first.pathTemplate }
      }
      const relation = (a: Entry, b: Entry): Relation => {
        // Keyed by the entries themselves: no text is built per request.
        const row = relations.get(a) ?? setNew(relations, a, new Map<Entry, Relation>())
        return row.get(b) ?? setNew(row, b, relate(a.pathTemplate, b.pathTemplate, normal(bare)))
      }
      const best = candidates
        .filter((c) => !candidates.some((d) => d !== c && relation(d, c) === 'first'))
        // A tie is reported in the document's order, whatever order the index found them in.
        .sort((a, b) => (order.get(a.operation) ?? 0) - (order.get(b.operation) ?? 0))
      const [winner] = best
      if (winner !== undefined && best.length === 1) {
        return { kind: 'operation', operation: winner.operation, pathTemplate: winner.pathTemplate }
      }
      return {
        kind: 'tie',
        operations: best.map((e) => e.operation),
        pathTemplates: best.map((e) => e.pathTemplate)
      }
    }
  }
}

function setNew<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.set(key, value)
  return value
}

/** `first`: the first template is the more concrete; `second`; or `tie`. */
type Relation = 'first' | 'second' | 'tie'

/** How two templates that both match `path` rank, by the library's rules. */
function relate(a: string, b: string, path: string): Relation {
  try {
    if (isIdentical(a, b) || isAmbiguous(a, b)) return 'tie'
    return precedence([a, b])(path)?.pathTemplate === a ? 'first' : 'second'
  } catch {
    // A template the library refuses to compile: no rule ranks it, so no guess either.
    return 'tie'
  }
}

function collect(at: TreeNode, segments: readonly string[], i: number, out: Entry[]): void {
  const segment = segments[i]
  if (segment === undefined) {
    out.push(...at.entries)
    return
  }
  const literal = at.literal.get(segment)
  if (literal) collect(literal, segments, i + 1, out)
  // A template expression matches one or more characters, never none.
  if (at.templated && segment !== '') collect(at.templated, segments, i + 1, out)
}

/** One entry per operation (an operation served under two prefixes can match twice). */
function unique(entries: Entry[]): Entry[] {
  const seen = new Set<Operation>()
  return entries.filter((e) => !seen.has(e.operation) && seen.add(e.operation))
}

/** The path of a request line or URL: `https://h/a?q` → `/a`. */
function pathOf(path: string): string {
  if (path.startsWith('/')) return withoutQuery(path)
  const bare = withoutQuery(path.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, ''))
  return bare.startsWith('/') ? bare : `/${bare}`
}

/** The path as the templates are compiled: no trailing slash. */
function normal(path: string): string {
  return `/${segmentsOf(path).join('/')}`
}
