// The builder's view of the Procfile: process types by name, in file order (the parser is src/procfile.ts, shared
// with `ferry local`).
import {parseProcfileEntries} from '../../procfile.js'

export {PROCESS_TYPE_RE, ProcfileError} from '../../procfile.js'

/** Process types of a Procfile; throws ProcfileError (`Procfile line N: …`) on the first bad line. */
export function parseProcfile(text: string): Record<string, string> {
  return Object.fromEntries(parseProcfileEntries(text).map(e => [e.type, e.command]))
}
