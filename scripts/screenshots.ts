/**
 * `npm run screenshots`: pictures of what a reviewer sees, for the docs. It renders the demo's job
 * summaries and the pull-request comment its pull-request check posted (`npm run demo` writes them to
 * .demo-output/, or $DEMO_OUTPUT_DIR) with a GitHub-flavoured Markdown renderer (`marked`) and GitHub's
 * Markdown stylesheet (`github-markdown-css`), and screenshots each page in headless Chromium into
 * docs/images/.
 *
 *   npm run demo && npm run screenshots           # the default pictures
 *   npm run screenshots -- some.md other.md       # any Markdown files, each to docs/images/<name>.png
 *
 * Needs Debian's `chromium` (`apt-get install -y chromium`), or another Chromium named by $CHROMIUM. Not
 * part of `npm test`: a browser is not a test dependency. Each page is loaded twice: once to measure its
 * height (the DOM dumped after a script wrote it there), then to screenshot a window of exactly that size.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { marked } from 'marked'
import { ROOT } from './lib/action-runner.js'
import { OUT_DIR } from './demo/files.js'

const IMAGES = join(ROOT, 'docs', 'images')

/** What a picture shows: a job summary in the run's page, or a comment in a pull request. */
interface Page {
  source: string
  image: string
  kind: 'summary' | 'comment'
  /** The box's heading, as GitHub shows it above the Markdown. */
  heading: string
}

/** The demo's pictures: the one-step scan, the pull-request check and its comment, the matrix's summary. */
function defaultPages(): Page[] {
  const demo = (file: string): string => join(OUT_DIR, file)
  return [
    { source: demo('0-scan.md'), image: 'job-summary-scan.png', kind: 'summary', heading: 'dast summary' },
    {
      source: demo('4-pr-check.md'),
      image: 'job-summary-pr-check.png',
      kind: 'summary',
      heading: 'pr-check summary'
    },
    {
      source: demo('4-pr-check-comment.md'),
      image: 'pr-comment.png',
      kind: 'comment',
      heading: 'github-actions bot commented'
    },
    {
      source: demo('6-summary.md'),
      image: 'job-summary-matrix.png',
      kind: 'summary',
      heading: 'aggregate summary'
    }
  ]
}

/** CSS pixels: GitHub's width for a job summary and for a comment in a pull request's conversation. */
const WIDTH = { summary: 1012, comment: 780 }
/** Pixels per CSS pixel: crisp on high-density screens, where the docs are read. */
const SCALE = 2

function chromium(): string {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter(
    (c): c is string => c !== undefined && c !== ''
  )
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' })
      return c
    } catch {
      // try the next name
    }
  }
  throw new Error("No Chromium found: install Debian's (apt-get install -y chromium) or set CHROMIUM.")
}

/** The flags of a throw-away headless browser that talks to nothing but the file it opens. */
function browserArgs(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`
  ]
}

function html(page: Page, markdown: string): string {
  const require = createRequire(import.meta.url)
  const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8')
  const body = marked.parse(markdown, { async: false, gfm: true })
  const box = page.kind === 'comment' ? 'comment' : 'summary'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${page.image}</title>
<style>
${css}
html, body { margin: 0; background: #ffffff; }
.frame { box-sizing: border-box; width: ${WIDTH[page.kind]}px; padding: 16px; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; overflow: hidden; }
.box > header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  font: 600 14px/20px -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #1f2328; }
.box.comment > header { font-weight: 400; color: #59636e; }
.box.comment > header b { color: #1f2328; }
.markdown-body { padding: 16px 24px; }
</style></head>
<body><div class="frame"><div class="box ${box}"><header>${headingHtml(page)}</header>
<article class="markdown-body">
${body}
</article></div></div>
<script>document.body.setAttribute('data-height', String(Math.ceil(document.documentElement.scrollHeight)))</script>
</body></html>
`
}

function headingHtml(page: Page): string {
  const text = page.heading.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
  return page.kind === 'comment' ? text.replace(/^(\S+ bot)/, '<b>$1</b>') : text
}

/** The page's height in CSS pixels, as laid out at its width. */
function measure(browser: string, profile: string, file: string, width: number): number {
  const dom = execFileSync(
    browser,
    [...browserArgs(profile), `--window-size=${width},800`, '--dump-dom', pathToFileURL(file).href],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 }
  )
  const height = Number(/data-height="(\d+)"/.exec(dom)?.[1])
  if (!Number.isFinite(height) || height <= 0) throw new Error(`Could not measure ${file}`)
  return height
}

function screenshot(browser: string, page: Page, markdown: string, outDir: string): string {
  const work = mkdtempSync(join(tmpdir(), 'wallarm-screenshots-'))
  try {
    const file = join(work, 'page.html')
    writeFileSync(file, html(page, markdown))
    const width = WIDTH[page.kind]
    const height = measure(browser, join(work, 'profile-measure'), file, width)
    const out = join(outDir, page.image)
    execFileSync(
      browser,
      [
        ...browserArgs(join(work, 'profile')),
        `--window-size=${width},${height}`,
        `--force-device-scale-factor=${SCALE}`,
        `--screenshot=${out}`,
        pathToFileURL(file).href
      ],
      { stdio: 'ignore', timeout: 60_000 }
    )
    if (!existsSync(out)) throw new Error(`Chromium wrote no ${out}`)
    return out
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** A summary, or a comment as the action posted it (the demo keeps the body, hidden marker and all). */
function markdownOf(page: Page): string {
  return readFileSync(page.source, 'utf8')
}

function pagesFromArgs(args: string[]): Page[] {
  return args.map((arg) => {
    const source = resolve(arg)
    return {
      source,
      image: `${basename(source).replace(/\.md$/i, '')}.png`,
      kind: 'summary',
      heading: basename(source)
    }
  })
}

function main(): void {
  const args = process.argv.slice(2)
  const pages = args.length > 0 ? pagesFromArgs(args) : defaultPages()
  const missing = pages.filter((p) => !existsSync(p.source)).map((p) => p.source)
  if (missing.length > 0) {
    const hint = args.length > 0 ? '' : ' Run `npm run demo` first: it writes them.'
    throw new Error(`No such Markdown file: ${[...new Set(missing)].join(', ')}.${hint}`)
  }
  const browser = chromium()
  mkdirSync(IMAGES, { recursive: true })
  for (const page of pages) {
    const out = screenshot(browser, page, markdownOf(page), IMAGES)
    const kb = Math.round(statSync(out).size / 1024)
    console.log(`${relative(ROOT, page.source)} → ${relative(ROOT, out)} (${kb} KiB)`)
  }
}

try {
  main()
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err))
  process.exitCode = 1
}
