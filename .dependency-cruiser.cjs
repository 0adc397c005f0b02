/**
 * Import rules checked by `npm run lint` (dependency-cruiser). Kept to what the layout promises: no
 * cycles, the layers below the action know nothing of the runner, and the emulator is a product of
 * its own that the action never imports.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other: move what both need to a module below them.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'core-only-in-the-action-layer',
      severity: 'error',
      comment:
        'The API client, the poller, the verdict, the reports and scan mode know nothing of @actions/core: ' +
        'the action layer adapts them through the runner port (src/action/port.ts).',
      from: { path: '^src/', pathNot: '^src/(action/|index\\.ts$)' },
      to: { path: '@actions/core' }
    },
    {
      name: 'action-does-not-import-emulator',
      severity: 'error',
      comment: 'The emulator stands in for Wallarm in tests and the demo; the action must not ship it.',
      from: { path: '^src/' },
      to: { path: '^(emulator|scripts|test|sample-app)/' }
    },
    {
      name: 'openapi-layer-stands-alone',
      severity: 'error',
      comment:
        'The OpenAPI layer (the API description, matching, coverage) is called by the traffic table, the gate, ' +
        'SARIF and summarize; it knows nothing of them and imports only src/common.',
      from: { path: '^src/openapi/' },
      to: { path: '^src/', pathNot: '^src/(openapi|common)/' }
    },
    {
      name: 'emulator-stands-alone',
      severity: 'error',
      comment: 'The emulator is a product of its own: it imports nothing of the action.',
      from: { path: '^emulator/' },
      to: { path: '^src/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] }
  }
}
