// The post step's entry (action.yml `post:`): it says it is the post step, then runs the one bundle.
// Written by scripts/post-entry.ts (npm run bundle).
globalThis[Symbol.for("wallarm-fast-action.post-step")] = true
await import('./index.js')
