// One-off dynos on a pseudo-terminal: util-linux `script` gives the command a real tty inside the sandbox.
import {existsSync} from 'node:fs'

/** util-linux `script` gives the one-off a real pseudo-terminal (works inside bwrap: its /dev has devpts). */
export const SCRIPT = '/usr/bin/script'
export const hasScript = existsSync(SCRIPT)

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", String.raw`'\''`)}'`
}

/** Runs `command` on a pseudo-terminal of the given size: Ctrl-C, line editing and prompts then work as in a terminal. */
export function ptyCommand(command: string, env: Record<string, string> = {}): string {
  const cols = /^\d{1,4}$/.test(env.COLUMNS ?? '') ? env.COLUMNS : undefined
  const rows = /^\d{1,4}$/.test(env.LINES ?? '') ? env.LINES : undefined
  const size = cols && rows ? `stty cols ${cols} rows ${rows} 2>/dev/null; ` : ''
  return `${SCRIPT} -qefc ${shellQuote(`${size}${command}`)} /dev/null`
}
