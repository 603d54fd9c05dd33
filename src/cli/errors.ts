// Errors → one line on stderr + exit code: 1 bad input, 2 API/backend error. No stack traces.
import {ApiError, BackendError, UnreachableError} from '../api/errors.js'

/** Bad input detected by the CLI before any request (exit 1). */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

const HINTS: Record<string, string> = {
  unauthorized: 'Check FERRY_API_KEY / HEROKU_API_KEY or run `ferry login`.',
}

/** The message and exit code for any error a command may throw. */
export function describeError(error: unknown, context: {app?: string} = {}): {exit: number; message: string} {
  if (error instanceof InputError) return {exit: 1, message: error.message}
  if (error instanceof BackendError) return {exit: error.input ? 1 : 2, message: error.message}
  if (error instanceof UnreachableError) return {exit: 2, message: error.message}
  if (error instanceof ApiError) {
    let message = error.message
    if (error.status === 404 && context.app && /couldn't find that app/i.test(message)) {
      message = `Couldn't find that app: "${context.app}". Run \`ferry apps\` to list apps.`
    }

    const hint = HINTS[error.id]
    return {exit: 2, message: hint && !message.includes(hint) ? `${message} ${hint}` : message}
  }

  const e = error as {message?: string; oclif?: {exit?: number}; parse?: unknown}
  // oclif's own parse errors (missing args, unknown flags) are input errors.
  if (e?.parse) return {exit: 1, message: oneLine(String(e.message))}
  // Flag values that fail to parse (`-n abc`): exit 1 through package.json's oclif.exitCodes, on one line.
  if (typeof e?.oclif?.exit === 'number') return {exit: e.oclif.exit, message: oneLine(String(e.message))}
  return {exit: 2, message: String(e?.message ?? error)}
}

function oneLine(message: string): string {
  return message.split('\n').map(l => l.trim()).filter(Boolean).join(' ').replace(/^Parsing (--\S+) /, 'Parsing $1: ')
}
