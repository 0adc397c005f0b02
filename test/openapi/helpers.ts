import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** The fixtures folder, taken as the workspace (the repository root) of the API descriptions in it. */
export const FIXTURES = join(import.meta.dirname, 'fixtures')

/** The text of a 1-based line of a file under `workspace`. */
export function lineText(workspace: string, file: string, line: number): string {
  return readFileSync(join(workspace, file), 'utf8').split('\n')[line - 1] ?? ''
}

/** A temporary workspace holding `files` (path → text). */
export function workspaceWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'openapi-ws-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}
