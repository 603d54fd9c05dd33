// Errors of `ferry local` are values with a kind; the command maps every kind to exit code 1 (bad input).

export type LocalErrorKind = 'Conflict' | 'Invalid' | 'NotFound'

export class LocalError extends Error {
  constructor(
    readonly kind: LocalErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'LocalError'
  }
}

export const invalid = (message: string) => new LocalError('Invalid', message)
export const notFound = (message: string) => new LocalError('NotFound', message)
export const conflict = (message: string) => new LocalError('Conflict', message)

/** Shortens user input quoted in an error message so the message stays on one line. */
export function clip(text: string, max = 60): string {
  const oneLine = text.replaceAll(/\s+/g, ' ')
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine
}

/** The one-line message for bad input (LocalError or an oclif parse error), or undefined for anything else. */
export function describeInputError(error: unknown): string | undefined {
  const e = error as {message?: unknown; parse?: unknown}
  if (!(error instanceof LocalError) && !e?.parse) return undefined
  return String(e.message).split('\n').map(l => l.trim()).filter(Boolean).join(' ')
}
