// Test double: a minimal in-memory LogService (history per app + live followers) for API-server tests.
import type {LogFilter, LogLine, LogService, StoredLogLine} from '../../src/platform/context.js'

import {isoTimestamp} from '../../src/platform/time.js'

/** `2026-11-25T14:03:11.123456+00:00` (RFC 5424 with microseconds, like logplex). */
export function logplexTime(date: Date): string {
  return isoTimestamp(date).replace(/\.(\d{3})Z$/, '.$1000+00:00')
}

function matches(line: StoredLogLine, filter: LogFilter): boolean {
  if (filter.source && line.source !== filter.source) return false
  if (filter.dyno && line.dyno !== filter.dyno && !line.dyno.startsWith(`${filter.dyno}.`)) return false
  return true
}

export class MemoryLogService implements LogService {
  private readonly apps = new Map<string, {followers: Set<{filter: LogFilter; onLine: (line: StoredLogLine) => void}>; lines: StoredLogLine[]; nextId: number}>()

  constructor(private readonly retention = 1500) {}

  append(appId: string, line: LogLine): void {
    const app = this.app(appId)
    const time = line.time ?? new Date()
    const stored: StoredLogLine = {...line, id: app.nextId++, text: `${logplexTime(time)} ${line.source}[${line.dyno}]: ${line.message}`, time}
    app.lines.push(stored)
    if (app.lines.length > this.retention) app.lines.splice(0, app.lines.length - this.retention)
    for (const f of app.followers) if (matches(stored, f.filter)) f.onLine(stored)
  }

  async close(): Promise<void> {
    for (const app of this.apps.values()) app.followers.clear()
  }

  follow(appId: string, filter: LogFilter, onLine: (line: StoredLogLine) => void): () => void {
    const entry = {filter, onLine}
    const app = this.app(appId)
    app.followers.add(entry)
    return () => app.followers.delete(entry)
  }

  purge(appId: string): void {
    this.apps.delete(appId)
  }

  read(appId: string, filter: LogFilter, lines: number, afterId?: number): StoredLogLine[] {
    const all = (this.apps.get(appId)?.lines ?? []).filter(l => matches(l, filter) && (afterId === undefined || l.id > afterId))
    return lines > 0 ? all.slice(-lines) : []
  }

  private app(appId: string) {
    let app = this.apps.get(appId)
    if (!app) {
      app = {followers: new Set(), lines: [], nextId: 1}
      this.apps.set(appId, app)
    }

    return app
  }
}

export function createMemoryLogService(retention?: number): LogService {
  return new MemoryLogService(retention)
}
