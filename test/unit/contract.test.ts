import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { Inputs, Outputs } from '../../src/common/constants.js'
import { VERSION } from '../../src/common/version.js'
import { workflowContext } from '../../src/action/context.js'
import { workflowPathFromRef } from '../../src/report/sarif.js'

interface ActionYaml {
  runs: { using: string; main: string; post: string; 'post-if': string }
  inputs: Record<string, { required?: boolean; default?: unknown; description: string }>
  outputs: Record<string, { description: string }>
}
const action = parse(readFileSync('action.yml', 'utf8')) as ActionYaml

describe('action.yml and the code agree', () => {
  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort())
  })

  it('declares exactly the outputs the code sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort())
  })

  it('gives every optional input a quoted string default and kebab-case name', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/)
      if (!input.required) expect(typeof input.default, name).toBe('string')
    }
  })

  it('runs on node24 with an always-run post step of its own entry, which npm run bundle writes', () => {
    expect(action.runs).toMatchObject({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/post.js',
      'post-if': 'always()'
    })
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
    expect(pkg.scripts.bundle).toContain('scripts/post-entry.ts')
    expect(readFileSync('dist/post.js', 'utf8')).toContain("await import('./index.js')")
  })

  it('reports the version package.json has', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })
})

describe('workflow context', () => {
  it('finds the workflow file from GITHUB_WORKFLOW_REF', () => {
    const context = workflowContext({
      GITHUB_REPOSITORY: 'octo/shop',
      GITHUB_WORKFLOW_REF: 'octo/shop/.github/workflows/security.yml@refs/pull/7/merge'
    })
    expect(workflowPathFromRef(context.workflowRef)).toBe('.github/workflows/security.yml')
  })

  it('has no workflow path outside Actions', () => {
    expect(workflowPathFromRef(workflowContext({}).workflowRef)).toBeUndefined()
  })

  it('treats empty variables as unset', () => {
    expect(workflowContext({ GITHUB_JOB: '' }).job).toBeUndefined()
  })
})
