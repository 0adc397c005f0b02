/**
 * The demo's verdict: each thing it checks, as a line with ✓ or ✗, and the findings said the way a
 * reader checks them (`sqli on GET /api/search (q)`).
 */
import { INJECTABLE_PATH } from '../../sample-app/server.js'
import { say, style } from './console.js'

/** A finding as the action's `vulnerabilities-json` output gives it (only what the demo reads). */
export interface Vuln {
  type?: string
  method?: string
  domain?: string
  path?: string
  parameter?: string
}

export class Verdict {
  private readonly checks: Array<{ ok: boolean; text: string }> = []

  /** Notes one thing that behaved as designed (ok) or not. */
  readonly check = (ok: boolean, text: string): void => void this.checks.push({ ok, text })

  /** Prints every check and the verdict; the demo's exit code (0 only when everything behaved). */
  print(started: number): number {
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    say()
    say(style.bold('Verdict'))
    for (const c of this.checks) say(`  ${c.ok ? style.green('✓') : style.red('✗')} ${c.text}`)
    const failed = this.checks.filter((c) => !c.ok)
    say()
    if (failed.length === 0) {
      say(style.green(style.bold(`The demo behaved as designed (${seconds} s).`)))
      return 0
    }
    say(
      style.red(
        style.bold(`${failed.length} thing(s) did not behave as designed (${seconds} s): see ✗ above.`)
      )
    )
    return 1
  }
}

export function parseVulns(json: string | undefined): Vuln[] {
  try {
    const value: unknown = JSON.parse(json ?? '[]')
    return Array.isArray(value) ? (value as Vuln[]) : []
  } catch {
    return []
  }
}

/** The sqli the shop's search really has. */
export function hasSqli(vulns: Vuln[]): boolean {
  return vulns.some((v) => v.type === 'sqli' && v.path === INJECTABLE_PATH)
}

export function describe(vulns: Vuln[]): string {
  if (vulns.length === 0) return 'no finding'
  return vulns
    .map(
      (v) => `${v.type ?? '?'} on ${v.method ?? ''} ${v.path ?? '?'}${v.parameter ? ` (${v.parameter})` : ''}`
    )
    .join(', ')
}

/** An output's value, or "(none)". */
export function q(value: string | undefined): string {
  return value === undefined || value === '' ? '(none)' : value
}
