/**
 * GitHub's own parser for what users load or copy: action.yml, workflows, and the YAML blocks of the
 * README. `@actions/workflow-parser` is the parser behind the runner's workflow loading and the Actions
 * editor; a general-purpose YAML parser accepts files that GitHub refuses (an expression in an input's
 * description, `HTTP_PROXY` and `http_proxy` in one `env:`), so nothing here is checked by it alone.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/action-parser'
import { parse } from 'yaml'

/** GitHub's verdict on one file: its errors, each as GitHub words it (`name (Line: L, Col: C): message`). */
export function actionErrors(name: string, content: string): string[] {
  const result = parseAction({ name, content }, new NoOperationTraceWriter())
  return result.context.errors.getErrors().map((error) => error.message)
}

/** Parses and converts a workflow as GitHub does before running it; returns its errors. */
export async function workflowErrors(name: string, content: string): Promise<string[]> {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  if (result.value) await convertWorkflowTemplate(result.context, result.value)
  // Conversion adds its errors to the same context; one message can be reported by both passes.
  return [...new Set(result.context.errors.getErrors().map((error) => error.message))]
}

export interface ActionManifest {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>
  outputs: Record<string, { description?: string }>
  runs: Record<string, string>
}

/**
 * action.yml as the runner loads it: refused, with GitHub's own messages, when GitHub's parser refuses
 * it, so that a harness running the bundle cannot pass on a manifest no runner would load.
 */
export function loadActionManifest(root: string): ActionManifest {
  const content = readFileSync(join(root, 'action.yml'), 'utf8')
  const errors = actionErrors('action.yml', content)
  if (errors.length > 0) {
    throw new Error(
      `GitHub's parser refuses action.yml, so the runner would not load the action:\n${errors.join('\n')}`
    )
  }
  return parse(content) as ActionManifest
}
