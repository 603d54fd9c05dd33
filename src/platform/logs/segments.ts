// One app's log on disk: numbered segment files `<dir>/<first id, 12 digits>.log` of `<id> <logplex line>\n` rows.
// A new segment starts every `lines` lines or `bytes` bytes (rotation); retention drops whole segments from the
// front. Files are named after the id of their first line, so ids stay monotonic across daemon restarts.
import type {LogFilter, StoredLogLine} from '../context.js'
import type {Entry} from './entry.js'
import type {WriteBuffer} from './write-buffer.js'

import {mkdirSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {appendFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {parseRows} from './entry.js'
import {matchesFilter} from './format.js'

const SEGMENT_RE = /^(\d{1,15})\.log$/

function segmentName(firstId: number): string {
  return `${String(firstId).padStart(12, '0')}.log`
}

export class SegmentFiles {
  /** Bytes of the segments, on disk or on their way. */
  bytes = 0
  /** First ids of the segment files, ascending; the last one is being appended to. */
  firsts: number[] = []
  /** Bytes per segment (first id → bytes written or buffered for it). */
  private readonly sizes = new Map<number, number>()

  constructor(readonly dir: string) {}

  /** Finds the segments already on disk (creating the directory). */
  load(): void {
    mkdirSync(this.dir, {recursive: true})
    this.firsts = readdirSync(this.dir)
      .map(name => SEGMENT_RE.exec(name))
      .filter(m => m !== null)
      .map(m => Number(m[1]))
      .sort((a, b) => a - b)
    for (const first of this.firsts) {
      let size = 0
      try {
        size = statSync(path.join(this.dir, segmentName(first))).size
      } catch {}

      this.sizes.set(first, size)
      this.bytes += size
    }
  }

  /** The segment line `id` goes to: the current one, or a new one starting at `id` past `maxLines` or `maxBytes`. */
  segmentFor(id: number, maxLines: number, maxBytes: number): number {
    const segment = this.firsts.at(-1)
    if (segment !== undefined && id - segment < maxLines && (this.sizes.get(segment) ?? 0) < maxBytes) return segment
    this.firsts.push(id)
    return id
  }

  /** Counts bytes bound for a segment (buffered now, written later). */
  grow(segment: number, bytes: number): void {
    this.sizes.set(segment, (this.sizes.get(segment) ?? 0) + bytes)
    this.bytes += bytes
  }

  /** Bytes of the segments after the oldest one. */
  bytesAfterFirst(): number {
    return this.bytes - (this.sizes.get(this.firsts[0]) ?? 0)
  }

  async append(segment: number, data: Buffer): Promise<void> {
    await appendFile(path.join(this.dir, segmentName(segment)), data)
  }

  /** Deletes the oldest segment; returns its size. */
  async dropOldest(): Promise<number> {
    const first = this.firsts.shift()!
    const size = this.sizes.get(first) ?? 0
    this.sizes.delete(first)
    this.bytes -= size
    await rm(path.join(this.dir, segmentName(first)), {force: true})
    return size
  }

  /** The lines of one segment, oldest first ([] when it is gone). */
  read(first: number): Entry[] {
    let text: string
    try {
      text = readFileSync(path.join(this.dir, segmentName(first)), 'utf8')
    } catch {
      return []
    }

    return parseRows(text)
  }

  /** Lines older than `beforeId` and newer than `afterId`, newest first into `out` (synchronous reads, newest segment first). */
  readBefore(filter: LogFilter, lines: number, afterId: number, beforeId: number, out: StoredLogLine[]): void {
    for (let s = this.firsts.length - 1; s >= 0 && out.length < lines; s--) {
      const first = this.firsts[s]
      if (first >= beforeId) continue
      const rows = this.read(first)
      for (let i = rows.length - 1; i >= 0 && out.length < lines; i--) {
        const line = rows[i]
        if (line.id >= beforeId) continue
        if (line.id <= afterId) return
        if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
      }

      if (first <= afterId + 1) return
    }
  }
}

export interface RetentionLimits {
  /** Bytes kept per app: segments go from the front while the rest still holds this many. */
  bytes: number
  /** Lines kept per app: segments go from the front while the rest still holds this many. */
  lines: number
  /** Bytes on disk for all apps together. */
  totalBytes: number
}

export interface RetainedLog {
  buffer: WriteBuffer
  disk: SegmentFiles
  lastId: number
}

/** After a flush of `app`: drops its segments past the per-app limits, then the biggest apps' past the total. */
export async function enforceRetention(app: RetainedLog, apps: ReadonlyMap<string, RetainedLog>, limits: RetentionLimits): Promise<void> {
  // Drop whole segments from the front while the rest still holds at least `lines` lines or `bytes`.
  const {disk} = app
  while (disk.firsts.length > 1 && (app.lastId - disk.firsts[1] + 1 >= limits.lines || disk.bytesAfterFirst() >= limits.bytes)) {
    await disk.dropOldest()
  }

  // All apps together: the biggest one gives up its oldest segment (never the one being written).
  let total = 0
  for (const other of apps.values()) total += other.disk.bytes
  while (total > limits.totalBytes) {
    let biggest: RetainedLog | undefined
    for (const other of apps.values()) {
      if (other.disk.firsts.length > 1 && !other.buffer.busy(other.disk.firsts[0]) && (!biggest || other.disk.bytes > biggest.disk.bytes)) biggest = other
    }

    if (!biggest) break
    total -= await biggest.disk.dropOldest()
  }
}
