/**
 * A failure already said where the user sees it (the gate's verdict, the first error annotation): the
 * entry fails the step without saying it again.
 */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure'
}

/** The text of anything thrown: an Error's message, else the value as a string. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
