/**
 * The relative links of Markdown files and of the action's own messages, and whether each resolves: to a
 * file or folder that exists and, for a `#fragment` into Markdown, to a heading of that file under
 * GitHub's anchor rules. Markdown is read with `marked` (GitHub-flavoured), so code blocks and code spans
 * hold no links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { marked, type Token, type Tokens } from 'marked'

/** One link as written: the file it is in, its 1-based line, and its target. */
export interface Link {
  file: string
  line: number
  target: string
}

/**
 * GitHub's anchor for a heading's text (github-slugger): lower case, everything that is neither a letter,
 * a digit, a mark, `_`, `-` nor a space removed, each space a `-`.
 */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** The plain text of inline tokens, as GitHub slugs it (code spans keep their text, markup goes). */
function plain(tokens: Token[] | undefined): string {
  return (tokens ?? [])
    .map((t) => {
      if (t.type === 'html') return ''
      if ('tokens' in t && Array.isArray(t.tokens) && t.tokens.length > 0) return plain(t.tokens)
      return 'text' in t && typeof t.text === 'string' ? t.text : ''
    })
    .join('')
}

function allTokens(markdown: string): Token[] {
  const out: Token[] = []
  void marked.walkTokens(marked.lexer(markdown, { gfm: true }), (t) => {
    out.push(t)
  })
  return out
}

/** Every anchor a Markdown file has: its headings' slugs (a repeated one gets -1, -2…) and HTML ids. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const t of allTokens(markdown)) {
    if (t.type === 'heading') {
      const base = slug(plain((t as Tokens.Heading).tokens))
      let name = base
      let n = seen.get(base) ?? 0
      while (result.has(name)) name = `${base}-${++n}`
      seen.set(base, n)
      result.add(name)
    }
    if (t.type === 'html') for (const m of t.raw.matchAll(/\s(?:id|name)="([^"]+)"/g)) result.add(m[1]!)
  }
  return result
}

/** The links and images of a Markdown file, and the `href`/`src` of its HTML, outside code. */
export function markdownLinks(file: string, markdown: string): Link[] {
  const links: Link[] = []
  // Tokens come in document order: each one's raw text is looked for after the previous one's.
  let cursor = 0
  const add = (target: string, raw: string): void => {
    const at = markdown.indexOf(raw, cursor)
    if (at >= 0) cursor = at
    links.push({ file, line: markdown.slice(0, cursor).split('\n').length, target })
  }
  for (const t of allTokens(markdown)) {
    if (t.type === 'link' || t.type === 'image') add((t as Tokens.Link).href, t.raw)
    if (t.type === 'html') for (const m of t.raw.matchAll(/\s(?:href|src)="([^"]+)"/g)) add(m[1]!, t.raw)
  }
  return links
}

/** This repository on GitHub: a link to one of its files at any ref is checked as a relative one. */
const REPO_URL = /^https:\/\/github\.com\/wallarm\/fast-action\/(?:blob|tree)\/[\w.-]+\//

/**
 * Links to this repository's documentation in source text (messages, action.yml descriptions): its
 * Markdown files by path from the root, or by their address on GitHub, with any `#anchor`.
 */
export function sourceLinks(file: string, text: string): Link[] {
  const pattern =
    /(?<![\w/.-])(?:https:\/\/github\.com\/wallarm\/fast-action\/(?:blob|tree)\/[\w.-]+\/)?((?:README|CONTRIBUTING|CHANGELOG|SECURITY)\.md|docs\/[\w./-]+\.md)(#[\w-]+)?/g
  return [...text.matchAll(pattern)].map((m) => ({
    file,
    line: text.slice(0, m.index).split('\n').length,
    target: `${m[1]!}${m[2] ?? ''}`
  }))
}

/**
 * Why a link does not resolve, or undefined when it does. `root` is the repository; `from` the file the
 * link is in (relative to root); a link from source text (`fromRoot`) is read from the root.
 */
export function brokenReason(
  root: string,
  link: Link,
  anchorsOf: (path: string) => Set<string>,
  fromRoot = false
): string | undefined {
  let target = link.target.replace(REPO_URL, '')
  if (/^[a-z][\w+.-]*:/i.test(target) || target.startsWith('//')) return undefined
  if (fromRoot) target = `/${target}`
  const hash = target.indexOf('#')
  const path = decodeURI((hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, ''))
  const fragment = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1))
  const absolute = path.startsWith('/')
    ? join(root, path)
    : path === ''
      ? join(root, link.file)
      : resolve(root, dirname(link.file), path)
  if (!existsSync(absolute)) return `${relative(root, absolute)} does not exist`
  if (fragment === undefined || fragment === '') return undefined
  if (statSync(absolute).isDirectory() || !absolute.endsWith('.md')) return undefined
  const file = relative(root, absolute)
  return anchorsOf(file).has(fragment) ? undefined : `${file} has no heading #${fragment}`
}

/** The repository's Markdown files, relative to root: not under node_modules, dist or dot folders. */
export function markdownFiles(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory())
      return ['node_modules', 'dist', 'coverage'].includes(entry.name) || entry.name.startsWith('.')
        ? []
        : markdownFiles(root, path)
    return entry.name.endsWith('.md') ? [path] : []
  })
}

/** Every broken link of the given Markdown files and source files, as `file:line: target (why)`. */
export function brokenLinks(root: string, markdown: string[], sources: string[] = []): string[] {
  const cache = new Map<string, Set<string>>()
  const anchorsOf = (path: string): Set<string> => {
    if (!cache.has(path)) cache.set(path, anchors(readFileSync(join(root, path), 'utf8')))
    return cache.get(path)!
  }
  const report = (link: Link, fromRoot: boolean): string[] => {
    const why = brokenReason(root, link, anchorsOf, fromRoot)
    return why === undefined ? [] : [`${link.file}:${link.line}: ${link.target} (${why})`]
  }
  return [
    ...markdown.flatMap((file) =>
      markdownLinks(file, readFileSync(join(root, file), 'utf8')).flatMap((l) => report(l, false))
    ),
    ...sources.flatMap((file) =>
      sourceLinks(file, readFileSync(join(root, file), 'utf8')).flatMap((l) => report(l, true))
    )
  ]
}
