// The in-memory tail of one app's log: the newest lines, bounded by a count and by their characters (long lines:
// fewer of them stay in memory; older lines are read from disk).
import type {Entry} from './entry.js'

export class LogRing {
  /** Lines in the ring. */
  size = 0
  /** Characters of the lines in the ring (a close measure of their memory). */
  chars = 0
  private readonly slots: Array<Entry | undefined>
  /** Index in `slots` of the oldest line. */
  private start = 0

  constructor(
    lines: number,
    private readonly maxChars: number,
  ) {
    this.slots = Array.from({length: lines})
  }

  /** The line at position i, 0 the oldest, size - 1 the newest. */
  at(i: number): Entry {
    return this.slots[(this.start + i) % this.slots.length]!
  }

  push(line: Entry): void {
    const cap = this.slots.length
    if (this.size === cap) this.dropOldest()
    this.slots[(this.start + this.size) % cap] = line
    this.size++
    this.chars += line.text.length
    while (this.chars > this.maxChars && this.size > 1) this.dropOldest()
  }

  private dropOldest(): void {
    this.chars -= this.slots[this.start]!.text.length
    this.slots[this.start] = undefined
    this.start = (this.start + 1) % this.slots.length
    this.size--
  }
}
