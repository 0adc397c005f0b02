/**
 * A finding's place on the map: the operation its method and path match, for the finding's identity
 * (the spec's template wins over the id rule) and for code scanning (the file and line of the method key,
 * and a logical location).
 */
import type { Matcher } from './match.js'
import { opName } from './coverage.js'

export interface SpecLocation {
  /**
   * The template of the whole request path, server prefix included (`/v1/users/{id}` for `/v1/users/7`
   * under `servers: [{url: /v1}]`): the path part of the finding's identity, comparable with paths as
   * requests carry them (and ignore entries match them).
   */
  pathTemplate: string
  /** The key under `paths`, as written (`/users/{id}`). */
  template: string
  method: string
  operationId?: string | undefined
  /** Relative to the workspace (the repository root), `/`-separated. */
  file: string
  /** 1-based: the line of the operation's method key. */
  line: number
  /** For SARIF's `logicalLocations`: the operationId, else `METHOD /template`. */
  logicalName: string
}

/** Undefined when no operation matches, or two tie (the finding keeps the location it has today). */
export function locateFinding(matcher: Matcher, method: string, path: string): SpecLocation | undefined {
  const result = matcher.match(method, path)
  if (result.kind !== 'operation') return undefined
  const { operation } = result
  return {
    pathTemplate: result.pathTemplate,
    template: operation.template,
    method: operation.method,
    ...(operation.operationId === undefined ? {} : { operationId: operation.operationId }),
    file: operation.file,
    line: operation.line,
    logicalName: operation.operationId ?? opName(operation)
  }
}
