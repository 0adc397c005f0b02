/**
 * The OpenAPI layer: the team's API description as the map that requests and findings are put on. It
 * knows nothing of the traffic table, the gate, SARIF or summarize; they call it. Imports nothing of
 * src/ but src/common (dependency-cruiser keeps it so).
 *
 * The integrator's calls, in order:
 *
 *   const api = loadApiDescription({ file: settings.openapi, workspace })  // before any API call;
 *                                            // throws OpenApiError (input, file, line)
 *   const matcher = createMatcher(api.operations)                            // once per run
 *
 *   // scan mode, after the tests: the hop's ledger adapted to SentRequest[] (method, path, count,
 *   // recorded as a baseline or not), the findings' method and path, and `exclude` as a predicate
 *   const coverage = computeCoverage({ matcher, spec: api.file, requests, findings, exclude })
 *   coverageLine(coverage)                    // "6 of 40 operations tested (15%)"
 *   belowMinCoverage(coverage, minCoverage)   // the inconclusive reason, or undefined
 *   coverage.operations, coverage.tested      // the outputs `operations` and `operations-tested`
 *   JSON.stringify(coverage)                  // the JSON report's field (plain data)
 *
 *   // summarize: each leg's field through parseCoverage (untrusted), then
 *   unionCoverage(legs)                        // tested where any leg tested it
 *
 *   // identity and SARIF: per finding
 *   locateFinding(matcher, method, path)       // { pathTemplate, file, line, logicalName, … } | undefined
 *   pathTemplateResolver(matcher)              // for ../triage/identity.ts: the spec's template wins
 */
export { OpenApiError, OPENAPI_INPUT } from './errors.js'
export { loadApiDescription, type ApiDescription, type LoadOptions, type Operation } from './load.js'
export { createMatcher, type Matcher, type MatchResult } from './match.js'
export {
  belowMinCoverage,
  computeCoverage,
  coverageLine,
  MAX_UNMATCHED_ROWS,
  opName,
  unionCoverage,
  type Coverage,
  type CoverageInput,
  type CoverageRow,
  type FindingAt,
  type OperationStatus,
  type SentRequest,
  type TiedRow,
  type UnmatchedRow
} from './coverage.js'
export { CoverageFormatError, parseCoverage } from './coverage-json.js'
export { locateFinding, type SpecLocation } from './locate.js'
export { pathTemplateResolver } from './resolver.js'
