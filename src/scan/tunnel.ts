/**
 * Two sockets joined into one tunnel (a CONNECT, a WebSocket), closed as nginx closes its tunnels: once
 * either end has closed, the other is closed too, after the bytes already read from the closing end
 * have been written on. Neither socket outlives the tunnel: a socket left half-open, or paused after
 * its partner went away (`pipe` pauses the source when its destination closes), is a descriptor held
 * until the step ends.
 */
import type { Duplex } from 'node:stream'

/** How long a closing tunnel waits for a peer that does not read its last bytes before dropping them. */
export const TUNNEL_LINGER_MS = 10_000

/** Joins `a` and `b` as one tunnel. */
export function splice(a: Duplex, b: Duplex): void {
  let closing = false
  const drop = (): void => {
    a.destroy()
    b.destroy()
  }
  const close = (): void => {
    if (closing) return
    closing = true
    for (const socket of [a, b]) {
      socket.once('finish', () => socket.destroy())
      socket.end()
    }
    setTimeout(drop, TUNNEL_LINGER_MS).unref()
  }
  for (const [from, to] of [
    [a, b],
    [b, a]
  ] as const) {
    from.pipe(to, { end: false })
    from.on('end', close)
    from.on('error', drop)
    from.once('close', () => {
      // Closed without an end (a reset, a destroy): nothing more will come, and nothing must wait.
      if (!closing) drop()
    })
  }
}
