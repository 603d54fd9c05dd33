// Procfile parsing like Heroku's: `name: command` per line. Free of platform dependencies (ferry local reuses it).

export class ProcfileError extends Error {
  constructor(
    message: string,
    /** 1-based line number of the offending line (0 when not tied to a line). */
    readonly line: number,
  ) {
    super(message)
    this.name = 'ProcfileError'
  }
}

export const PROCESS_TYPE_RE = /^[-\w]{1,128}$/

const LINE_RE = /^([^:\s]*)\s*:\s*(.*)$/

/**
 * Parses a Procfile into process types (in file order). A UTF-8 BOM and CRLF line ends are stripped; blank
 * lines and `#` comments are ignored; malformed lines and duplicate names throw ProcfileError naming the line.
 */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {}
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = LINE_RE.exec(line)
    if (!m) throw new ProcfileError(`Procfile line ${lineNo} is malformed: expected "name: command", got "${clip(line)}".`, lineNo)
    const [, name, command] = m
    if (!PROCESS_TYPE_RE.test(name)) {
      throw new ProcfileError(
        `Procfile line ${lineNo}: invalid process type "${clip(name)}"; names may contain only letters, digits, "_" and "-" (at most 128).`,
        lineNo,
      )
    }

    if (command.trim() === '') throw new ProcfileError(`Procfile line ${lineNo}: process type "${name}" has no command.`, lineNo)
    if (Object.hasOwn(types, name)) throw new ProcfileError(`Procfile line ${lineNo}: process type "${name}" is defined twice.`, lineNo)
    types[name] = command.trim()
  }

  return types
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
