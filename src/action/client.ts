/** The one place the action builds its Wallarm API client, with the user agent written once. */
import type { FlowClient } from '../modes/flow.js'
import { VERSION } from '../common/version.js'
import { FastClient, type FastClientOptions } from '../wallarm/client.js'

export const USER_AGENT = `wallarm-fast-action/${VERSION}`

/** A client the action can dispose of when its step is done. */
export type ActionClient = FlowClient & { dispose(): void }

export type ClientOptions = Omit<FastClientOptions, 'userAgent'>

/** Builds the client for one step; tests pass their own (a fake, or the real one with a virtual clock). */
export type ClientFactory = (options: ClientOptions) => ActionClient

export const createClient: ClientFactory = (options) => new FastClient({ ...options, userAgent: USER_AGENT })
