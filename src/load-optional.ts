/** Loads ./optional.ts: from its own file in dist/, from the sources elsewhere (tests). */
export type Optional = typeof import('./optional.js')

// Defined inside a webpack (ncc) bundle only.
declare const __webpack_require__: unknown

let loaded: Promise<Optional> | undefined

export function loadOptional(): Promise<Optional> {
  loaded ??= load()
  return loaded
}

function load(): Promise<Optional> {
  /* v8 ignore next 5 -- runs only in dist/, which the end-to-end suite covers */
  if (typeof __webpack_require__ === 'function') {
    // dist/start/index.js → dist/optional/index.js, a bundle of its own (webpackIgnore: not pulled in here).
    const file = '../optional/index.js'
    return import(/* webpackIgnore: true */ file) as Promise<Optional>
  }
  return import(/* webpackIgnore: true */ './optional.js')
}
