// The platform's log service: per app, a ring in memory for fast reads and live tails (ring.ts), lines encoded into
// a write buffer as they arrive (write-buffer.ts) and appended in batches to numbered segment files under
// `<dataDir>/logs/<appId>/` with size-based rotation and retention (segments.ts). The tail is reloaded from disk on
// first use of an app, so ids stay monotonic across daemon restarts.
import {rm} from 'node:fs/promises'
import path from 'node:path'

import type {LogFilter, LogLine, LogService, StoredLogLine} from '../context.js'

import {Entry} from './entry.js'
import {formatLine, isSingleLine, matchesFilter, nowMicros, splitMessage} from './format.js'
import {LogRing} from './ring.js'
import {enforceRetention, type RetainedLog, type RetentionLimits, SegmentFiles} from './segments.js'
import {chunkData, WriteBuffer} from './write-buffer.js'

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

interface AppLog extends RetainedLog {
  appId: string
  dropped: number
  droppedDyno: string
  flushing: Promise<void> | undefined
  followers: Set<Follower>
  purged: boolean
  ring: LogRing
  timer: NodeJS.Timeout | undefined
}

export class FileLogService implements LogService {
  private readonly apps = new Map<string, AppLog>()
  private closed = false
  private readonly flushDelayMs: number
  private readonly maxPendingBytes: number
  private readonly retention: RetentionLimits
  private readonly ringChars: number
  private readonly ringLines: number
  private readonly segmentBytes: number
  private readonly segmentLines: number

  constructor(private readonly options: FileLogServiceOptions) {
    const lines = Math.max(10, options.retentionLines ?? 100_000)
    const bytes = Math.max(64 * 1024, options.retentionBytes ?? 64 * 1024 * 1024)
    this.retention = {bytes, lines, totalBytes: Math.max(bytes, options.totalBytes ?? 512 * 1024 * 1024)}
    this.ringLines = Math.max(10, options.ringLines ?? Math.min(lines, 10_000))
    this.segmentLines = Math.max(5, Math.ceil(lines / 4))
    this.segmentBytes = Math.ceil(bytes / 4)
    this.ringChars = Math.max(64 * 1024, options.ringBytes ?? 4 * 1024 * 1024)
    this.flushDelayMs = options.flushDelayMs ?? 50
    this.maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024
  }

  append(appId: string, line: LogLine): void {
    if (this.closed) return
    const app = this.app(appId)
    if (app.purged) return
    if (app.buffer.bytes > this.maxPendingBytes) {
      // The disk cannot keep up: drop, count, and say so once the buffer drains (Heroku's L10).
      if (app.dropped === 0) app.droppedDyno = line.dyno
      app.dropped++
      return
    }

    if (app.dropped > 0 && app.buffer.bytes < this.maxPendingBytes / 2) this.reportDropped(app)
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
    const dir = app?.disk.dir ?? path.join(this.options.dir, appId)
    if (app) {
      app.purged = true
      if (app.timer) clearTimeout(app.timer)
      app.buffer.clear()
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
    for (let i = app.ring.size - 1; i >= 0 && out.length < lines; i--) {
      const line = app.ring.at(i)
      if (line.id <= afterId) return out.reverse()
      oldestSeen = line.id
      if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
    }

    if (out.length < lines && oldestSeen > afterId + 1) {
      // Older than the ring: first the lines not on disk yet (a flood outruns the ring between two flushes), then disk.
      const unflushed = app.buffer.unflushed()
      for (let i = unflushed.length - 1; i >= 0 && out.length < lines; i--) {
        const line = unflushed[i]
        if (line.id >= oldestSeen) continue
        if (line.id <= afterId) return out.reverse()
        oldestSeen = line.id
        if (matchesFilter(filter, line.source, line.dyno)) out.push(line.toStored())
      }

      if (out.length < lines && oldestSeen > afterId + 1) app.disk.readBefore(filter, lines, afterId, oldestSeen, out)
    }

    return out.reverse()
  }

  private app(appId: string): AppLog {
    let app = this.apps.get(appId)
    if (app) return app
    if (!/^[\w.-]+$/.test(appId)) throw new Error(`invalid app id for logs: ${appId}`)
    app = {
      appId,
      buffer: new WriteBuffer(),
      disk: new SegmentFiles(path.join(this.options.dir, appId)),
      dropped: 0,
      droppedDyno: '',
      flushing: undefined,
      followers: new Set(),
      lastId: 0,
      purged: false,
      ring: new LogRing(this.ringLines, this.ringChars),
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
    if (app.buffer.empty || app.purged) return
    const chunks = app.buffer.take()
    const run = async () => {
      try {
        for (const chunk of chunks) {
          const data = chunkData(chunk)
          await app.disk.append(chunk.segment, data)
          app.buffer.bytes -= data.length
        }

        await enforceRetention(app, this.apps, this.retention)
      } catch (error) {
        if (!app.purged) console.error(`[ferry] writing logs of ${app.appId} failed:`, error)
        app.buffer.bytes = 0
      }
    }

    app.flushing = run()
    await app.flushing
    app.flushing = undefined
    app.buffer.finished()
    if (app.dropped > 0 && !this.closed) this.reportDropped(app)
  }

  /** Finds the app's segments and fills the ring with its newest lines. */
  private load(app: AppLog): void {
    const {disk} = app
    disk.load()
    if (disk.firsts.length === 0) return
    const tail: Entry[] = []
    for (let s = disk.firsts.length - 1; s >= 0 && tail.length < this.ringLines; s--) {
      const lines = disk.read(disk.firsts[s])
      if (s === disk.firsts.length - 1) app.lastId = Math.max(disk.firsts[s] - 1, lines.at(-1)?.id ?? 0)
      tail.unshift(...lines.slice(Math.max(0, lines.length - (this.ringLines - tail.length))))
    }

    for (const line of tail) app.ring.push(line)
  }

  private reportDropped(app: AppLog): void {
    const count = app.dropped
    app.dropped = 0
    const dyno = app.droppedDyno || 'router'
    this.store(app, 'heroku', dyno, `Error L10 (output buffer overflow) -> ${count} log lines dropped: the log writer could not keep up`, nowMicros())
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
    const segment = app.disk.segmentFor(id, this.segmentLines, this.segmentBytes)
    // The row is encoded into the write buffer right away. Encoding flattens the row's tree of concatenations
    // in place, so the ring's text is a slice of one flat string (no decode back from the bytes).
    const idText = String(id)
    const row = `${idText} ${formatLine(micros, source, dyno, message)}\n`
    app.disk.grow(segment, app.buffer.add(segment, row))
    const text = row.slice(idText.length + 1, -1)
    const entry = new Entry(id, source, dyno, micros, text, text.length - message.length)
    app.ring.push(entry)
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
