/**
 * An exploit example as a `curl` command a reader can paste into a shell. Built from the example AFTER
 * redaction (./redact.ts): masked values stay `***`. Every argument is single-quoted, so nothing in the
 * recorded request (`$(…)`, backticks, `;`) runs in the reader's shell. Pure.
 */
import type { Finding } from './model.js'

/** Headers curl writes itself (from the URL and the body), or that describe the recorded connection. */
const SKIPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding'])

/**
 * The command for `example` (a raw HTTP request, or a curl command already, kept as it is), or undefined
 * when it is neither (a bare payload) or names no host. The scheme is not recorded: `http` for a host
 * that looks local (a name without a dot, `localhost`, `.local`, `.test`, `.internal`, an IP address, a
 * port other than 443), else `https`.
 */
export function curlCommand(example: string, f: Pick<Finding, 'domain'>): string | undefined {
  const text = example.replace(/\r\n?/g, '\n').trim()
  if (/^curl\s/.test(text)) return text
  const [head = '', ...rest] = text.split('\n')
  const request = /^([A-Za-z]+)\s+(\S+)(?:\s+HTTP\/[\d.]+)?\s*$/.exec(head)
  if (request === null) return undefined
  const method = (request[1] ?? 'GET').toUpperCase()
  const target = request[2] ?? '/'

  const headers: Array<[string, string]> = []
  let i = 0
  for (; i < rest.length; i++) {
    const line = rest[i] ?? ''
    if (line.trim() === '') break
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()])
  }
  const body = rest.slice(i + 1).join('\n')

  let url: string
  if (/^https?:\/\//i.test(target)) url = target
  else {
    const host = headers.find(([name]) => name.toLowerCase() === 'host')?.[1] || f.domain
    if (!host) return undefined
    url = `${looksLocal(host) ? 'http' : 'https'}://${host}${target.startsWith('/') ? '' : '/'}${target}`
  }

  const args = [method === 'GET' ? '' : method === 'HEAD' ? '--head' : `-X ${quote(method)}`, quote(url)]
  const lines = [['curl', ...args].filter((a) => a !== '').join(' ')]
  for (const [name, value] of headers) {
    if (SKIPPED_HEADERS.has(name.toLowerCase())) continue
    lines.push(`-H ${quote(`${name}: ${value}`)}`)
  }
  if (body !== '') lines.push(`--data-binary ${quote(body)}`)
  return lines.join(' \\\n  ')
}

/** `s` for a POSIX shell: a method name (capitals only) as it is, else in single quotes (`'` becomes `'\''`). */
export function quote(s: string): string {
  return /^[A-Z]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

function looksLocal(host: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.toLowerCase())
  const name = m?.[1] ?? host
  const port = m?.[2]
  if (port !== undefined && port !== '443') return true
  return (
    !name.includes('.') ||
    /^\d+(\.\d+){3}$/.test(name) ||
    name.startsWith('[') ||
    /\.(local|localhost|test|internal|lan)$/.test(name)
  )
}
