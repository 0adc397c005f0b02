/**
 * The comment's Octokit on its own: GitHub's base URL and token as given, its own proxy-aware fetch when
 * the caller brings none, and the caller's deadline.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getOctokit } from '../../src/github/octokit.js'
import { FakeGitHub } from '../support/fake-github.js'

const github = new FakeGitHub()
beforeAll(() => github.start())
afterAll(() => github.stop())

it('sends the token to the base URL through its own fetch', async () => {
  github.reset()
  const octokit = getOctokit('ghs_x', { baseUrl: github.url })
  const { data } = await octokit.rest.issues.listComments({ owner: 'o', repo: 'r', issue_number: 1 })
  expect(data).toEqual([])
  expect(github.requests).toEqual([
    expect.objectContaining({
      method: 'GET',
      authorization: 'token ghs_x',
      path: expect.stringMatching(/^\/repos\/o\/r\/issues\/1\/comments/) as unknown
    })
  ])
})

it('gives up when the caller’s signal is aborted', async () => {
  const octokit = getOctokit('ghs_x', { baseUrl: github.url, request: { signal: AbortSignal.abort() } })
  await expect(octokit.rest.issues.listComments({ owner: 'o', repo: 'r', issue_number: 1 })).rejects.toThrow()
})

it('talks to api.github.com when no base URL is given (GITHUB_API_URL is read by the caller)', () => {
  expect(getOctokit('ghs_x').request.endpoint.DEFAULTS.baseUrl).toBe('https://api.github.com')
})
