/**
 * A local stand-in of the GitHub REST API's issue-comment endpoints, `GET /user` and GraphQL's `viewer`
 * (`node:http` on 127.0.0.1), with `Link` pagination and GHES's `/api/v3` (`/api/graphql`) prefix like
 * GitHub's, recording every request. Point the action's Octokit (`@actions/github`'s) at it through
 * `GITHUB_API_URL`.
 *
 * It can be hostile: comments by other people (`seed(issue, body, author)`), and answers a test scripts.
 * Who the token is:
 * - `viewer`: a personal access token's user, which `GET /user` and GraphQL name;
 * - `app`: a GitHub App's installation token: `GET /user` is refused (403), GraphQL's `viewer` is the
 *   app's bot user `<slug>[bot]`, which authors its comments;
 * - neither: the job's `GITHUB_TOKEN`, refused by both (GraphQL with a FORBIDDEN error; `jobViewer`
 *   makes GraphQL name it instead), whose comments are written by `github-actions[bot]`.
 * Every login has one numeric id, whatever its case, as GitHub's users do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Recorded {
  method: string
  path: string
  authorization: string | undefined
  body: unknown
}

export interface StoredComment {
  id: number
  body: string
  issue: number
  /** The author's login. */
  user: string
}

export const ACTIONS_BOT = 'github-actions[bot]'

const userIds = new Map<string, number>([[ACTIONS_BOT, 41898282]])

/** The numeric id of a login (the same for every case of it), as GitHub gives each user one. */
export function userId(login: string): number {
  const key = login.toLowerCase()
  let id = userIds.get(key)
  if (id === undefined) userIds.set(key, (id = 5_000_000 + userIds.size))
  return id
}

export interface Failure {
  method: string
  /** Only requests to this path (after any `/api/v3`); default: the comment endpoints, not `/user`. */
  path?: string
  /** Take the request and never answer (`status` and `message` are not used). */
  hang?: boolean
  status: number
  message: string
  headers?: Record<string, string>
  /** Answer this many matching requests, then none (default: every one). */
  times?: number
}

/** A stand-in for the three issue-comment endpoints, with `Link` pagination like GitHub's. */
export class FakeGitHub {
  readonly requests: Recorded[] = []
  comments: StoredComment[] = []
  failures: Failure[] = []
  /** The token's own login (a personal access token); undefined: an installation token. */
  viewer: string | undefined
  /** The slug of the GitHub App whose installation token is used; undefined: not an App's. */
  app: string | undefined
  /** The job's token: GraphQL's `viewer` names `github-actions[bot]` instead of refusing. */
  jobViewer = false
  private nextId = 1000
  private server: Server | undefined
  port = 0

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  reset(): void {
    this.requests.length = 0
    this.comments = []
    this.failures = []
    this.viewer = undefined
    this.app = undefined
    this.jobViewer = false
  }

  /** Who the token's comments are written by. */
  get author(): string {
    return this.viewer ?? (this.app === undefined ? ACTIONS_BOT : `${this.app}[bot]`)
  }

  seed(issue: number, body: string, user = ACTIONS_BOT): number {
    const id = this.nextId++
    this.comments.push({ id, body, issue, user })
    return id
  }

  /** The requests to the comment endpoints (not `GET /user`, not GraphQL). */
  get commentRequests(): Recorded[] {
    return this.requests.filter((r) => !/^(\/api\/v3)?\/user$|^(\/api)?\/graphql$/.test(r.path))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', this.url)
    const method = req.method ?? 'GET'
    this.requests.push({
      method,
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      body: raw ? JSON.parse(raw) : undefined
    })
    // GitHub Enterprise Server serves the REST API under /api/v3, GraphQL at /api/graphql.
    const path = url.pathname.replace(/^\/api\/v3(?=\/)|^\/api(?=\/graphql$)/, '')
    const prefix = url.pathname.slice(0, url.pathname.length - path.length)
    const identity = path === '/user' || path === '/graphql'
    const failure = this.failures.find(
      (f) => f.method === method && (f.path === undefined ? !identity : f.path === path)
    )
    if (failure?.times !== undefined && --failure.times <= 0)
      this.failures.splice(this.failures.indexOf(failure), 1)
    if (failure?.hang) return
    if (failure) {
      return send(res, failure.status, { message: failure.message }, failure.headers)
    }
    if (path === '/user' && method === 'GET') {
      if (this.viewer === undefined)
        return send(res, 403, { message: 'Resource not accessible by integration' })
      return send(res, 200, { login: this.viewer, id: userId(this.viewer), type: 'User' })
    }
    if (path === '/graphql' && method === 'POST') {
      const query = (JSON.parse(raw) as { query?: string }).query ?? ''
      if (!/\bviewer\s*\{/.test(query)) return send(res, 200, { errors: [{ message: 'unexpected query' }] })
      if (this.viewer === undefined && this.app === undefined && !this.jobViewer) {
        return send(res, 200, {
          data: { viewer: null },
          errors: [{ type: 'FORBIDDEN', path: ['viewer'], message: 'Resource not accessible by integration' }]
        })
      }
      return send(res, 200, { data: { viewer: { login: this.author, databaseId: userId(this.author) } } })
    }

    let m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path)
    if (m && method === 'GET') {
      const issue = Number(m[3])
      const perPage = Number(url.searchParams.get('per_page') ?? '30')
      const page = Number(url.searchParams.get('page') ?? '1')
      const all = this.comments.filter((c) => c.issue === issue)
      const slice = all.slice((page - 1) * perPage, page * perPage)
      const headers: Record<string, string> = {}
      if (page * perPage < all.length) {
        const next = new URL(`${this.url}${prefix}${path}`)
        next.searchParams.set('per_page', String(perPage))
        next.searchParams.set('page', String(page + 1))
        headers['link'] = `<${next.href}>; rel="next"`
      }
      return send(res, 200, slice.map(toApi(this.url)), headers)
    }
    if (m && method === 'POST') {
      const body = (JSON.parse(raw) as { body: string }).body
      const user = this.author
      const id = this.seed(Number(m[3]), body, user)
      return send(res, 201, toApi(this.url)({ id, body, issue: Number(m[3]), user }))
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path)
    if (m && method === 'PATCH') {
      const id = Number(m[3])
      const comment = this.comments.find((c) => c.id === id)
      if (!comment) return send(res, 404, { message: 'Not Found' })
      comment.body = (JSON.parse(raw) as { body: string }).body
      return send(res, 200, toApi(this.url)(comment))
    }
    return send(res, 404, { message: 'Not Found' })
  }
}

function toApi(base: string) {
  return (c: StoredComment) => ({
    id: c.id,
    body: c.body,
    html_url: `${base}/acme/shop/pull/${c.issue}#issuecomment-${c.id}`,
    user: { login: c.user, id: userId(c.user), type: c.user.endsWith('[bot]') ? 'Bot' : 'User' }
  })
}

function send(
  res: ServerResponse,
  status: number,
  data: unknown,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(data))
}

/** The runner's variables for a `pull_request` event on octo/shop#7, against this stand-in's API. */
export function pullRequestEnv(github: Pick<FakeGitHub, 'url'>): Record<string, string> {
  const eventPath = join(mkdtempSync(join(tmpdir(), 'fast-pr-event-')), 'event.json')
  writeFileSync(
    eventPath,
    JSON.stringify({
      number: 7,
      pull_request: { number: 7 },
      repository: { name: 'shop', owner: { login: 'octo' } }
    })
  )
  return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath, GITHUB_API_URL: github.url }
}
