/**
 * Octokit for the pull-request comment, built as `@actions/github`'s `getOctokit` builds it (core, REST
 * endpoint methods, pagination; requests through HTTPS_PROXY / NO_PROXY), without the rest of that
 * package: it brought a second copy of `@actions/http-client` and read the event file when loaded.
 */
import { HttpClient } from '@actions/http-client'
import { Octokit } from '@octokit/core'
import { paginateRest } from '@octokit/plugin-paginate-rest'
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods'
import { fetch as undiciFetch } from 'undici'

const GitHub = Octokit.plugin(restEndpointMethods, paginateRest)

export type GitHubClient = InstanceType<typeof GitHub>

export interface OctokitOptions {
  /** REST base URL; default https://api.github.com. */
  baseUrl?: string
  request?: { fetch?: typeof fetch; signal?: AbortSignal }
}

export function getOctokit(token: string, options: OctokitOptions = {}): GitHubClient {
  const baseUrl = options.baseUrl ?? 'https://api.github.com'
  // The proxy for this URL, if any (HTTPS_PROXY, NO_PROXY), as an undici dispatcher for its fetch.
  const dispatcher = new HttpClient().getAgentDispatcher(baseUrl)
  const proxyFetch = (url: string, init: Parameters<typeof undiciFetch>[1]): ReturnType<typeof undiciFetch> =>
    undiciFetch(url, { ...init, ...(dispatcher ? { dispatcher } : {}) })
  return new GitHub({
    auth: `token ${token}`,
    baseUrl,
    request: {
      fetch: options.request?.fetch ?? proxyFetch,
      ...(options.request?.signal ? { signal: options.request.signal } : {})
    }
  })
}
