/**
 * Who holds a port on the runner, in words a person can act on: a FAST node container this action left
 * behind (found by its label, with the command that removes it), another container that publishes the
 * port, or a process (from Linux's /proc, where this user may read it). Best effort: what cannot be
 * read is simply not named. No `@actions/core` here.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { CONTAINER_LABEL, docker } from './docker.js'

/** The proxy port a container of ours listens on: its PROXY_PORT, else the real node's 8080. */
const PROXY_PORT_OF =
  '{{.Name}} {{range .Config.Env}}{{if eq (printf "%.11s" .) "PROXY_PORT="}}{{.}}{{end}}{{end}}'

/**
 * What holds `port`, or undefined when nothing that can be named does. `except`: the container this
 * step started, by name, and its processes (`docker top`), which may hold it.
 */
export async function portHolder(
  port: number,
  env: NodeJS.ProcessEnv,
  except?: { name: string; pids: readonly number[] }
): Promise<string | undefined> {
  return (
    (await leftoverNode(port, env, except?.name)) ??
    (await publishingContainer(port, env)) ??
    listeningProcess(port, except?.pids)
  )
}

/** The processes of a container, as the host numbers them (`docker top`); none when docker cannot say. */
export async function containerPids(name: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const top = await docker(['top', name, '-o', 'pid'], env, 10_000)
  if (top.code !== 0) return []
  return top.stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0)
}

/** A running container with our label whose node listens on `port` (host networking). */
async function leftoverNode(
  port: number,
  env: NodeJS.ProcessEnv,
  except?: string
): Promise<string | undefined> {
  const ours = await docker(
    ['ps', '--filter', `label=${CONTAINER_LABEL}`, '--format', `{{.Names}}\t{{.Label "${CONTAINER_LABEL}"}}`],
    env,
    10_000
  )
  const named = new Map(
    ours.stdout
      .split('\n')
      .map((line) => line.trim().split('\t'))
      .filter(([name]) => name !== undefined && name !== '' && name !== except)
      .map(([name, label]) => [name!, label ?? ''])
  )
  if (ours.code !== 0 || named.size === 0) return undefined
  const ports = await docker(['inspect', '--format', PROXY_PORT_OF, ...named.keys()], env, 10_000)
  for (const line of ports.stdout.split('\n')) {
    const m = /^\/?(\S+)\s*(?:PROXY_PORT=(\d+))?/.exec(line.trim())
    if (!m || !named.has(m[1]!) || Number(m[2] ?? 8080) !== port) continue
    const run = named.get(m[1]!)
    return (
      `container ${m[1]}, a FAST node this action started${run && run !== 'true' ? ` (workflow run ${run})` : ''} ` +
      `and a runner that died left running: remove it with \`docker rm -f ${m[1]}\``
    )
  }
  return undefined
}

/** A container that publishes `port` (a service container, `docker run -p`). */
async function publishingContainer(port: number, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const found = await docker(['ps', '--filter', `publish=${port}`, '--format', '{{.Names}}'], env, 10_000)
  const names = found.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (found.code !== 0 || names.length === 0) return undefined
  return `container ${names.join(', ')}, which publishes it`
}

/** The process listening on `port`, from /proc (the sockets, then whose descriptor holds one). */
export function listeningProcess(port: number, except: readonly number[] = []): string | undefined {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth field.
      if (f[3] === '0A' && parseInt(f[1]?.split(':')[1] ?? '', 16) === port && f[9]) inodes.add(f[9])
    }
  }
  if (inodes.size === 0) return undefined
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return undefined
  }
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // another user's process: not ours to read
    }
    for (const fd of fds) {
      let link: string
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
      if (inode === undefined || !inodes.has(inode)) continue
      if (except.includes(Number(pid))) return undefined
      const command = read(`/proc/${pid}/cmdline`)
        .split('\0')
        .filter((a) => a !== '')
        .join(' ')
      return `process ${pid}${command ? ` (${command.length > 80 ? `${command.slice(0, 77)}...` : command})` : ''}`
    }
  }
  return undefined
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
