import { defineAttacks } from './attacks.js'
import { node24Path } from './harness.js'

// The runtime action.yml declares (runs.using: node24), fetched from the npm registry.
defineAttacks('Node 24', node24Path)
