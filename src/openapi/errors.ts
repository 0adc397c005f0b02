/**
 * An API description the step cannot use (missing, unparsable, not OpenAPI or Swagger, a `$ref` that
 * leaves the workspace): the input, the file (relative to the workspace) and the line where there is one.
 */

/** The input's name as action.yml will spell it; kept here so that this layer imports nothing above it. */
export const OPENAPI_INPUT = 'openapi'

export class OpenApiError extends Error {
  override readonly name = 'OpenApiError'
  readonly input = OPENAPI_INPUT

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string
  ) {
    super(`Input "${OPENAPI_INPUT}": ${file}${line === undefined ? '' : `:${line}`}: ${problem}`)
  }
}
