/**
 * What a user can do about an error, in terms of the action's inputs. The API client's errors carry the
 * facts (kind, status, which resource, which host); only this layer knows which input set them.
 */
import { Env, Inputs } from '../common/constants.js'
import { message } from '../common/error-message.js'
import { WallarmApiError } from '../wallarm/errors.js'

/** The error's message, followed by what to check when there is something to check. */
export function explain(err: unknown): string {
  const text = message(err)
  const remedy = err instanceof WallarmApiError ? remedyFor(err) : undefined
  if (!remedy) return text
  // Some messages end without a full stop ("…; gave up after 5 attempts").
  return `${text}${/[.!?]$/.test(text) ? '' : '.'} ${remedy}`
}

function remedyFor(err: WallarmApiError): string | undefined {
  switch (err.kind) {
    case 'auth':
      return (
        `Check that the ${Inputs.Token} input (or ${Env.Token}) is a FAST node token (FAST → Nodes in the ` +
        'Wallarm console), that it was not revoked, and that it belongs to the cloud api-host points at: ' +
        'a US token works only with us1.api.wallarm.com (api-host: us), an EU token only with ' +
        'api.wallarm.com (api-host: eu).'
      )
    case 'not_found': {
      const input =
        err.resource?.kind === 'test record'
          ? `the ${Inputs.TestRecordId} input`
          : err.resource?.kind === 'test run'
            ? `the ${Inputs.TestRunId} input (or ${Env.TestRunId})`
            : 'the id'
      return `Check ${input}, and that the token belongs to the account (and cloud, api-host) that owns it.`
    }
    case 'network':
      if (err.networkCode === 'ENOTFOUND' || err.networkCode === 'EAI_AGAIN')
        return `Check the ${Inputs.ApiHost} input.`
      if (err.networkCode === 'ECONNREFUSED')
        return `Check the ${Inputs.ApiHost} input (and any HTTPS_PROXY).`
      return undefined
    default:
      return undefined
  }
}
