import { defineCancelScenario, defineScenarios } from './scenarios.js'

// This process's runtime: Node 20 on the development machines and in CI's .ci/run.
defineScenarios(`Node ${process.versions.node}`, () => process.execPath)
defineCancelScenario(`Node ${process.versions.node}`, () => process.execPath)
