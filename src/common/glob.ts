/**
 * The glob of URL paths, for the ignore file's `path` (../triage/ignore.ts): `*` matches within one
 * `/`-separated segment, `**` across segments (and `**\/` at the start of a segment also matches no
 * segment at all, so `/api/**\/x` matches `/api/x`); everything else is literal, `?` too (in a URL it starts
 * the query). Anchored: the whole text must match. Files (the `reports` input) are found by
 * `@actions/glob` instead (../summarize/glob.ts), as upload-artifact finds them.
 */
export function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i)
    if (c === '*' && glob.charAt(i + 1) === '*') {
      i++
      const atSegmentStart = i === 1 || glob.charAt(i - 2) === '/'
      if (glob.charAt(i + 1) === '/' && atSegmentStart) {
        i++
        out += '(?:.*/)?'
      } else out += '.*'
    } else if (c === '*') out += '[^/]*'
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}
