/** The e2e tests run the bundled action with the same runner stand-in as the demo and the benchmark. */
export * from '../../scripts/lib/action-runner.js'
