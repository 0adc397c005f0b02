/**
 * NO_PROXY, for one question: which entries would send the tests' requests to the target around the
 * proxy, and so around the node? Those are taken out of the command's NO_PROXY; the rest stay. Clients
 * read the list differently (curl, Python, Go, Node), so an entry goes if any of them would match the
 * target's host with it: a name or a domain (`app.test`, `.example.com`, `*.example.com`), with or
 * without a port; an IPv6 address with or without brackets (`::1`, `[::1]`, `[::1]:3000`); a CIDR range
 * that holds the target's address (`127.0.0.0/8`, `::1/128`); and `*`. No `@actions/core` here.
 */
import { BlockList, isIP } from 'node:net'

/**
 * A NO_PROXY list without the entries that would send `host` around the proxy (and without `*`).
 * `host` as a URL gives it (`[::1]`) or bare (`::1`).
 */
export function withoutHost(noProxy: string, host: string): string {
  const h = bare(host)
  return noProxy
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !matches(entry, h))
    .join(',')
}

/**
 * The host of an entry in a host list (NO_PROXY, ALLOWED_HOSTS), lowercase, without brackets or a port:
 * `[::1]:3000` → `::1`, `::1` → `::1` (two colons or more: IPv6, no port), `app.test:80` → `app.test`.
 */
export function entryHost(entry: string): string {
  const e = entry.toLowerCase()
  if (e.startsWith('[')) {
    const close = e.indexOf(']')
    return close < 0 ? e.slice(1) : e.slice(1, close) + e.slice(close + 1).replace(/^:\d*/, '')
  }
  // Two colons or more: an IPv6 address, whose last group is not a port (a port needs the brackets).
  if (e.split(':').length > 2) return e
  return e.replace(/:\d*$/, '')
}

function matches(entry: string, host: string): boolean {
  const name = entryHost(entry)
  if (name === '*') return true
  if (name.includes('/')) return inRange(name, host)
  const domain = name.replace(/^\*?\./, '')
  return host === domain || host.endsWith(`.${domain}`)
}

/** Whether `host`, an IP address, is in the CIDR range `range` (`10.0.0.0/8`, `::1/128`). */
function inRange(range: string, host: string): boolean {
  const [address = '', bits = ''] = range.split('/')
  const family = isIP(host)
  if (family === 0 || isIP(address) !== family || !/^\d+$/.test(bits)) return false
  const type = family === 6 ? 'ipv6' : 'ipv4'
  const list = new BlockList()
  try {
    list.addSubnet(address, Number(bits), type)
  } catch {
    return false
  }
  return list.check(host, type)
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase()
}
