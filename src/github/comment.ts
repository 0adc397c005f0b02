/**
 * The sticky pull-request comment: one comment per workflow, job and run name, found again by a hidden
 * marker and updated in place on every push, so a pull request never collects one comment per push.
 *
 * Nothing here imports `@actions/core`: every function returns what happened (or throws an `Error` with
 * context) and the action layer decides what to log. Rendering the report is not done here either; the
 * caller passes Markdown through {@link renderCommentBody}.
 *
 * The client is `@actions/github`'s `getOctokit`, which sends the requests through `HTTPS_PROXY` /
 * `NO_PROXY`. GitHub Enterprise Server: the REST base URL is `GITHUB_API_URL`, read when
 * {@link upsertComment} is called (not when a module is loaded); GraphQL is found next to it
 * (`/api/v3` → `/api/graphql`). Nothing here names api.github.com.
 */
import { createHash, randomUUID } from 'node:crypto'
import { isRecord } from '../common/json.js'
import { getOctokit } from '@actions/github'
import { defaults } from '@actions/github/lib/utils'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { Redactor, logSafe } from '../text/untrusted.js'

type GitHubClient = ReturnType<typeof getOctokit>

/** A request that failed on a server error or the network is tried again this many times. */
export const COMMENT_RETRIES = 2
/**
 * The retry plugin waits `n² ×` this before the n-th try again (250 ms, then 1 s): short, because a
 * request that failed on the comment's deadline is tried again too, and each wait adds to the bound.
 */
const RETRY_BASE_MS = 250
/** A request GitHub held back for its secondary rate limit is tried again this many times. */
export const RATE_LIMIT_RETRIES = 2

/** The issue (every pull request is one) that the comment goes on. */
export interface CommentTarget {
  owner: string
  repo: string
  issueNumber: number
}

export type CommentResult =
  | { outcome: 'created' | 'updated'; url?: string; id: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'forbidden'; reason: string }

/**
 * Who writes with the job's `GITHUB_TOKEN` (and what `GET /user` refuses to say for it): the comments
 * an Actions job writes are authored by this bot on github.com and on GHES.
 */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]'

/** All the requests of one {@link upsertComment} together end within this. */
export const COMMENT_TIMEOUT_MS = 60_000
/** Comments are looked for on at most this many pages of 100 (then a new one is written). */
export const MAX_COMMENT_PAGES = 30

/** GitHub rejects comment bodies longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536

const MARKER_PREFIX = 'wallarm-fast-action:'

/**
 * The hidden HTML comment that identifies this step's comment on a pull request:
 * `<!-- wallarm-fast-action:<sha1 of "workflow|job|runName"> -->`.
 *
 * It is stable across pushes and re-run attempts only if `runName` is: pass the part of the run name that
 * tells jobs and matrix legs apart (the `name` input, or the matrix key), not one that carries the run
 * number or attempt, or every push gets a new comment.
 */
export function commentMarker(parts: {
  workflow?: string | undefined
  job?: string | undefined
  runName: string
}): string {
  const key = [parts.workflow ?? '', parts.job ?? '', parts.runName].join('|')
  const digest = createHash('sha1').update(key, 'utf8').digest('hex')
  return `<!-- ${MARKER_PREFIX}${digest} -->`
}

/**
 * The pull request that the event is about, or `undefined` when there is none to comment on.
 *
 * - `pull_request`, `pull_request_target`: the pull request of the payload.
 * - `workflow_run`: the first of `workflow_run.pull_requests` (GitHub leaves that list empty for pull
 *   requests from forks; the two-stage recipe then has to pass the number in an artifact).
 * - `issue_comment` on a pull request (chat-ops triggers): that pull request.
 * - anything else (`push`, `schedule`, …): `undefined`.
 *
 * The owner and repository come from the payload's `repository` (the base repository, also for forks),
 * else from `repository` (`GITHUB_REPOSITORY`, `owner/repo`).
 */
export function pullRequestTarget(
  eventName: string | undefined,
  payload: unknown,
  repository: string | undefined
): CommentTarget | undefined {
  if (!isRecord(payload)) return undefined
  let issueNumber: number | undefined
  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const pr = payload['pull_request']
      issueNumber = positiveInt(isRecord(pr) ? pr['number'] : undefined) ?? positiveInt(payload['number'])
      break
    }
    case 'workflow_run': {
      const run = payload['workflow_run']
      const prs = isRecord(run) ? run['pull_requests'] : undefined
      const first: unknown = Array.isArray(prs) ? prs[0] : undefined
      issueNumber = positiveInt(isRecord(first) ? first['number'] : undefined)
      break
    }
    case 'issue_comment': {
      const issue = payload['issue']
      if (isRecord(issue) && isRecord(issue['pull_request'])) issueNumber = positiveInt(issue['number'])
      break
    }
    default:
      return undefined
  }
  if (issueNumber === undefined) return undefined
  const repo = repositoryOf(payload['repository'], repository)
  return repo ? { ...repo, issueNumber } : undefined
}

/**
 * The comment body: the marker on the first line, then `markdown`, cut to at most `maxChars` characters
 * (GitHub's limit is {@link GITHUB_COMMENT_LIMIT}; the default leaves room to spare) with a note saying
 * so. The cut falls on a line break where one is near, closes a code fence or `<details>` left open, and
 * never touches the marker (with an absurdly small `maxChars` the result is the marker and the note, whole).
 * A marker already at the start of `markdown` is not repeated.
 */
export function renderCommentBody(markdown: string, marker: string, maxChars = 65_000): string {
  const text = markdown.startsWith(marker) ? markdown.slice(marker.length).replace(/^\r?\n/, '') : markdown
  const head = `${marker}\n`
  if (head.length + text.length <= maxChars) return head + text

  const note = `\n\n---\n_This comment was cut to GitHub's size limit for comments; the job summary and the report files have everything._\n`
  let budget = maxChars - head.length - note.length
  for (;;) {
    let cut = text.slice(0, Math.max(0, budget))
    // Never split a surrogate pair, and end on a line break where one is near.
    if (cut.length > 0 && isHighSurrogate(cut.charCodeAt(cut.length - 1))) cut = cut.slice(0, -1)
    const lastBreak = cut.lastIndexOf('\n')
    if (lastBreak >= 0 && lastBreak >= cut.length - 2_000) cut = cut.slice(0, lastBreak)
    const out = head + cut + closers(cut) + note
    // The closers take room too; cut again until it all fits (or nothing but the marker and note is left).
    if (out.length <= maxChars || cut.length === 0) return out
    budget = cut.length - (out.length - maxChars)
  }
}

/**
 * Creates this step's comment on the pull request, or updates it in place when one with `marker` is
 * there already.
 *
 * Which comment is "ours": one holding the marker and written by the identity of the token in use.
 * Anyone can post a comment with the marker in it (it is in every earlier comment's source), and a step
 * that edited that person's comment would let them edit it back to "passed"; any GitHub App can write
 * one too, so "written by some bot" is not enough either. The identity ({@link tokenIdentity}) is the
 * user's id and login, compared by id where both are known (logins only without case, and exactly
 * otherwise: the user `mybot` is not the app `mybot[bot]`). Among our comments, the first whose body
 * starts with the marker wins, else the first that contains it. The issue comments are listed 100 a
 * page, every page if need be.
 *
 * The body is redacted of every form of `secrets` before it is sent: a comment is public, and no runner
 * masks it.
 *
 * Never throws for a token that may not write (403, or 404 where GitHub hides what the token may not
 * see): that is `{ outcome: 'forbidden' }` with what to change. No token is `{ outcome: 'skipped' }`.
 * Anything else (401, 5xx, rate limits, network) throws `could not write the pull-request comment: …`.
 */
export async function upsertComment(opts: {
  token: string
  target: CommentTarget
  marker: string
  body: string
  /** REST base URL. Default: `GITHUB_API_URL` at the time of the call, else GitHub's. */
  baseUrl?: string
  /** For tests: replaces `@actions/github`'s proxy-aware fetch. */
  fetch?: typeof fetch
  /** Never sent in any form (the Wallarm token; the GitHub token is always added). */
  secrets?: readonly string[]
  /** For all the requests together. Default {@link COMMENT_TIMEOUT_MS}. */
  timeoutMs?: number
}): Promise<CommentResult> {
  const { token, target, marker } = opts
  if (!token.trim())
    return { outcome: 'skipped', reason: 'no GitHub token was given for the pull-request comment' }
  if (!marker.trim()) throw new Error('could not write the pull-request comment: the comment marker is empty')
  const redactor = new Redactor([...(opts.secrets ?? []), token])
  const body = redactor.text(opts.body.includes(marker) ? opts.body : `${marker}\n${opts.body}`)

  const baseUrl = (opts.baseUrl ?? process.env['GITHUB_API_URL'])?.trim().replace(/\/+$/, '')
  // One deadline for all the requests: GitHub's answers are untrusted too, and a hanging one must not
  // hold the step (octokit sets no timeout of its own). getOctokit merges its options over its defaults
  // shallowly: a `request` of ours would drop the proxy-aware fetch it brings, so it starts from those.
  const timeoutMs = opts.timeoutMs ?? COMMENT_TIMEOUT_MS
  const octokit = getOctokit(
    token,
    {
      ...(baseUrl ? { baseUrl } : {}),
      request: {
        ...defaults.request,
        signal: AbortSignal.timeout(timeoutMs),
        ...(opts.fetch ? { fetch: opts.fetch } : {})
      },
      retry: { retries: COMMENT_RETRIES, retryAfterBaseValue: RETRY_BASE_MS },
      // Its own limiter queue (the plugin's queues are per process, keyed by id): one step writes one
      // comment, and a queue shared with an earlier call would only delay it.
      throttle: { id: randomUUID(), ...rateLimitPolicy(performance.now() + timeoutMs) }
    },
    retry,
    throttling
  )
  const where = `${target.owner}/${target.repo}#${target.issueNumber}`

  let step = 'find out who the token is, for'
  try {
    const me = await tokenIdentity(octokit)
    step = 'list the comments of'
    let found: number | undefined
    let startsWith: number | undefined
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner: target.owner,
      repo: target.repo,
      issue_number: target.issueNumber,
      per_page: 100
    })
    let pageCount = 0
    for await (const page of pages) {
      for (const comment of page.data) {
        if (!isAuthor(comment.user, me)) continue
        const text = comment.body ?? ''
        if (startsWith === undefined && text.startsWith(marker)) startsWith = comment.id
        else if (found === undefined && text.includes(marker)) found = comment.id
      }
      // A bound on paging, against a server whose `Link: next` never ends.
      if (startsWith !== undefined || ++pageCount >= MAX_COMMENT_PAGES) break
    }
    const existing = startsWith ?? found

    if (existing !== undefined) {
      step = 'update the comment on'
      const { data } = await octokit.rest.issues.updateComment({
        owner: target.owner,
        repo: target.repo,
        comment_id: existing,
        body
      })
      return { outcome: 'updated', id: data.id, url: logSafe(data.html_url) }
    }
    step = 'create a comment on'
    const { data } = await octokit.rest.issues.createComment({
      owner: target.owner,
      repo: target.repo,
      issue_number: target.issueNumber,
      body
    })
    return { outcome: 'created', id: data.id, url: logSafe(data.html_url) }
  } catch (error) {
    const status = statusOf(error)
    const message = error instanceof Error ? error.message : String(error)
    if ((status === 403 && !isRateLimited(error, message)) || status === 404) {
      return {
        outcome: 'forbidden',
        reason: logSafe(redactor.text(forbiddenReason(status, message, step, where)))
      }
    }
    // Octokit reports a network failure as status 500 with no response; say HTTP only for real answers.
    const detail = answered(error) && status !== undefined ? `HTTP ${status}: ${message}` : message
    const hint = status === 401 ? ' (the GitHub token was rejected: check the `github-token` input)' : ''
    throw new Error(
      logSafe(
        redactor.text(
          `could not write the pull-request comment: failed to ${step} ${where}: ${detail}${hint}`
        )
      ),
      { cause: error }
    )
  }
}

/**
 * When to wait for GitHub's rate limits (`@octokit/plugin-throttling`): several matrix legs that comment
 * at once meet the secondary rate limit, whose `retry-after` is seconds; wait it out, at most
 * {@link RATE_LIMIT_RETRIES} times, and only while the wait ends before the comment's deadline. The
 * primary limit resets on the hour: waiting for it would hold the step, so that request fails at once
 * (and the step says so, as it says every other failure of the comment).
 */
function rateLimitPolicy(deadline: number): {
  onRateLimit: (retryAfter: number, options: object, octokit: unknown, retryCount: number) => boolean
  onSecondaryRateLimit: (retryAfter: number, options: object, octokit: unknown, retryCount: number) => boolean
} {
  const fits = (retryAfter: number): boolean => performance.now() + retryAfter * 1000 < deadline
  return {
    onRateLimit: (retryAfter, _options, _octokit, retryCount) =>
      retryCount < 1 && retryAfter <= 1 && fits(retryAfter),
    onSecondaryRateLimit: (retryAfter, _options, _octokit, retryCount) =>
      retryCount < RATE_LIMIT_RETRIES && fits(retryAfter)
  }
}

/** Who the token is: a user's (or a bot's) login, and its numeric id where GitHub said it. */
export interface TokenIdentity {
  login: string
  id?: number
}

const VIEWER_QUERY = 'query { viewer { login databaseId } }'

/**
 * The identity of the token, which the comments it wrote carry as their author:
 *
 * 1. `GET /user`: a personal access token's user.
 * 2. Refused (403 "Resource not accessible by integration": installation tokens may not call it, the
 *    job's `GITHUB_TOKEN` included; `GET /app` wants the app's JWT and is no way out either): GraphQL's
 *    `viewer`, which answers installation tokens with the app's bot user, `<slug>[bot]` and its id, the
 *    author of the comments that token writes. So a GitHub App's token finds its own comment again, and
 *    only its own: another app's bot has another id.
 * 3. Refused as well, or answered in a form we do not know: {@link ACTIONS_BOT_LOGIN}, the author of
 *    what the job's `GITHUB_TOKEN` writes (the one token left that may not ask), as
 *    marocchino/sticky-pull-request-comment decides too.
 *
 * A failure that is no answer (the network, the deadline) fails the comment, as every other request does.
 */
async function tokenIdentity(octokit: GitHubClient): Promise<TokenIdentity> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated()
    return { login: data.login, id: data.id }
  } catch (error) {
    const status = statusOf(error)
    if (status !== 403 && status !== 404) throw error
  }
  try {
    const data: unknown = await octokit.graphql(VIEWER_QUERY)
    const viewer = isRecord(data) ? data['viewer'] : undefined
    const login = isRecord(viewer) ? viewer['login'] : undefined
    const id = positiveInt(isRecord(viewer) ? viewer['databaseId'] : undefined)
    if (typeof login === 'string' && login) return { login, ...(id !== undefined ? { id } : {}) }
  } catch (error) {
    if (!answered(error) && !isGraphqlError(error)) throw error
  }
  return { login: ACTIONS_BOT_LOGIN }
}

/**
 * Whether `user` (a comment's author) is `me`: by id when both are known, else by login, compared
 * without case (GitHub's are case-insensitive) and exactly otherwise (`mybot` is not `mybot[bot]`).
 */
function isAuthor(user: { login?: string; id?: number } | null | undefined, me: TokenIdentity): boolean {
  if (!user) return false
  if (me.id !== undefined && typeof user.id === 'number') return user.id === me.id
  return user.login !== undefined && user.login.toLowerCase() === me.login.toLowerCase()
}

/** An error that carries GitHub's HTTP answer (not a network failure, which octokit reports as 500). */
function answered(error: unknown): boolean {
  return isRecord(error) && isRecord(error['response'])
}

/** GraphQL's own errors come with HTTP 200 and no status (`@octokit/graphql`'s GraphqlResponseError). */
function isGraphqlError(error: unknown): boolean {
  return error instanceof Error && error.name === 'GraphqlResponseError'
}

function forbiddenReason(status: 403 | 404, message: string, step: string, where: string): string {
  return (
    `GitHub refused to ${step} ${where} (HTTP ${status}: ${message}), so the result was not commented. ` +
    'Give the job `permissions: pull-requests: write` (or pass a `github-token` that may write pull-request ' +
    'comments). On pull requests from forks the job token is read-only whatever the workflow asks for: ' +
    'comment from a separate `workflow_run` workflow instead.'
  )
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    return error.status
  }
  return undefined
}

/** A 403 that is a rate limit, not a permission: worth a retry later, not a permissions hint. */
function isRateLimited(error: unknown, message: string): boolean {
  if (/rate limit/i.test(message)) return true
  const response = isRecord(error) ? error['response'] : undefined
  const headers = isRecord(response) ? response['headers'] : undefined
  return isRecord(headers) && String(headers['x-ratelimit-remaining']) === '0'
}

function repositoryOf(
  fromPayload: unknown,
  fallback: string | undefined
): { owner: string; repo: string } | undefined {
  if (isRecord(fromPayload)) {
    const owner = fromPayload['owner']
    const login = isRecord(owner) ? owner['login'] : undefined
    const name = fromPayload['name']
    if (typeof login === 'string' && login && typeof name === 'string' && name)
      return { owner: login, repo: name }
  }
  const [owner, repo, ...rest] = (fallback ?? '').trim().split('/')
  if (owner && repo && rest.length === 0) return { owner, repo }
  return undefined
}

/** Closes a code fence and `<details>` blocks that a cut left open. */
function closers(text: string): string {
  let out = ''
  const fences = text.match(/^ {0,3}(```|~~~)/gm) ?? []
  if (fences.length % 2 === 1) out += `\n${fences[fences.length - 1]?.trim() ?? '```'}`
  const opened = (text.match(/<details[\s>]/gi) ?? []).length
  const closed = (text.match(/<\/details>/gi) ?? []).length
  for (let i = closed; i < opened; i++) out += '\n</details>'
  return out
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}
