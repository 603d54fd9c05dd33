// The platform's log service: a ring per app in memory for fast reads and live tails, persisted under
// `<dataDir>/logs/<appId>/` in numbered segment files (batched async appends, size-based rotation).
// Segment files are named after the id of their first line and hold `<id> <logplex line>\n` lines, so
// ids stay monotonic across daemon restarts (the tail is reloaded on first use of an app).
import {appendFile, rm} from 'node:fs/promises'
import {mkdirSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import type {LogFilter, LogLine, LogService, StoredLogLine} from '../context.js'

import {formatLine, isSingleLine, matchesFilter, nowMicros, parseLine, splitMessage} from './format.js'

export interface FileLogServiceOptions {
  /** Directory holding one sub-directory per app (`<dataDir>/logs`). */
  dir: string
  /** Delay before buffered lines are written (default 50 ms). */
  flushDelayMs?: number
  /** Buffered bytes not yet on disk above which lines are dropped and counted (default 32 MB). */
  maxPendingBytes?: number
  /**
   * Bytes kept on disk per app (default 64 MB), whatever the line count: 100 000 lines of 10 KB made 1.1 GB.
   * Between this and +1 segment (a quarter of it) are kept.
   */
  retentionBytes?: number
  /** Lines kept on disk per app (default 100 000); between this and +1 segment are kept. */
  retentionLines?: number
  /** Bytes of lines kept in memory per app (default 4 MB): older lines are read from disk. */
  ringBytes?: number
  /** Lines kept in memory per app (default min(retention, 10 000)). */
  ringLines?: number
  /** Bytes on disk for all apps together (default 512 MB): past it the largest app loses its oldest segment. */
  totalBytes?: number
}

interface Follower {
  filter: LogFilter
  onLine: (line: StoredLogLine) => void
}

/** Bytes of the buffers `<id> <line>\n` rows are encoded into as they arrive (off the JS heap until written). */
const CHUNK_BUFFER_BYTES = 64 * 1024

interface PendingChunk {
  /** The buffer being filled (bytes 0..used). */
  buf: Buffer
  /** Full buffers before `buf`. */
  full: Buffer[]
  segment: number
  used: number
}

/**
 * A line as kept in the ring and read from segments: one flat string and a few numbers, so the ring holds two
 * objects per line for the GC; the StoredLogLine (message, Date) is built only on read/follow.
 */
class Entry {
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

interface AppLog {
  appId: string
  dir: string
  dropped: number
  droppedDyno: string
  flushing: Promise<void> | undefined
  followers: Set<Follower>
  lastId: number
  pending: PendingChunk[]
  pendingBytes: number
  purged: boolean
  /** Chunks taken from `pending` by the flush in progress (not all on disk yet). */
  writing: PendingChunk[]
  ring: Array<Entry | undefined>
  /** Characters of the lines in the ring (a close measure of their memory). */
  ringChars: number
  /** Index in `ring` of the oldest line. */
  ringStart: number
  ringSize: number
  /** Bytes of the app's segments, on disk or on their way. */
  bytes: number
  /** Bytes per segment (first id → bytes written or buffered for it). */
  segmentBytes: Map<number, number>
  /** First ids of the segment files, ascending; the last one is being appended to. */
  segments: number[]
  timer: NodeJS.Timeout | undefined
}

const SEGMENT_RE = /^(\d{1,15})\.log$/

function segmentName(firstId: number): string {
  return `${String(firstId).padStart(12, '0')}.log`
}

function parseStored(row: string): Entry | undefined {
  const space = row.indexOf(' ')
  if (space <= 0) return undefined
  const id = Number(row.slice(0, space))
  if (!Number.isSafeInteger(id) || id <= 0) return undefined
  const text = row.slice(space + 1)
  const parsed = parseLine(text)
  if (!parsed) return undefined
  return new Entry(id, parsed.source, parsed.dyno, parsed.micros, text, text.length - parsed.message.length)
}

export class FileLogService implements LogService {
  private readonly apps = new Map<string, AppLog>()
  private closed = false
  private readonly flushDelayMs: number
  private readonly maxPendingBytes: number
  private readonly retentionBytes: number
  private readonly retentionLines: number
  private readonly ringChars: number
  private readonly ringLines: number
  private readonly segmentBytes: number
  private readonly segmentLines: number
  private readonly totalBytes: number

  constructor(private readonly options: FileLogServiceOptions) {
    this.retentionLines = Math.max(10, options.retentionLines ?? 100_000)
    this.ringLines = Math.max(10, options.ringLines ?? Math.min(this.retentionLines, 10_000))
    this.segmentLines = Math.max(5, Math.ceil(this.retentionLines / 4))
    this.retentionBytes = Math.max(64 * 1024, options.retentionBytes ?? 64 * 1024 * 1024)
    this.segmentBytes = Math.ceil(this.retentionBytes / 4)
    this.ringChars = Math.max(64 * 1024, options.ringBytes ?? 4 * 1024 * 1024)
    this.totalBytes = Math.max(this.retentionBytes, options.totalBytes ?? 512 * 1024 * 1024)
    this.flushDelayMs = options.flushDelayMs ?? 50
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024
  }

  append(appId: string, line: LogLine): void {
    if (this.closed) return
    const app = this.app(appId)
    if (app.purged) return
    if (app.pendingBytes > this.maxPendingBytes) {
      // The disk cannot keep up: drop, count, and say so once the buffer drains (Heroku's L10).
      if (app.dropped === 0) app.droppedDyno = line.dyno
      app.dropped++
      return
    }

    if (app.dropped > 0 && app.pendingBytes < this.maxPendingBytes / 2) this.reportDropped(app)
    const micros = line.time ? line.time.getTime() * 1000 : nowMicros()
    if (isSingleLine(line.message)) this.store(app, line.source, line.dyno, line.message, micros)
    else for (const message of splitMessage(line.message)) this.store(app, line.source, line.dyno, message, micros)
  }

  async close(): Promise<void> {
    this.closed = true
    await this.flushAll()
    for (const app of this.apps.values()) app.followers.clear()
  }

  /** Writes every buffered line now (tests, shutdown). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.apps.values()].map(app => this.flush(app)))
  }

  follow(appId: string, filter: LogFilter, onLine: (line: StoredLogLine) => void): () => void {
    const follower: Follower = {filter, onLine}
    const app = this.app(appId)
    app.followers.add(follower)
    return () => {
      app.followers.delete(follower)
    }
  }

  /** The id of the newest line of an app (0 when it has none). */
  lastId(appId: string): number {
    return this.app(appId).lastId
  }

  purge(appId: string): void {
    const app = this.apps.get(appId)
    const dir = app?.dir ?? path.join(this.options.dir, appId)
    if (app) {
      app.purged = true
      if (app.timer) clearTimeout(app.timer)
      app.pending = []
      app.pendingBytes = 0
      app.followers.clear()
      this.apps.delete(appId)
    }

    const remove = async () => {
      await app?.flushing
      await rm(dir, {force: true, recursive: true})
    }

    remove().catch(() => {})
  }

  read(appId: string, filter: LogFilter, lines: number, afterId = 0): StoredLogLine[] {
    const app = this.app(appId)
    const out: StoredLogLine[] = []
    if (lines <= 0) return out
    let oldestSeen = app.lastId + 1
    for (let i = app.ringSize - 1; i >= 0 && out.length < lines; i--) {
      const line = app.ring[(app.ringStart + i) % app.ring.length]!
      if (line.id <= afterId) return out.reverse()
      oldestSeen = line.id
      if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
    }

    if (out.length < lines && oldestSeen > afterId + 1) {
      // Older than the ring: first the lines not on disk yet (a flood outruns the ring between two flushes), then disk.
      const unflushed = this.unflushed(app)
      for (let i = unflushed.length - 1; i >= 0 && out.length < lines; i--) {
        const line = unflushed[i]
        if (line.id >= oldestSeen) continue
        if (line.id <= afterId) return out.reverse()
        oldestSeen = line.id
        if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
      }

      if (out.length < lines && oldestSeen > afterId + 1) this.readDisk(app, filter, lines, afterId, oldestSeen, out)
    }

    return out.reverse()
  }

  private app(appId: string): AppLog {
    let app = this.apps.get(appId)
    if (app) return app
    if (!/^[\w.-]+$/.test(appId)) throw new Error(`invalid app id for logs: ${appId}`)
    app = {
      appId,
      dir: path.join(this.options.dir, appId),
      dropped: 0,
      droppedDyno: '',
      flushing: undefined,
      followers: new Set(),
      lastId: 0,
      pending: [],
      pendingBytes: 0,
      purged: false,
      writing: [],
      bytes: 0,
      ring: Array.from({length: this.ringLines}),
      ringChars: 0,
      ringSize: 0,
      ringStart: 0,
      segmentBytes: new Map(),
      segments: [],
      timer: undefined,
    }
    this.apps.set(appId, app)
    this.load(app)
    return app
  }

  private async flush(app: AppLog): Promise<void> {
    if (app.timer) {
      clearTimeout(app.timer)
      app.timer = undefined
    }

    while (app.flushing) await app.flushing
    if (app.pending.length === 0 || app.purged) return
    const chunks = app.pending
    app.pending = []
    app.writing = chunks
    const run = async () => {
      try {
        for (const chunk of chunks) {
          const last = chunk.buf.subarray(0, chunk.used)
          const data = chunk.full.length === 0 ? last : Buffer.concat([...chunk.full, last])
          await appendFile(path.join(app.dir, segmentName(chunk.segment)), data)
          app.pendingBytes -= data.length
        }

        await this.rotate(app)
      } catch (error) {
        if (!app.purged) console.error(`[ferry] writing logs of ${app.appId} failed:`, error)
        app.pendingBytes = 0
      }
    }

    app.flushing = run()
    await app.flushing
    app.flushing = undefined
    app.writing = []
    if (app.dropped > 0 && !this.closed) this.reportDropped(app)
  }

  private load(app: AppLog): void {
    mkdirSync(app.dir, {recursive: true})
    app.segments = readdirSync(app.dir)
      .map(name => SEGMENT_RE.exec(name))
      .filter(m => m !== null)
      .map(m => Number(m[1]))
      .sort((a, b) => a - b)
    for (const first of app.segments) {
      let size = 0
      try {
        size = statSync(path.join(app.dir, segmentName(first))).size
      } catch {}

      app.segmentBytes.set(first, size)
      app.bytes += size
    }

    if (app.segments.length === 0) return
    const tail: Entry[] = []
    for (let s = app.segments.length - 1; s >= 0 && tail.length < this.ringLines; s--) {
      const lines = this.readSegment(app, app.segments[s])
      if (s === app.segments.length - 1) app.lastId = Math.max(app.segments[s] - 1, lines.at(-1)?.id ?? 0)
      tail.unshift(...lines.slice(Math.max(0, lines.length - (this.ringLines - tail.length))))
    }

    for (const line of tail) this.pushRing(app, line)
  }

  private pushRing(app: AppLog, line: Entry): void {
    const cap = app.ring.length
    if (app.ringSize === cap) this.dropOldest(app)
    app.ring[(app.ringStart + app.ringSize) % cap] = line
    app.ringSize++
    app.ringChars += line.text.length
    // Long lines: fewer of them stay in memory (read() goes to disk for the rest).
    while (app.ringChars > this.ringChars && app.ringSize > 1) this.dropOldest(app)
  }

  private dropOldest(app: AppLog): void {
    app.ringChars -= app.ring[app.ringStart]!.text.length
    app.ring[app.ringStart] = undefined
    app.ringStart = (app.ringStart + 1) % app.ring.length
    app.ringSize--
  }

  /** Lines stored but not (all) written to disk yet, oldest first: the chunks being written, then the pending ones. */
  private unflushed(app: AppLog): Entry[] {
    const out: Entry[] = []
    for (const chunk of [...app.writing, ...app.pending]) {
      for (const buf of [...chunk.full, chunk.buf.subarray(0, chunk.used)]) {
        for (const row of buf.toString('utf8').split('\n')) {
          const line = row === '' ? undefined : parseStored(row)
          if (line) out.push(line)
        }
      }
    }

    return out
  }

  /** Older lines than the ring holds: read segment files (newest first) synchronously. */
  private readDisk(app: AppLog, filter: LogFilter, lines: number, afterId: number, beforeId: number, out: StoredLogLine[]): void {
    for (let s = app.segments.length - 1; s >= 0 && out.length < lines; s--) {
      const first = app.segments[s]
      if (first >= beforeId) continue
      const rows = this.readSegment(app, first)
      for (let i = rows.length - 1; i >= 0 && out.length < lines; i--) {
        const line = rows[i]
        if (line.id >= beforeId) continue
        if (line.id <= afterId) return
        if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
      }

      if (first <= afterId + 1) return
    }
  }

  private readSegment(app: AppLog, first: number): Entry[] {
    let text: string
    try {
      text = readFileSync(path.join(app.dir, segmentName(first)), 'utf8')
    } catch {
      return []
    }

    const out: Entry[] = []
    for (const row of text.split('\n')) {
      const line = row === '' ? undefined : parseStored(row)
      if (line) out.push(line)
    }

    return out
  }

  private reportDropped(app: AppLog): void {
    const count = app.dropped
    app.dropped = 0
    const dyno = app.droppedDyno || 'router'
    this.store(app, 'heroku', dyno, `Error L10 (output buffer overflow) -> ${count} log lines dropped: the log writer could not keep up`, nowMicros())
  }

  private async rotate(app: AppLog): Promise<void> {
    // Drop whole segments from the front while the rest still holds at least `retentionLines` lines or `retentionBytes`.
    const bytesAfterFirst = () => app.bytes - (app.segmentBytes.get(app.segments[0]) ?? 0)
    while (app.segments.length > 1 && (app.lastId - app.segments[1] + 1 >= this.retentionLines || bytesAfterFirst() >= this.retentionBytes)) {
      await this.dropSegment(app)
    }

    // All apps together: the biggest one gives up its oldest segment (never the one being written).
    let total = 0
    for (const other of this.apps.values()) total += other.bytes
    while (total > this.totalBytes) {
      let biggest: AppLog | undefined
      for (const other of this.apps.values()) if (other.segments.length > 1 && !this.busy(other, other.segments[0]) && (!biggest || other.bytes > biggest.bytes)) biggest = other
      if (!biggest) break
      total -= await this.dropSegment(biggest)
    }
  }

  /** Whether a segment still has lines buffered or being written. */
  private busy(app: AppLog, segment: number): boolean {
    return [...app.pending, ...app.writing].some(chunk => chunk.segment === segment)
  }

  /** Deletes an app's oldest segment; returns its size. */
  private async dropSegment(app: AppLog): Promise<number> {
    const first = app.segments.shift()!
    const size = app.segmentBytes.get(first) ?? 0
    app.segmentBytes.delete(first)
    app.bytes -= size
    await rm(path.join(app.dir, segmentName(first)), {force: true})
    return size
  }

  private schedule(app: AppLog): void {
    if (app.timer || this.closed) return
    app.timer = setTimeout(() => {
      app.timer = undefined
      this.flush(app).catch(() => {})
    }, this.flushDelayMs)
    app.timer.unref?.()
  }

  private store(app: AppLog, source: 'app' | 'heroku', dyno: string, message: string, micros: number): void {
    const id = ++app.lastId

    // Rotation: a new segment starts every `segmentLines` lines.
    let segment = app.segments.at(-1)
    if (segment === undefined || id - segment >= this.segmentLines || (app.segmentBytes.get(segment) ?? 0) >= this.segmentBytes) {
      segment = id
      app.segments.push(id)
    }

    // The row is encoded into the pending buffer right away. Encoding flattens the row's tree of concatenations
    // in place, so the ring's text is a slice of one flat string (no decode back from the bytes).
    const idText = String(id)
    const row = `${idText} ${formatLine(micros, source, dyno, message)}\n`
    let chunk = app.pending.at(-1)
    if (!chunk || chunk.segment !== segment) {
      chunk = {buf: Buffer.allocUnsafe(Math.max(CHUNK_BUFFER_BYTES, row.length * 3)), full: [], segment, used: 0}
      app.pending.push(chunk)
    } else if (chunk.buf.length - chunk.used < row.length * 3) {
      chunk.full.push(chunk.buf.subarray(0, chunk.used))
      chunk.buf = Buffer.allocUnsafe(Math.max(CHUNK_BUFFER_BYTES, row.length * 3))
      chunk.used = 0
    }

    const start = chunk.used
    const bytes = chunk.buf.write(row, start)
    chunk.used += bytes
    app.pendingBytes += bytes
    app.segmentBytes.set(segment, (app.segmentBytes.get(segment) ?? 0) + bytes)
    app.bytes += bytes
    const text = row.slice(idText.length + 1, -1)
    const entry = new Entry(id, source, dyno, micros, text, text.length - message.length)
    this.pushRing(app, entry)
    if (!app.timer) this.schedule(app)

    if (app.followers.size === 0) return
    const line = entry.toStored()
    for (const follower of app.followers) {
      if (!matchesFilter(follower.filter, source, dyno)) continue
      try {
        follower.onLine(line)
      } catch (error) {
        console.error('[ferry] log follower failed:', error)
      }
    }
  }
}
