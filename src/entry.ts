import * as core from '@actions/core'
import { State } from './constants.js'

export async function entry(): Promise<void> {
  if (core.getState(State.IsPost) === 'true') {
    core.info('post step: nothing to do yet')
    return
  }
  core.saveState(State.IsPost, 'true')
  core.info('main step: not implemented yet')
  await Promise.resolve()
}
