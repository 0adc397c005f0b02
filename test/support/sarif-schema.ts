import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'

// The official SARIF 2.1.0 schema, vendored with its licence (test/schemas/README.md).
const schemaUrl = new URL('../schemas/sarif-2.1.0-rtm.5.json', import.meta.url)
const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as Record<string, unknown>

/**
 * The official schema is draft-04 (`id`, not `$id`), which Ajv 8 does not take as such; no keyword
 * in it differs between draft-04 and draft-07 (no boolean exclusiveMinimum), so it is checked as
 * draft-07 with the draft-04 `id` and `$schema` taken out. One of its patterns is not valid with the
 * `u` flag, hence `unicodeRegExp: false`; formats are not checked (ajv-formats is not installed).
 * Returns the errors, `[]` when the log is valid.
 */
export function sarifValidator(): (data: unknown) => string[] {
  const s = { ...schema }
  delete s.$schema
  delete s.id
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, unicodeRegExp: false })
  const validate = ajv.compile(s)
  return (data) =>
    validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`)
}
