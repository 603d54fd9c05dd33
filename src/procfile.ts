// The Procfile, read like Heroku reads it: `type: command` per line. One parser for the platform's builder and for
// `ferry local`; it depends on nothing, so both may import it (local/ does not import platform/).

export class ProcfileError extends Error {
  constructor(
    /** What is wrong, without the place (`process type "web" is defined twice.`). */
    readonly reason: string,
    /** 1-based line number of the offending line. */
    readonly line: number,
  ) {
    super(`Procfile line ${line}: ${reason}`)
    this.name = 'ProcfileError'
  }
}

export interface ProcfileEntry {
  command: string
  /** 1-based line in the Procfile. */
  line: number
  type: string
}

export const PROCESS_TYPE_RE = /^[-\w]{1,128}$/

const LINE_RE = /^([^:\s]*)\s*:\s*(.*)$/

/** Shortens text quoted in a message so it stays on one line. */
function clip(text: string, max = 60): string {
  const oneLine = text.replaceAll(/\s+/g, ' ')
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine
}

/**
 * Parses Procfile text into entries in file order. A UTF-8 BOM and CRLF line ends are tolerated; blank lines and
 * `#` comments are skipped; a malformed line, an invalid or duplicate type, or an empty command throws ProcfileError.
 */
export function parseProcfileEntries(text: string): ProcfileEntry[] {
  const entries: ProcfileEntry[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)
  for (const [index, raw] of lines.entries()) {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const m = LINE_RE.exec(trimmed)
    if (!m) throw new ProcfileError(`malformed line "${clip(trimmed)}"; expected "<type>: <command>", e.g. "web: npm start".`, line)
    const [, type, command] = m
    if (!PROCESS_TYPE_RE.test(type)) {
      throw new ProcfileError(`invalid process type "${clip(type)}"; use only letters, digits, "_" and "-" (at most 128).`, line)
    }

    if (command.trim() === '') throw new ProcfileError(`process type "${type}" has no command.`, line)
    if (entries.some(e => e.type === type)) throw new ProcfileError(`process type "${type}" is defined twice.`, line)
    entries.push({command: command.trim(), line, type})
  }

  return entries
}
