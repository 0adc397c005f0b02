/**
 * Every relative link a reader can follow resolves: in the repository's Markdown (README, CONTRIBUTING,
 * CHANGELOG, SECURITY, docs/), to a file that exists and, with a `#anchor`, to a heading of it under
 * GitHub's anchor rules; and every link to the docs in the action's messages (src/) and in action.yml's
 * descriptions, which the Marketplace and the runner's log show. A section moved to another page then
 * breaks this test, not a user's click.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  anchors,
  brokenLinks,
  markdownFiles,
  markdownLinks,
  slug,
  sourceLinks
} from '../support/markdown-links.js'

const ROOT = join(import.meta.dirname, '..', '..')

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.replaceAll('\\', '/')}`)

describe("the repository's links", () => {
  const markdown = markdownFiles(ROOT)
  const sources = ['action.yml', ...sourceFiles('src')]

  it('finds the Markdown files and their links', () => {
    expect(markdown).toEqual(
      expect.arrayContaining([
        'README.md',
        'CONTRIBUTING.md',
        'CHANGELOG.md',
        'SECURITY.md',
        'docs/recipes.md',
        'docs/scan-mode.md',
        'docs/behaviour.md',
        'docs/results.md',
        'docs/troubleshooting.md',
        'docs/emulator.md',
        'docs/benchmarks.md'
      ])
    )
    expect(markdown.filter((f) => f.startsWith('node_modules/'))).toEqual([])
    const relative = markdown.flatMap((f) =>
      markdownLinks(f, readFileSync(join(ROOT, f), 'utf8')).filter((l) => !/^[a-z]+:/.test(l.target))
    )
    expect(relative.length).toBeGreaterThanOrEqual(50)
  })

  it("finds the docs links in the action's messages", () => {
    const links = sources.flatMap((f) => sourceLinks(f, readFileSync(join(ROOT, f), 'utf8')))
    expect(links.filter((l) => l.target.includes('#')).length).toBeGreaterThanOrEqual(1)
  })

  it('every relative link and anchor resolves', () => {
    expect(brokenLinks(ROOT, markdown, sources)).toEqual([])
  })
})

describe('the link check', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Develop / try it locally')).toBe('develop--try-it-locally')
    expect(slug('SARIF (code scanning)')).toBe('sarif-code-scanning')
    expect(slug("Vulnerability details refused (only the run's summary)")).toBe(
      'vulnerability-details-refused-only-the-runs-summary'
    )
    expect([...anchors('# `reuse` fails with `not_ready_for_cloning`\n')]).toEqual([
      'reuse-fails-with-not_ready_for_cloning'
    ])
    expect([...anchors('## Limits\n\ntext\n\n## Limits\n\n### Limits\n')]).toEqual([
      'limits',
      'limits-1',
      'limits-2'
    ])
    expect([...anchors('## [Linked](x.md) **bold** 2.0 ✅ done\n')]).toEqual(['linked-bold-20--done'])
  })

  it('finds what a moved section breaks, and no link in code', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'))
    mkdirSync(join(root, 'docs'))
    writeFileSync(join(root, 'docs', 'moved.md'), '# Moved\n\n## HTTPS targets\n')
    writeFileSync(
      join(root, 'README.md'),
      [
        '# Title', // 1
        '', // 2
        '[here](#title) [gone](#scan-mode) [page](docs/moved.md#https-targets)', // 3
        '[old](docs/moved.md#limits) [none](docs/nothing.md) [web](https://example.com/#x)', // 4
        '<img src="docs/missing.png" alt="x">', // 5
        '`[not a link](#code)`', // 6
        '```md', // 7
        '[nor this](#fenced)', // 8
        '```' // 9
      ].join('\n')
    )
    writeFileSync(
      join(root, 'docs', 'page.md'),
      '# Page\n\n[back](../README.md#title) [up](../README.md#gone)\n'
    )
    mkdirSync(join(root, 'src'))
    writeFileSync(
      join(root, 'src', 'message.ts'),
      [
        "const a = 'see https://github.com/wallarm/fast-action/blob/v1/docs/moved.md#https-targets'",
        "const b = 'see docs/moved.md#scan-mode, or README.md#title'"
      ].join('\n')
    )
    expect(brokenLinks(root, ['README.md', 'docs/page.md'], ['src/message.ts'])).toEqual([
      'README.md:3: #scan-mode (README.md has no heading #scan-mode)',
      'README.md:4: docs/moved.md#limits (docs/moved.md has no heading #limits)',
      'README.md:4: docs/nothing.md (docs/nothing.md does not exist)',
      'README.md:5: docs/missing.png (docs/missing.png does not exist)',
      'docs/page.md:3: ../README.md#gone (README.md has no heading #gone)',
      'src/message.ts:2: docs/moved.md#scan-mode (docs/moved.md has no heading #scan-mode)'
    ])
  })
})
