// Procfile parsing for `ferry local` (same rules as the platform's builder; kept separate because local/ must not import platform/).
import {clip, invalid} from './errors.js'

export interface ProcfileEntry {
  type: string
  command: string
  /** 1-based line in the Procfile. */
  line: number
}

const TYPE_RE = /^[-\w]{1,128}$/
const LINE_RE = /^([^:\s]*)\s*:\s*(.*)$/

/**
 * Parses Procfile text into entries in file order. Blank lines and `#` comments are skipped; a BOM and CRLF
 * are tolerated; a malformed line, an invalid or duplicate type, or an empty command throws `file:line: …`.
 */
export function parseProcfile(text: string, file = 'Procfile'): ProcfileEntry[] {
  const entries: ProcfileEntry[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/)
  for (const [index, raw] of lines.entries()) {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const where = `${file}:${line}`
    const m = LINE_RE.exec(trimmed)
    if (!m) throw invalid(`${where}: malformed line "${clip(trimmed)}"; expected "<type>: <command>", e.g. "web: npm start".`)
    const [, type, command] = m
    if (!TYPE_RE.test(type)) {
      throw invalid(`${where}: invalid process type "${clip(type)}"; use only letters, digits, "_" and "-" (at most 128).`)
    }

    if (command.trim() === '') throw invalid(`${where}: process type "${type}" has no command.`)
    if (entries.some(e => e.type === type)) throw invalid(`${where}: process type "${type}" is defined twice.`)
    entries.push({command: command.trim(), line, type})
  }

  return entries
}
