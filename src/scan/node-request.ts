/**
 * A request passed on to the FAST node over a kept-alive connection, without the race that keep-alive
 * brings: the node closes an idle connection (nginx's `keepalive_timeout`) just as the hop sends on it,
 * and the test would get a 502 that straight to the node it never gets. Two guards:
 * - no node connection is reused after NODE_IDLE_MS idle, well under any keep-alive timeout the node
 *   keeps (nginx's default is 75 s, Node's 5 s); and
 * - a request on a reused connection that fails before any byte of its answer arrives is sent once more
 *   on a new connection, when that is safe: its method is idempotent (RFC 9110 §9.2.2), or none of its
 *   bytes left the hop. Its body is kept for that until the answer begins (up to REPLAY_BYTES).
 */
import http, { type IncomingMessage } from 'node:http'

/** How long a node connection may stay idle before the hop closes it rather than reuse it. */
export const NODE_IDLE_MS = 2_000

/** The most body bytes kept to send a request again. */
export const REPLAY_BYTES = 1024 * 1024

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

/** The hop's pool of node connections: kept alive, closed after NODE_IDLE_MS idle. */
export function nodeAgent(): http.Agent {
  // The agent's timeout closes only free sockets; a request in flight is never cut by it.
  return new http.Agent({ keepAlive: true, timeout: NODE_IDLE_MS })
}

export interface NodeRequest {
  /** Aborts the request (the client went away): its node connection is closed, not kept. */
  abort(): void
}

/**
 * Sends `request` (with `body` streamed from the client) as `options` say, and calls `onAnswer` with the
 * answer or `onError` with the last error. A retry is on a connection of its own, closed after it.
 */
export function requestNode(
  options: http.RequestOptions,
  body: IncomingMessage,
  onAnswer: (answer: IncomingMessage) => void,
  onError: (err: NodeJS.ErrnoException) => void
): NodeRequest {
  const kept: Buffer[] = []
  let keptBytes = 0
  let bodyEnded = false
  let answered = false
  let retried = false
  let aborted = false
  let current: http.ClientRequest

  const send = (agent: http.RequestOptions['agent']): http.ClientRequest => {
    const up = http.request({ ...options, agent })
    let writtenBefore: number | undefined
    up.once('socket', (socket) => (writtenBefore = socket.bytesWritten))
    up.once('response', (answer) => {
      answered = true
      kept.length = 0
      onAnswer(answer)
    })
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (up !== current) return
      const nothingWritten = writtenBefore !== undefined && up.socket?.bytesWritten === writtenBefore
      const safe = IDEMPOTENT.has(options.method ?? 'GET') || nothingWritten
      if (!answered && !retried && !aborted && up.reusedSocket && safe && keptBytes <= REPLAY_BYTES) {
        retried = true
        current = send(false)
        for (const chunk of kept) current.write(chunk)
        if (bodyEnded) current.end()
        body.resume()
        return
      }
      onError(err)
    })
    return up
  }
  current = send(options.agent)

  body.on('data', (chunk: Buffer) => {
    if (!answered && keptBytes <= REPLAY_BYTES) {
      keptBytes += chunk.length
      if (keptBytes <= REPLAY_BYTES) kept.push(chunk)
      else kept.length = 0
    }
    const up = current
    if (!up.write(chunk)) {
      body.pause()
      up.once('drain', () => up === current && body.resume())
    }
  })
  body.on('end', () => {
    bodyEnded = true
    current.end()
  })
  return {
    abort: () => {
      aborted = true
      current.destroy()
    }
  }
}
