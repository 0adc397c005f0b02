import { defineCancelScenario, defineScenarios } from './scenarios.js'
import { node24Path } from './harness.js'

// The runtime action.yml declares (runs.using: node24), fetched from the npm registry.
defineScenarios('Node 24', node24Path)
defineCancelScenario('Node 24', node24Path)
