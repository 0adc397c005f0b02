/**
 * Writes the README's inputs and outputs tables from action.yml, between the markers
 * `<!-- inputs:start -->`/`<!-- inputs:end -->` and `<!-- outputs:start -->`/`<!-- outputs:end -->`,
 * so the two can never drift. `--check` only compares, and exits 1 when the README is stale (CI).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { loadActionManifest, type ActionManifest } from './lib/github-parser.js'

type ActionYaml = ActionManifest

const cell = (text: string): string => text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|')

export function inputsTable(action: ActionYaml): string {
  const rows = Object.entries(action.inputs).map(([name, i]) => {
    const dflt = i.required ? '*required*' : i.default === '' ? '`""`' : `\`${cell(i.default ?? '')}\``
    return `| \`${name}\` | ${dflt} | ${cell(i.description ?? '')} |`
  })
  return ['| input | default | description |', '| --- | --- | --- |', ...rows].join('\n')
}

export function outputsTable(action: ActionYaml): string {
  const rows = Object.entries(action.outputs).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description ?? '')} |`
  )
  return ['| output | description |', '| --- | --- |', ...rows].join('\n')
}

function replaceBetween(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`
  const end = `<!-- ${marker}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md lacks the markers ${start} … ${end}`)
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`
}

// Tables are written only from a manifest GitHub's parser accepts.
const action = loadActionManifest('.')
const readme = readFileSync('README.md', 'utf8')
const wanted = replaceBetween(
  replaceBetween(readme, 'inputs', inputsTable(action)),
  'outputs',
  outputsTable(action)
)
if (process.argv.includes('--check')) {
  if (wanted !== readme) {
    console.error('README.md tables differ from action.yml: run `npm run docs` and commit README.md.')
    process.exit(1)
  }
  console.log('README.md tables match action.yml')
} else {
  writeFileSync('README.md', wanted)
  console.log('README.md tables written from action.yml')
}
