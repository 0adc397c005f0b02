/**
 * `npm run demo` end to end: the demo script runs the bundled action against the emulator and must end
 * with its verdict "as designed" (exit 0), name the files it wrote and show the sqli finding.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from './harness.js'

const outDir = mkdtempSync(join(tmpdir(), 'fast-demo-test-'))
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', DEMO_OUTPUT_DIR: outDir },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

describe('npm run demo', () => {
  it('runs the whole flow against the emulator and ends as designed', { timeout: 120_000 }, async () => {
    const { code, output } = await runDemo()
    expect(code, output).toBe(0)
    expect(output).toContain('The demo behaved as designed')
    expect(output).not.toContain('✗')

    const files = ['1-record.md', '2-stop.md', '5-leg-1.md', '5-leg-2.md', '6-summary.md']
    const reports = ['2-stop.json', '2-stop.sarif', '2-stop.junit.xml']
    for (const file of [...files, ...reports]) {
      expect(output).toContain(file)
      expect(existsSync(join(outDir, file)), file).toBe(true)
    }
    // The sqli finding on the injectable endpoint, in the log, the summaries and the verdict.
    expect(output).toMatch(/Error: Wallarm FAST: SQL injection.*\/api\/search/)
    expect(output).toMatch(/sqli on GET \/api\/search/)
    // Each thing said once: the type in the finding's annotation, the gate's reason in the stop step.
    const annotation = /Error: Wallarm FAST: SQL injection.*/.exec(output)![0]
    expect(annotation.match(/SQL injection/g)).toHaveLength(1)
    expect(annotation.match(/threat 80/g)).toHaveLength(1)
    const stopStep = output.slice(
      output.indexOf('(mode: stop)'),
      output.indexOf('outputs:', output.indexOf('(mode: stop)'))
    )
    // The node found the sqli and the reflected xss by attacking the shop, which counted the attacks.
    expect(stopStep.match(/Testing found 2 vulnerabilities/g)).toHaveLength(1)
    expect(output).toMatch(/Error: Wallarm FAST: Cross-site scripting \(xss\).*\/greet, parameter name/)
    expect(output).toMatch(
      /the shop received \d+ attack requests from the FAST node \([1-9]\d* on \/api\/search\)/
    )
    expect(readFileSync(join(outDir, '2-stop.md'), 'utf8')).toContain('SQL injection')
    // The demo ends with the matrix as one: both legs in one summary, the sqli once, naming both.
    const summary = readFileSync(join(outDir, '6-summary.md'), 'utf8')
    expect(summary).toContain('### Legs (2 reported)')
    // The legs replayed one test record, and their verdicts are final: no "so far".
    expect(summary).toMatch(/- \*\*Test record:\*\* \d+/)
    expect(summary).toMatch(/- \*\*Vulnerabilities:\*\* 2\n/)
    expect(summary.match(/^\| .*SQL injection .*· leg 1, leg 2 \|/gm)).toHaveLength(1)
    expect(output).toContain('(mode: summarize)')
    expect(JSON.parse(readFileSync(join(outDir, '2-stop.sarif'), 'utf8'))).toHaveProperty('version', '2.1.0')
    // It ends with the pull-request check's API coverage: the operation never attacked, the route not in
    // the spec, and the sqli at the line of its operation in the sample app's spec.
    const ending = output.slice(output.lastIndexOf('━━ API coverage'))
    expect(ending).toMatch(/^ +never attacked: +GET \/hello \(hello\)$/m)
    expect(ending).toMatch(/^ +not in the spec: +GET \/files\b/m)
    expect(ending).toMatch(
      /^ +finding at: +wallarm-fast\/sqli → sample-app\/openapi\.yaml:\d+ \(searchProducts\)$/m
    )
    expect(readFileSync(join(outDir, '4-pr-check.md'), 'utf8')).toContain('### API coverage')

    // Plain text: no colour codes with NO_COLOR, no workflow commands, no token anywhere.
    expect(output.includes('\u001b[')).toBe(false)
    expect(output).not.toMatch(/^\s*::[a-z-]+/m)
    const token = /fast-[abc]-[0-9a-f]{12}|ghs_demo[0-9a-f]{12}/
    expect(output).not.toMatch(token)
    for (const file of readdirSync(outDir))
      expect(readFileSync(join(outDir, file), 'utf8')).not.toMatch(token)
  })
})
