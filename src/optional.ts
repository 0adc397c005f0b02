/**
 * What only some steps need, bundled apart as dist/optional/index.js (with its own licences file) and
 * loaded through ./load-optional.ts: the pull-request comment (Octokit and undici) and the HTTP client
 * that tunnels through a proxy. Kept out of dist/start/index.js because Node parses every byte of the
 * file it loads: these 0.57 MB cost every step about 30 ms on Node 24 (docs/benchmarks.md).
 */
export { commentMarker, pullRequestTarget, renderCommentBody, upsertComment } from './github/comment.js'
export { HttpClient } from '@actions/http-client'
export { getProxyUrl } from '@actions/http-client/lib/proxy'
