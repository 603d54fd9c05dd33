// A stored log line as the service keeps it in memory and reads it back from disk: one flat string and a few
// numbers (two objects per line for the GC); the StoredLogLine (message, Date) is built only on read/follow.
// On disk and in the write buffer a line is a row `<id> <logplex line>\n`.
import type {StoredLogLine} from '../context.js'

import {parseLine} from './format.js'

export class Entry {
  constructor(
    readonly id: number,
    readonly source: 'app' | 'heroku',
    readonly dyno: string,
    readonly micros: number,
    readonly text: string,
    /** Offset of the message in `text`. */
    readonly messageStart: number,
  ) {}

  toStored(): StoredLogLine {
    return {
      dyno: this.dyno,
      id: this.id,
      message: this.text.slice(this.messageStart),
      source: this.source,
      text: this.text,
      time: new Date(Math.floor(this.micros / 1000)),
    }
  }
}

/** One `<id> <logplex line>` row (without its newline); undefined when it is not one. */
export function parseRow(row: string): Entry | undefined {
  const space = row.indexOf(' ')
  if (space <= 0) return undefined
  const id = Number(row.slice(0, space))
  if (!Number.isSafeInteger(id) || id <= 0) return undefined
  const text = row.slice(space + 1)
  const parsed = parseLine(text)
  if (!parsed) return undefined
  return new Entry(id, parsed.source, parsed.dyno, parsed.micros, text, text.length - parsed.message.length)
}

/** The lines of a block of rows, in order (rows that do not parse, e.g. a torn last row, are skipped). */
export function parseRows(text: string, out: Entry[] = []): Entry[] {
  for (const row of text.split('\n')) {
    const line = row === '' ? undefined : parseRow(row)
    if (line) out.push(line)
  }

  return out
}
