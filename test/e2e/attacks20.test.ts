import { defineAttacks } from './attacks.js'

// The older runtime the package supports (engines: node >= 20): ids and the JSON scan must not depend on
// Node 24's JSON.parse source access.
defineAttacks('Node 20', () => process.execPath)
