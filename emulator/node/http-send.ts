/** One test request to the target, with a deadline: a refused, reset or silent target throws. */
import http from 'node:http'
import { absoluteTarget } from '../request-target.js'
import type { HttpAnswer, HttpRequestSpec } from './attack.js'

/** Answers are read up to this size: enough to see an error page or a file's first lines. */
const MAX_BODY = 256 * 1024

export function sendRequest(r: HttpRequestSpec, timeoutMs: number): Promise<HttpAnswer> {
  // The path and query as recorded: the replay of a baseline is the request the tests sent.
  const target = absoluteTarget(r.url)
  if (!target) return Promise.reject(new Error(`not an http:// URL: ${r.url}`))
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: r.method,
        path: target.path,
        headers: { ...r.headers, host: target.host },
        agent: false,
        timeout: timeoutMs
      },
      (res) => {
        let size = 0
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c)
          size += c.length
        })
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? '').toLowerCase(),
            body: Buffer.concat(chunks).toString('utf8')
          })
        )
        res.on('error', reject)
      }
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(r.body === '' ? undefined : r.body)
  })
}
