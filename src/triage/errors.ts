/** A baseline or ignore file the step cannot use: the file, the line (where known) and what is allowed. */
export class TriageFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${problem}`)
    this.name = 'TriageFileError'
  }
}
