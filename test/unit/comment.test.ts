/**
 * The sticky pull-request comment against a local stand-in of the GitHub API (`node:http` on 127.0.0.1),
 * through the real Octokit client (`@actions/github`'s), pointed at it by `GITHUB_API_URL`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  GITHUB_COMMENT_LIMIT,
  MAX_COMMENT_PAGES,
  commentMarker,
  pullRequestTarget,
  renderCommentBody,
  upsertComment,
  type CommentTarget
} from '../../src/github/comment.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ACTIONS_BOT, FakeGitHub } from '../support/fake-github.js'

const github = new FakeGitHub()
const target: CommentTarget = { owner: 'acme', repo: 'shop', issueNumber: 7 }
const marker = commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api' })
const savedApiUrl = process.env['GITHUB_API_URL']

beforeAll(async () => {
  await github.start()
})
afterAll(async () => {
  await github.stop()
})
beforeEach(() => {
  github.reset()
  // Set after the client was loaded: upsertComment must read it at call time.
  process.env['GITHUB_API_URL'] = github.url
})
afterEach(() => {
  if (savedApiUrl === undefined) delete process.env['GITHUB_API_URL']
  else process.env['GITHUB_API_URL'] = savedApiUrl
})

const writes = () => github.commentRequests.filter((r) => r.method !== 'GET')

describe('upsertComment', () => {
  it('creates the comment on the first call, with the marker and the token', async () => {
    const result = await upsertComment({ token: 't0ken', target, marker, body: 'FAST: passed' })

    expect(result).toEqual({
      outcome: 'created',
      id: expect.any(Number),
      url: expect.stringContaining('/acme/shop/pull/7#issuecomment-')
    })
    const post = writes()
    expect(post).toHaveLength(1)
    expect(post[0]).toMatchObject({ method: 'POST', path: '/repos/acme/shop/issues/7/comments' })
    expect(post[0]!.authorization).toMatch(/^(token|Bearer) t0ken$/)
    expect((post[0]!.body as { body: string }).body).toBe(`${marker}\nFAST: passed`)
    const list = github.commentRequests.find((r) => r.method === 'GET')
    expect(list?.path).toContain('per_page=100')
  })

  it('updates the same comment on the next push instead of adding one', async () => {
    const first = await upsertComment({
      token: 't0ken',
      target,
      marker,
      body: renderCommentBody('run 1', marker)
    })
    const second = await upsertComment({
      token: 't0ken',
      target,
      marker,
      body: renderCommentBody('run 2', marker)
    })

    expect(first.outcome).toBe('created')
    expect(second.outcome).toBe('updated')
    if (first.outcome !== 'created' || second.outcome !== 'updated') return
    expect(second.id).toBe(first.id)
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/shop/issues/7/comments',
      `PATCH /repos/acme/shop/issues/comments/${first.id}`
    ])
    expect(github.comments).toEqual([{ id: first.id, issue: 7, body: `${marker}\nrun 2`, user: ACTIONS_BOT }])
  })

  it("leaves another matrix leg's comment alone", async () => {
    const otherMarker = commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api (eu)' })
    const otherId = github.seed(7, `${otherMarker}\nthe other leg`)
    github.seed(7, 'LGTM')

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'this leg' })

    expect(result.outcome).toBe('created')
    expect(writes().map((r) => r.method)).toEqual(['POST'])
    expect(github.comments.find((c) => c.id === otherId)?.body).toBe(`${otherMarker}\nthe other leg`)
  })

  it('finds the comment on the second page of comments', async () => {
    for (let i = 0; i < 130; i++) github.seed(7, `comment ${i}`)
    const ours = github.seed(7, `${marker}\nold result`)
    for (let i = 0; i < 20; i++) github.seed(7, `later comment ${i}`)

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new result' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
    const gets = github.commentRequests.filter((r) => r.method === 'GET').map((r) => r.path)
    expect(gets).toHaveLength(2)
    expect(gets[1]).toContain('page=2')
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/acme/shop/issues/comments/${ours}`
    ])
    expect(github.comments.find((c) => c.id === ours)?.body).toBe(`${marker}\nnew result`)
  })

  it('prefers a comment that starts with the marker over one that only quotes it', async () => {
    github.seed(7, `someone pasted it: ${marker}`)
    const ours = github.seed(7, `${marker}\nold result`)

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new result' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
  })

  it('falls back to a comment that contains the marker anywhere', async () => {
    const ours = github.seed(7, `edited by hand\n${marker}\nold result`)

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new result' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
  })

  it('reports a read-only token (403) as forbidden, naming the permission and forks', async () => {
    github.failures.push({ method: 'POST', status: 403, message: 'Resource not accessible by integration' })

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x' })

    expect(result.outcome).toBe('forbidden')
    if (result.outcome !== 'forbidden') return
    expect(result.reason).toContain('pull-requests: write')
    expect(result.reason).toContain('Resource not accessible by integration')
    expect(result.reason).toMatch(/fork/i)
    expect(result.reason).toContain('acme/shop#7')
  })

  it('reports 404 as forbidden', async () => {
    github.failures.push({ method: 'GET', status: 404, message: 'Not Found' })

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x' })

    expect(result.outcome).toBe('forbidden')
    if (result.outcome !== 'forbidden') return
    expect(result.reason).toContain('HTTP 404')
    expect(result.reason).toContain('pull-requests: write')
    expect(writes()).toHaveLength(0)
  })

  it('throws with context on a server error', async () => {
    github.failures.push({ method: 'GET', status: 500, message: 'Internal Server Error' })

    await expect(upsertComment({ token: 't0ken', target, marker, body: 'x' })).rejects.toThrow(
      /^could not write the pull-request comment: failed to list the comments of acme\/shop#7: HTTP 500: Internal Server Error/
    )
  })

  it('throws on a 403 that is a rate limit, not a permission', async () => {
    github.failures.push({
      method: 'GET',
      status: 403,
      message: 'API rate limit exceeded for installation',
      headers: { 'x-ratelimit-remaining': '0' }
    })

    await expect(upsertComment({ token: 't0ken', target, marker, body: 'x' })).rejects.toThrow(
      /could not write the pull-request comment: .*HTTP 403: API rate limit exceeded/
    )
  })

  it('waits out a secondary rate limit (403 with retry-after) and then writes the comment', async () => {
    github.failures.push({
      method: 'POST',
      status: 403,
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      headers: { 'retry-after': '1' },
      times: 1
    })

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x' })

    expect(result.outcome).toBe('created')
    expect(writes().map((r) => r.method)).toEqual(['POST', 'POST'])
    expect(github.comments).toHaveLength(1)
  })

  it('gives up at once on a secondary rate limit whose wait would pass the deadline', async () => {
    github.failures.push({
      method: 'POST',
      status: 403,
      message: 'You have exceeded a secondary rate limit.',
      headers: { 'retry-after': '3600' }
    })

    await expect(upsertComment({ token: 't0ken', target, marker, body: 'x' })).rejects.toThrow(
      /could not write the pull-request comment: failed to create a comment on acme\/shop#7: HTTP 403: You have exceeded a secondary rate limit/
    )
    expect(writes()).toHaveLength(1)
  })

  it('tries a request that met a server error again, and writes the comment', async () => {
    github.failures.push({ method: 'GET', status: 502, message: 'Bad Gateway', times: 1 })

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x' })

    expect(result.outcome).toBe('created')
    expect(github.requests.filter((r) => r.method === 'GET' && r.path.includes('/comments'))).toHaveLength(2)
  })

  it('throws with context when GitHub cannot be reached', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))

    await expect(
      upsertComment({ token: 't0ken', target, marker, body: 'x', baseUrl: `http://127.0.0.1:${port}` })
    ).rejects.toThrow(
      /^could not write the pull-request comment: failed to find out who the token is, for acme\/shop#7: /
    )
  })

  it('skips without a token, sending nothing', async () => {
    const result = await upsertComment({ token: '', target, marker, body: 'x' })

    expect(result).toEqual({ outcome: 'skipped', reason: expect.stringContaining('no GitHub token') })
    expect(github.requests).toHaveLength(0)
  })

  it('adds the marker to a body that lacks it, and does not repeat it', async () => {
    await upsertComment({ token: 't0ken', target, marker, body: 'plain' })
    await upsertComment({ token: 't0ken', target, marker, body: `${marker}\nrendered` })

    expect(github.comments.map((c) => c.body)).toEqual([`${marker}\nrendered`])
  })
})

describe("upsertComment: only a comment by the token's identity is ours", () => {
  it('leaves a comment by someone else that holds the marker alone, and writes its own', async () => {
    const forged = github.seed(7, `${marker}\n✅ passed (trust me)`, 'mallory')

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'failed' })

    expect(result.outcome).toBe('created')
    expect(github.comments.find((c) => c.id === forged)?.body).toBe(`${marker}\n✅ passed (trust me)`)
    expect(writes().map((r) => r.method)).toEqual(['POST'])
  })

  it('with the job token (GET /user refused), takes the Actions bot as its identity', async () => {
    github.seed(7, `${marker}\nforged`, 'mallory')
    const ours = github.seed(7, `${marker}\nold`, ACTIONS_BOT)

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
  })

  it('with a personal access token, takes GET /user as its identity: the bot comment is not its own', async () => {
    github.viewer = 'octocat'
    github.seed(7, `${marker}\nby the bot`, ACTIONS_BOT)
    const ours = github.seed(7, `${marker}\nold`, 'OctoCat')

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
  })

  it("with a GitHub App's token (GET /user refused), updates its own comment on the next push", async () => {
    github.app = 'fast-checks'
    const first = await upsertComment({ token: 'ghs_app', target, marker, body: 'first push' })
    const second = await upsertComment({ token: 'ghs_app', target, marker, body: 'second push' })

    expect(first.outcome).toBe('created')
    expect(second).toMatchObject({ outcome: 'updated', id: first.outcome === 'created' ? first.id : -1 })
    expect(github.comments).toEqual([expect.objectContaining({ user: 'fast-checks[bot]' })])
    expect(github.comments[0]!.body).toBe(`${marker}\nsecond push`)
  })

  it("with a GitHub App's token, never edits a marked comment by a person, another app or the Actions bot", async () => {
    github.app = 'fast-checks'
    const others = [
      github.seed(7, `${marker}\nby a person`, 'mallory'),
      // A user named like the app is not the app's bot user.
      github.seed(7, `${marker}\nby a namesake`, 'fast-checks'),
      github.seed(7, `${marker}\nby another app`, 'other-app[bot]'),
      github.seed(7, `${marker}\nby the job token`, ACTIONS_BOT)
    ]

    const result = await upsertComment({ token: 'ghs_app', target, marker, body: 'ours' })

    expect(result.outcome).toBe('created')
    expect(writes().map((r) => r.method)).toEqual(['POST'])
    expect(github.comments.filter((c) => others.includes(c.id)).map((c) => c.body)).toEqual([
      `${marker}\nby a person`,
      `${marker}\nby a namesake`,
      `${marker}\nby another app`,
      `${marker}\nby the job token`
    ])
  })

  it('with the job token, finds its comment whether GraphQL names the Actions bot or refuses', async () => {
    github.jobViewer = true
    github.seed(7, `${marker}\nforged`, 'mallory')
    const ours = github.seed(7, `${marker}\nold`, ACTIONS_BOT)

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new' })

    expect(result).toMatchObject({ outcome: 'updated', id: ours })
  })

  it('gives up on a GitHub API that never answers, within its deadline', async () => {
    github.failures.push({ method: 'GET', status: 0, message: '', hang: true })
    const started = performance.now()
    await expect(
      upsertComment({ token: 't0ken', target, marker, body: 'x', timeoutMs: 500 })
    ).rejects.toThrow(
      /^could not write the pull-request comment: failed to list the comments of acme\/shop#7/
    )
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('stops paging after MAX_COMMENT_PAGES pages and writes its own comment', async () => {
    for (let i = 0; i < 100 * MAX_COMMENT_PAGES + 5; i++) github.seed(7, `comment ${i}`)
    github.seed(7, `${marker}\nold, too far down`)
    const result = await upsertComment({ token: 't0ken', target, marker, body: 'new' })
    expect(result.outcome).toBe('created')
    expect(github.commentRequests.filter((r) => r.method === 'GET')).toHaveLength(MAX_COMMENT_PAGES)
  })

  it('sends no form of a secret in the body, and quotes none from an error', async () => {
    const secret = 'wallarm/tok+en=='
    const escaped = JSON.stringify(secret).slice(1, -1).replace('/', '\\/').replace('+', '\\u002b')
    await upsertComment({
      token: 't0ken-gh',
      target,
      marker,
      body: `raw ${secret} escaped ${escaped} url ${encodeURIComponent(secret)} gh t0ken-gh`,
      secrets: [secret]
    })
    const sent = github.comments[0]!.body
    expect(sent).toBe(`${marker}\nraw *** escaped *** url *** gh ***`)
  })
})

describe('the GitHub API base URL', () => {
  it('follows GITHUB_API_URL at call time, with a GHES-style /api/v3 path', async () => {
    process.env['GITHUB_API_URL'] = `${github.url}/api/v3/`

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x' })

    expect(result.outcome).toBe('created')
    expect(github.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /api/v3/user',
      'POST /api/graphql',
      'GET /api/v3/repos/acme/shop/issues/7/comments',
      'POST /api/v3/repos/acme/shop/issues/7/comments'
    ])
  })

  it('lets an explicit baseUrl win over GITHUB_API_URL', async () => {
    process.env['GITHUB_API_URL'] = 'http://127.0.0.1:1'

    const result = await upsertComment({ token: 't0ken', target, marker, body: 'x', baseUrl: github.url })

    expect(result.outcome).toBe('created')
    expect(github.commentRequests).toHaveLength(2)
  })

  it('sends the requests through an injected fetch', async () => {
    const seen: string[] = []
    const spy: typeof fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      seen.push(`${init?.method ?? 'GET'} ${url}`)
      return fetch(input, init)
    }

    await upsertComment({ token: 't0ken', target, marker, body: 'x', fetch: spy })

    expect(seen).toHaveLength(4)
    expect(seen[0]).toBe(`GET ${github.url}/user`)
    expect(seen[1]).toBe(`POST ${github.url}/graphql`)
    expect(seen[2]).toMatch(new RegExp(`^GET ${github.url}/repos/acme/shop/issues/7/comments`))
  })
})

describe('pullRequestTarget', () => {
  const repository = { name: 'shop', owner: { login: 'acme' } }

  it('reads pull_request and pull_request_target events', () => {
    const payload = {
      number: 7,
      pull_request: { number: 7, head: { repo: { full_name: 'fork/shop' } } },
      repository
    }
    expect(pullRequestTarget('pull_request', payload, 'acme/shop')).toEqual(target)
    // From a fork: the comment goes on the base repository, which is the payload's repository.
    expect(pullRequestTarget('pull_request_target', payload, 'acme/shop')).toEqual(target)
  })

  it('falls back to GITHUB_REPOSITORY when the payload has no repository', () => {
    expect(pullRequestTarget('pull_request', { pull_request: { number: 3 } }, 'acme/shop')).toEqual({
      owner: 'acme',
      repo: 'shop',
      issueNumber: 3
    })
    expect(pullRequestTarget('pull_request', { pull_request: { number: 3 } }, undefined)).toBeUndefined()
    expect(pullRequestTarget('pull_request', { pull_request: { number: 3 } }, 'not-a-repo')).toBeUndefined()
  })

  it('is undefined for other events and malformed payloads', () => {
    expect(pullRequestTarget('push', { ref: 'refs/heads/main', repository }, 'acme/shop')).toBeUndefined()
    expect(pullRequestTarget('schedule', {}, 'acme/shop')).toBeUndefined()
    expect(pullRequestTarget(undefined, { pull_request: { number: 7 } }, 'acme/shop')).toBeUndefined()
    expect(pullRequestTarget('pull_request', undefined, 'acme/shop')).toBeUndefined()
    expect(pullRequestTarget('pull_request', { pull_request: { number: '7' } }, 'acme/shop')).toBeUndefined()
  })

  it('reads the first pull request of a workflow_run event', () => {
    const payload = { workflow_run: { pull_requests: [{ number: 7 }, { number: 9 }] }, repository }
    expect(pullRequestTarget('workflow_run', payload, 'acme/shop')).toEqual(target)
    expect(
      pullRequestTarget('workflow_run', { workflow_run: { pull_requests: [] } }, 'acme/shop')
    ).toBeUndefined()
  })

  it('reads an issue_comment only when the issue is a pull request', () => {
    const onPr = { issue: { number: 7, pull_request: { url: 'x' } }, repository }
    expect(pullRequestTarget('issue_comment', onPr, 'acme/shop')).toEqual(target)
    expect(
      pullRequestTarget('issue_comment', { issue: { number: 7 }, repository }, 'acme/shop')
    ).toBeUndefined()
  })
})

describe('commentMarker', () => {
  it('is a hidden HTML comment, stable for the same workflow, job and name', () => {
    const a = commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api' })
    expect(a).toMatch(/^<!-- wallarm-fast-action:[0-9a-f]{40} -->$/)
    expect(commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api' })).toBe(a)
  })

  it('differs between matrix legs, jobs and workflows', () => {
    const markers = new Set([
      commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api (us)' }),
      commentMarker({ workflow: 'CI', job: 'dast', runName: 'shop api (eu)' }),
      commentMarker({ workflow: 'CI', job: 'dast-2', runName: 'shop api (us)' }),
      commentMarker({ workflow: 'Nightly', job: 'dast', runName: 'shop api (us)' }),
      commentMarker({ runName: 'shop api (us)' })
    ])
    expect(markers.size).toBe(5)
  })
})

describe('renderCommentBody', () => {
  it('puts the marker on the first line and keeps a short body whole', () => {
    expect(renderCommentBody('## FAST: passed', marker)).toBe(`${marker}\n## FAST: passed`)
    expect(renderCommentBody(`${marker}\n## FAST: passed`, marker)).toBe(`${marker}\n## FAST: passed`)
  })

  it("cuts a long body under GitHub's limit, with a note", () => {
    const line = `| 1 | SQL injection | GET /api/items?id= | ${'x'.repeat(60)} |\n`
    const markdown = `## FAST: failed\n\n${line.repeat(5_000)}`
    const body = renderCommentBody(markdown, marker)

    expect(markdown.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT)
    expect(body.length).toBeLessThanOrEqual(65_000)
    expect(body.startsWith(`${marker}\n## FAST: failed`)).toBe(true)
    expect(body).toContain('cut to GitHub')
    // Cut on a line break: every table row is whole.
    const rows = body.split('\n').filter((l) => l.startsWith('| 1 '))
    expect(rows.every((r) => r === line.trimEnd())).toBe(true)
  })

  it('honours a smaller maxChars and closes an open code fence and <details>', () => {
    const markdown = `<details><summary>Top findings</summary>\n\n\`\`\`http\n${'GET /?q=1 HTTP/1.1\n'.repeat(500)}\`\`\`\n</details>\n`
    const body = renderCommentBody(markdown, marker, 2_000)

    expect(body.length).toBeLessThanOrEqual(2_000)
    expect(body.match(/^```/gm)).toHaveLength(2)
    expect(body).toContain('</details>')
  })

  it('never splits the marker or a surrogate pair', () => {
    const tiny = renderCommentBody('a'.repeat(500), marker, 10)
    expect(tiny.startsWith(`${marker}\n`)).toBe(true)
    expect(tiny).toContain('cut to GitHub')

    const emoji = renderCommentBody('🔥'.repeat(40_000), marker, 1_000)
    expect(emoji.length).toBeLessThanOrEqual(1_000)
    expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })
})
