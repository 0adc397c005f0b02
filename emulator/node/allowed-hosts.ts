/**
 * ALLOWED_HOSTS (spec §4.2): which requests become baselines. The forms the docs accept: a host name,
 * `.example.local` (the domain and its subdomains, as in nginx `server_name`), `*`, `(a|b)` (any value
 * with parentheses or `|` is a regular expression of the whole host name) and an nginx
 * `server_name` regex (`~^app\d+\.local$`). Several values may be separated by spaces or commas. The
 * docs disagree on whether the value is matched against the whole `Host` or may be a substring; the
 * emulator matches the host name, with or without its port, exactly (the stricter reading, so that a
 * setting that works here also works on the real node). Empty: everything is recorded.
 */
export function allowedHostsMatcher(spec: string): (host: string) => boolean {
  const items = spec
    .trim()
    .replace(/^["']|["']$/g, '')
    .split(/[\s,]+/)
    .filter((s) => s !== '')
  if (items.length === 0) return () => true
  const tests = items.map((item): ((h: string) => boolean) => {
    if (item === '*') return () => true
    if (item.startsWith('~')) {
      const re = new RegExp(item.slice(1), 'i')
      return (h) => re.test(h)
    }
    if (/[()|]/.test(item)) {
      const re = new RegExp(`^${item}$`, 'i')
      return (h) => re.test(h)
    }
    const name = item.toLowerCase()
    if (name.startsWith('.')) return (h) => h === name.slice(1) || h.endsWith(name)
    return (h) => h === name
  })
  return (host) => {
    const h = host.toLowerCase()
    const bare = h.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    return tests.some((t) => t(h) || t(bare))
  }
}
