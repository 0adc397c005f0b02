/** The node's side of its private link to the emulated cloud (see emulator/api.ts, `/__node/v1/`). */
import type { CheckEvent, NodeWork, RecordBaselineResult } from '../cloud/types.js'

export class LinkError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
  }
}

export class CloudLink {
  constructor(
    private readonly apiBase: string,
    private readonly token: string
  ) {}

  hello(session: string): Promise<{ node_id: number }> {
    return this.call('POST', '/__node/v1/hello', { session })
  }

  work(): Promise<NodeWork> {
    return this.call('GET', '/__node/v1/work')
  }

  recordBaseline(b: {
    method: string
    url: string
    headers: Record<string, string>
    body: string
  }): Promise<RecordBaselineResult> {
    return this.call('POST', '/__node/v1/baseline', b)
  }

  report(runId: number, events: CheckEvent[]): Promise<unknown> {
    return this.call('POST', '/__node/v1/report', { run_id: runId, events })
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.apiBase}${path}`, {
      method,
      headers: {
        'x-wallarmapi-token': this.token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000)
    })
    const text = await res.text()
    let parsed: { body?: unknown } | undefined
    try {
      parsed = JSON.parse(text) as { body?: unknown }
    } catch {
      parsed = undefined
    }
    if (!res.ok) throw new LinkError(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`, res.status)
    return parsed?.body as T
  }
}
