/**
 * Reads an API description (OpenAPI 3.0, 3.1 or Swagger 2.0; YAML or JSON; path items `$ref`'d into
 * other files) into its operations, each with the file and line of its method key. Schemas are never
 * read or validated: only paths, methods, servers, operationIds and `deprecated` matter here.
 */
import { resolve } from 'node:path'
import { isMap, type Node } from 'yaml'
import { OpenApiError } from './errors.js'
import { basePathPrefix, serverPrefixes } from './servers.js'
import { deref, entry, Sources, text, uniqueKeys, type Place, type SourceFile } from './source.js'
import { isValidTemplate } from './template.js'

export interface Operation {
  /** Upper case: `GET`. */
  method: string
  /** The key under `paths`, as written: `/users/{id}`. */
  template: string
  operationId?: string | undefined
  deprecated: boolean
  /** The file that defines the operation, relative to the workspace, `/`-separated. */
  file: string
  /** The 1-based line of the operation's method key (`get:`) in `file`. */
  line: number
  /**
   * The server path prefixes the operation is served under (`['/v1']`; `['']` for none): its own
   * `servers`, else its path item's, else the document's (`basePath` in Swagger 2.0).
   */
  prefixes: readonly string[]
}

export interface ApiDescription {
  /** The main file, relative to the workspace. */
  file: string
  /** `3.0.3`, `3.1.0`, `2.0`. */
  version: string
  /** In the order of the document. */
  operations: readonly Operation[]
}

export interface LoadOptions {
  /** The `openapi` input: a path relative to the workspace (or absolute, inside it). */
  file: string
  /** The workspace, the root of the repository: files outside it are refused. */
  workspace: string
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
/** How many `$ref`s may lead from one path item to the next before it is taken for a loop. */
const MAX_REF_HOPS = 16

/** @throws OpenApiError naming the input, the file and the line */
export function loadApiDescription(options: LoadOptions): ApiDescription {
  const sources = new Sources(options.workspace)
  const main = sources.open(resolve(options.workspace, options.file))
  const root = deref(main, main.doc.contents)
  const at = (node: Node | null | undefined): number => sources.lineOf(main, node)
  if (!isMap(root)) {
    throw new OpenApiError(main.shown, at(root), notApi('the document is not a mapping'))
  }
  uniqueKeys(main, root)
  const { version, swagger } = versionOf(main, root, at)
  const paths = entry(main, root, 'paths')
  if (!paths) throw new OpenApiError(main.shown, 1, 'has no "paths": no operation to match requests to')
  if (!isMap(paths.value)) {
    throw new OpenApiError(main.shown, at(paths.key), '"paths" must be a mapping of path templates')
  }
  uniqueKeys(main, paths.value)
  const rootPrefixes = swagger
    ? [basePathPrefix(text(entry(main, root, 'basePath')?.value))]
    : (prefixesOf(main, root) ?? [''])

  const operations: Operation[] = []
  const defined = new Set<string>()
  for (const pair of paths.value.items) {
    const keyNode = pair.key as Node | null
    const template = text(keyNode) ?? ''
    if (template.startsWith('x-')) continue // a specification extension, not a path
    const place: Place = { file: main.shown, line: at(keyNode) }
    if (!isValidTemplate(template)) {
      throw new OpenApiError(
        place.file,
        place.line,
        `"${template}" is not a path template: it starts with "/", each {name} closes within one segment and appears once`
      )
    }
    const items = pathItems(sources, main, deref(main, pair.value as Node | null), template)
    for (const { source, node, inherited } of items) {
      uniqueKeys(source, node)
      const itemPrefixes = swagger ? rootPrefixes : (inherited ?? prefixesOf(source, node) ?? rootPrefixes)
      for (const method of METHODS) {
        const op = entry(source, node, method)
        if (!op || defined.has(`${method} ${template}`)) continue
        defined.add(`${method} ${template}`)
        if (op.value !== null && !isMap(op.value)) {
          throw new OpenApiError(
            source.shown,
            sources.lineOf(source, op.key),
            `"${method}" must be an operation (a mapping)`
          )
        }
        uniqueKeys(source, op.value)
        const operationId = text(entry(source, op.value, 'operationId')?.value)
        operations.push({
          method: method.toUpperCase(),
          template,
          operationId,
          deprecated: text(entry(source, op.value, 'deprecated')?.value) === 'true',
          file: source.shown,
          line: sources.lineOf(source, op.key),
          prefixes: swagger ? rootPrefixes : (prefixesOf(source, op.value) ?? itemPrefixes)
        })
      }
    }
  }
  if (operations.length === 0) {
    throw new OpenApiError(
      main.shown,
      at(paths.key),
      'describes no operation under "paths": nothing to match requests to'
    )
  }
  return { file: main.shown, version, operations }
}

const EXPECTED = 'expected OpenAPI 3.0 or 3.1 ("openapi: 3.1.0") or Swagger 2.0 ("swagger: \'2.0\'")'

function notApi(why: string): string {
  return `is not an API description (${why}): ${EXPECTED}`
}

function versionOf(
  main: SourceFile,
  root: Node,
  at: (node: Node | null | undefined) => number
): { version: string; swagger: boolean } {
  const openapi = entry(main, root, 'openapi')
  const swagger = entry(main, root, 'swagger')
  const found = openapi ?? swagger
  if (!found) throw new OpenApiError(main.shown, 1, notApi('no "openapi" or "swagger" key at the top'))
  const version = text(found.value) ?? ''
  const supported = openapi
    ? /^3\.[01](\.\d+)?(-[\w.]+)?$/.test(version)
    : version === '2.0' || version === '2'
  if (!supported) {
    throw new OpenApiError(
      main.shown,
      at(found.key),
      `${openapi ? 'openapi' : 'swagger'} ${JSON.stringify(version)} is a version this action does not read: ${EXPECTED}`
    )
  }
  return { version: openapi ? version : '2.0', swagger: !openapi }
}

/** A `servers` list's prefixes, where the node has one that names a server. */
function prefixesOf(source: SourceFile, node: Node | null): string[] | undefined {
  const servers = entry(source, node, 'servers')
  return servers ? serverPrefixes(servers.value?.toJSON()) : undefined
}

interface PathItem {
  source: SourceFile
  node: Node | null
  /** Servers the referring path item set beside its `$ref` (OpenAPI 3.1 allows siblings). */
  inherited?: string[] | undefined
}

/**
 * The path item and, where it is a `$ref`, the items it leads to (in the files that define them): the
 * referring item's own operations beside the `$ref` count too (3.1), the referred ones where both name
 * a method.
 */
function pathItems(sources: Sources, source: SourceFile, node: Node | null, template: string): PathItem[] {
  const out: PathItem[] = []
  let current: PathItem = { source, node }
  const seen = new Set<string>()
  for (let hop = 0; ; hop++) {
    out.push(current)
    const ref = entry(current.source, current.node, '$ref')
    if (!ref) return out.reverse()
    const refText = text(ref.value)
    const at: Place = { file: current.source.shown, line: sources.lineOf(current.source, ref.key) }
    if (refText === undefined) throw new OpenApiError(at.file, at.line, '"$ref" must be a string')
    const key = `${current.source.abs}#${refText}`
    if (seen.has(key) || hop >= MAX_REF_HOPS) {
      throw new OpenApiError(
        at.file,
        at.line,
        `the $refs of the path item ${template} form a loop (${refText})`
      )
    }
    seen.add(key)
    const next = sources.follow(current.source, refText, at)
    current = {
      source: next.source,
      node: next.node,
      inherited: prefixesOf(current.source, current.node) ?? current.inherited
    }
  }
}
