/**
 * The spec's templates as the path part of a finding's identity (../common/path-template.ts): the template
 * of the operation a method and path match, server prefix included (`/v1/users/{userId}` for
 * `/v1/users/7` under `servers: [{url: /v1}]`), so it compares with the paths requests carry. A tie or no
 * match is undefined, and the caller keeps the id rule.
 */
import type { PathTemplateResolver } from '../common/path-template.js'
import type { Matcher } from './match.js'

export function pathTemplateResolver(matcher: Matcher): PathTemplateResolver {
  return ({ method, path }) => {
    if (method === undefined) return undefined
    const result = matcher.match(method, path)
    return result.kind === 'operation' ? result.pathTemplate : undefined
  }
}
