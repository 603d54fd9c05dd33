// The Procfile for `ferry local`: entries in file order, errors as `file:line: …` input errors (the parser is
// src/procfile.ts, shared with the platform's builder).
import {parseProcfileEntries, ProcfileError, type ProcfileEntry} from '../procfile.js'
import {invalid} from './errors.js'

export type {ProcfileEntry} from '../procfile.js'

export function parseProcfile(text: string, file = 'Procfile'): ProcfileEntry[] {
  try {
    return parseProcfileEntries(text)
  } catch (error) {
    if (error instanceof ProcfileError) throw invalid(`${file}:${error.line}: ${error.reason}`)
    throw error
  }
}
