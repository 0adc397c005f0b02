/**
 * The processes a test command started, found in Linux's /proc: what a `run` step's clean-up must end.
 * A process group is not enough (`timeout 600 npm test` moves itself into a group of its own), so the
 * command runs in a session of its own and every process is found by three marks, any of which counts:
 * its session, a variable of the command's environment (inherited by everything it starts, as the
 * runner's own RUNNER_TRACKING_ID is, even by a process that calls setsid), and being a descendant of a
 * process found so. Elsewhere (macOS, Windows: no /proc) nothing is found and callers fall back on the
 * process group. No `@actions/core` here.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'

interface ProcStat {
  pid: number
  ppid: number
  sid: number
  zombie: boolean
}

/** /proc/<pid>/stat's fields after the command name, which may itself hold spaces and parentheses. */
function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // state ppid pgrp session …
    return { pid, ppid: Number(fields[1]), sid: Number(fields[3]), zombie: fields[0] === 'Z' }
  } catch {
    return undefined // gone meanwhile
  }
}

/** Every process's stat, or undefined without /proc. */
function allProcesses(): ProcStat[] | undefined {
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return undefined
  }
  const stats: ProcStat[] = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const stat = readStat(Number(name))
    if (stat) stats.push(stat)
  }
  return stats
}

/** Whether the process's environment (as it was exec'd) holds `entry` (`NAME=value`). */
function hasEnvEntry(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry)
  } catch {
    return false // another user's process, or gone
  }
}

/** Whether /proc can be read here (Linux): if not, {@link commandProcesses} finds nothing. */
export const canList = (): boolean => existsSync('/proc/self/stat')

/**
 * The live processes of the command whose session leader was `sid` (bash, started detached) and whose
 * environment held `marker` (`NAME=value`): never this process or one of its ancestors.
 */
export function commandProcesses(sid: number, marker: string): number[] {
  const all = allProcesses()
  if (all === undefined) return []
  const live = all.filter((p) => !p.zombie)
  const protect = new Set<number>()
  const byPid = new Map(all.map((p) => [p.pid, p]))
  for (let p = byPid.get(process.pid); p !== undefined && !protect.has(p.pid); p = byPid.get(p.ppid))
    protect.add(p.pid)
  const found = new Set<number>()
  for (const p of live) {
    if (protect.has(p.pid)) continue
    if (p.sid === sid || hasEnvEntry(p.pid, marker)) found.add(p.pid)
  }
  // Descendants of what was found (one that left the session and was started with another environment).
  for (let grew = true; grew;) {
    grew = false
    for (const p of live) {
      if (!found.has(p.pid) && !protect.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid)
        grew = true
      }
    }
  }
  return [...found].sort((a, b) => a - b)
}

/** Sends `signal` to each pid, ignoring those already gone. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal)
    } catch {
      // gone already
    }
  }
}
