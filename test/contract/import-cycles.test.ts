/**
 * `npm run lint` runs dependency-cruiser (`npm run deps`) with .dependency-cruiser.cjs so that no two
 * modules import each other. This proves the check can fail: the same command, with the same config,
 * finds the cycle in two files that import each other (also when one side imports only a type, the kind
 * the emulator's model and its vulnerability object had), and finds none in the project's own tree.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise')

/** The arguments `npm run deps` gives depcruise (what lint checks), read from package.json. */
function depsArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const [command, ...args] = pkg.scripts.deps!.split(/\s+/)
  expect(command).toBe('depcruise')
  expect(args).toContain('.dependency-cruiser.cjs')
  return args
}

/**
 * Runs depcruise from the repository root (the config's paths are relative to it) with its default
 * reporter, the one lint uses: it lists each violation as `error <rule>: <from> → …` and exits non-zero.
 */
async function depcruise(args: string[]): Promise<{ exitCode: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(DEPCRUISE, args, { cwd: ROOT })
    return { exitCode: 0, output: stdout + stderr }
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw err
    return { exitCode: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

const fixtures = mkdtempSync(join(tmpdir(), 'import-cycles-'))
afterAll(() => rmSync(fixtures, { recursive: true, force: true }))

function write(path: string, text: string): void {
  mkdirSync(join(fixtures, path, '..'), { recursive: true })
  writeFileSync(join(fixtures, path), text)
}

describe.concurrent('the import-cycle check of npm run lint', () => {
  it('fails on two modules that import each other, also through a type-only import', async () => {
    write('values/a.ts', "import { b } from './b.js'\nexport const a = (): number => b + 1\n")
    write(
      'values/b.ts',
      "import { a } from './a.js'\nexport const b = 1\nexport const twice = (): number => 2 * a()\n"
    )
    write(
      'types/model.ts',
      "import { describe } from './object.js'\nexport interface Vuln { type: string }\nexport const show = (v: Vuln): string => describe(v)\n"
    )
    write(
      'types/object.ts',
      "import type { Vuln } from './model.js'\nexport const describe = (v: Vuln): string => v.type\n"
    )
    write('types/leaf.ts', "import type { Vuln } from './model.js'\nexport const none: Vuln[] = []\n")
    // The config and options lint uses, over the fixtures instead of the project's folders.
    const options = depsArgs().filter((arg) => arg.startsWith('-') || arg.endsWith('.cjs'))
    const { exitCode, output } = await depcruise([fixtures, ...options])

    expect(exitCode, output).not.toBe(0)
    const rules = [...output.matchAll(/^\s*error ([\w-]+):/gm)].map((m) => m[1])
    expect(rules, output).toEqual(['no-circular', 'no-circular'])
    const named = new Set([...output.matchAll(/import-cycles-[^/\s]+\/([\w/]+\.ts)/g)].map((m) => m[1]))
    // Both pairs, and not types/leaf.ts, which only imports.
    expect([...named].sort(), output).toEqual([
      'types/model.ts',
      'types/object.ts',
      'values/a.ts',
      'values/b.ts'
    ])
  })

  it("passes on the project's own tree", async () => {
    const { exitCode, output } = await depcruise(depsArgs())
    expect(output).not.toMatch(/^\s*error /m)
    expect(exitCode, output).toBe(0)
    expect(output).toContain('no dependency violations found')
  })
})
