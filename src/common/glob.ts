/**
 * The action's one glob syntax, for the ignore file's paths (../triage/ignore.ts) and the `reports` input's
 * files (../summarize/glob.ts): `*` matches within one `/`-separated segment, `**` across segments (and
 * `**\/` at the start of a segment also matches no segment at all, so `/api/**\/x` matches `/api/x`),
 * `?` one character of a segment where the caller allows it; everything else is literal. Anchored: the
 * whole text must match.
 */

export interface GlobOptions {
  /** `?` matches one character (file names); else it is literal (URL paths, where it starts a query). */
  questionMark?: boolean
}

export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
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
    else if (c === '?' && options.questionMark === true) out += '[^/]'
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}
