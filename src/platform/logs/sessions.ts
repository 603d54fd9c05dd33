// Log sessions (made by POST /apps/:app/log-sessions, server/routes/log-sessions.ts) and the capability URL that streams them as
// Server-Sent Events (shared/platform-api.md §3.14): `id:` + `data:` per line, close after the history
// unless tailing, `: keep-alive` comments while tailing, Last-Event-ID resumes without duplicates.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {randomBytes, randomUUID} from 'node:crypto'

import type {LogSession, LogSessionCreateBody} from '../../api/types.js'
import type {LogFilter, LogService, StoredLogLine} from '../context.js'

import {invalidParams} from '../errors.js'
import {isoTimestamp} from '../time.js'

/** Most history lines one session may ask for (Heroku clips at 1500; we keep more). */
export const MAX_SESSION_LINES = 100_000
/** Lines replayed after a reconnect with Last-Event-ID. */
const MAX_RESUME_LINES = 100_000
/** Above this many unsent bytes, a tail stops pushing and catches up from the ring after `drain`. */
const HIGH_WATER = 1024 * 1024

interface Session {
  appId: string
  connections: number
  createdAt: string
  expiresAt: number
  filter: LogFilter
  id: string
  lines: number
  tail: boolean
}

export interface LogSessionsOptions {
  /** Base URL of the API (`http://127.0.0.1:<port>`), read when a session is created. */
  baseUrl: () => string
  /** Interval of `: keep-alive` comments on tails (default 15 s). */
  keepAliveMs?: number
  logs: LogService
  /** Aborted when the platform stops: open tails get an `end` event. */
  stopping?: AbortSignal
  /** A session URL stays valid this long after creation or after its last connection closed (default 10 min). */
  ttlMs?: number
}

export const LOG_STREAM_PREFIX = '/log-streams/'

export const STOPPED_MESSAGE = 'The platform was stopped.'

function event(line: StoredLogLine): string {
  return `id: ${line.id}\ndata: ${line.text}\n\n`
}

export class LogSessions {
  private readonly keepAliveMs: number
  private readonly sessions = new Map<string, Session>()
  private readonly ttlMs: number

  constructor(private readonly options: LogSessionsOptions) {
    this.keepAliveMs = options.keepAliveMs ?? 15_000
    this.ttlMs = options.ttlMs ?? 10 * 60_000
  }

  /** Validates a POST body and creates a session for an app. */
  create(appId: string, body: unknown): LogSession {
    const b = (body ?? {}) as LogSessionCreateBody
    if (typeof b !== 'object' || Array.isArray(b)) throw invalidParams('Log session body must be an object.')
    const dyno = b.dyno ?? b.dyno_name ?? b.type
    if (dyno !== undefined && (typeof dyno !== 'string' || !/^[\w.-]{1,140}$/.test(dyno)))
      throw invalidParams(`Invalid dyno filter ${JSON.stringify(dyno)}: use a dyno name like web.1 or a process type like web.`)
    if (b.source !== undefined && b.source !== 'app' && b.source !== 'heroku') throw invalidParams(`Invalid source ${JSON.stringify(b.source)}: use app or heroku.`)
    let lines = 100
    if (b.lines !== undefined) {
      const n = Number(b.lines)
      if (!Number.isInteger(n) || n < 0) throw invalidParams('lines must be a non-negative integer.')
      lines = Math.min(n, MAX_SESSION_LINES)
    }

    this.sweep()
    const secret = randomBytes(24).toString('base64url')
    const now = isoTimestamp()
    const filter: LogFilter = {}
    if (dyno) filter.dyno = dyno
    if (b.source) filter.source = b.source as 'app' | 'heroku'
    this.sessions.set(secret, {
      appId,
      connections: 0,
      createdAt: now,
      expiresAt: Date.now() + this.ttlMs,
      filter,
      id: randomUUID(),
      lines,
      tail: Boolean(b.tail),
    })
    const session = this.sessions.get(secret)!
    return {created_at: now, id: session.id, logplex_url: `${this.options.baseUrl()}${LOG_STREAM_PREFIX}${secret}`, updated_at: now}
  }

  /** Forgets every session of an app (app destroyed). */
  forgetApp(appId: string): void {
    for (const [secret, session] of this.sessions) if (session.appId === appId) this.sessions.delete(secret)
  }

  /** Serves GET <logplex_url>. */
  stream(secret: string, req: IncomingMessage, res: ServerResponse): void {
    const session = this.sessions.get(secret)
    if (!session || (session.connections === 0 && session.expiresAt < Date.now())) {
      if (session) this.sessions.delete(secret)
      res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'})
      res.end('Log session not found or expired. Run "ferry logs" again.\n')
      return
    }

    session.connections++
    const {logs} = this.options
    const lastEventHeader = req.headers['last-event-id']
    const lastEventId = typeof lastEventHeader === 'string' && /^\d+$/.test(lastEventHeader.trim()) ? Number(lastEventHeader) : undefined
    res.writeHead(200, {
      'Cache-Control': 'no-cache',
      Connection: session.tail ? 'keep-alive' : 'close',
      'Content-Type': 'text/event-stream; charset=utf-8',
      'X-Accel-Buffering': 'no',
    })
    // Send the head now: a tail with no history would otherwise look unconnected until the first line or keep-alive.
    res.flushHeaders()
    res.socket?.setNoDelay(true)

    let lastSent = lastEventId ?? 0
    const sendHistory = (lines: StoredLogLine[]) => {
      if (lines.length === 0) return
      let out = ''
      for (const line of lines) out += event(line)
      lastSent = lines.at(-1)!.id
      res.write(out)
    }

    sendHistory(lastEventId === undefined ? logs.read(session.appId, session.filter, session.lines) : logs.read(session.appId, session.filter, MAX_RESUME_LINES, lastEventId))
    if (!session.tail) {
      session.connections--
      session.expiresAt = Date.now() + this.ttlMs
      res.end()
      return
    }

    let pending = ''
    let immediate: NodeJS.Immediate | undefined
    let unsubscribe: (() => void) | undefined
    let closed = false
    const flush = () => {
      immediate = undefined
      if (closed || pending === '') return
      const chunk = pending
      pending = ''
      if (!res.write(chunk) && res.writableLength > HIGH_WATER) {
        // The client is slower than the app: stop pushing, catch up from the log once the socket drains.
        unsubscribe?.()
        unsubscribe = undefined
        res.once('drain', () => {
          if (closed) return
          sendHistory(logs.read(session.appId, session.filter, MAX_RESUME_LINES, lastSent))
          subscribe()
        })
      }
    }

    const subscribe = () => {
      unsubscribe = logs.follow(session.appId, session.filter, line => {
        if (line.id <= lastSent) return
        lastSent = line.id
        pending += event(line)
        immediate ??= setImmediate(flush)
      })
    }

    subscribe()
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), this.keepAliveMs)
    // The platform is stopping: the tail ends with an `end` event (the CLI says so and exits) instead of a cut stream
    // that it would reconnect to.
    const stopping = this.options.stopping
    const onStopping = () => {
      flush()
      res.end(`event: end\ndata: ${STOPPED_MESSAGE}\n\n`)
    }

    stopping?.addEventListener('abort', onStopping, {once: true})
    if (stopping?.aborted) onStopping()
    const cleanup = () => {
      if (closed) return
      closed = true
      stopping?.removeEventListener('abort', onStopping)
      clearInterval(keepAlive)
      if (immediate) clearImmediate(immediate)
      unsubscribe?.()
      session.connections--
      session.expiresAt = Date.now() + this.ttlMs
    }

    req.on('close', cleanup)
    res.on('close', cleanup)
  }

  private sweep(): void {
    const now = Date.now()
    for (const [secret, session] of this.sessions) if (session.connections === 0 && session.expiresAt < now) this.sessions.delete(secret)
  }
}
