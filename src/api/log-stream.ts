// Client of a log session's `logplex_url` (Server-Sent Events, shared/platform-api.md §3.14). Without tail:
// prints the history and returns when the server closes. With tail: follows; on a lost connection it
// reconnects with Last-Event-ID (no duplicates), creating a fresh session when the old URL expired. Over the CLI's
// node:http transport (transport.ts), like every other request.
import {Transport, type TransportResponse} from './transport.js'

export interface LogEvent {
  /** The SSE id (monotonic per app), undefined when the server sent none. */
  id: number | undefined
  text: string
}

export interface StreamLogsOptions {
  /** Called for every log line. */
  onLine: (event: LogEvent) => void
  /** A new session URL (with tail) when the current one is gone (404/403), e.g. after a daemon restart. */
  renew?: () => Promise<string>
  /** Delay before reconnecting (default 1 s; the heroku CLI waits 3 s). */
  retryMs?: number
  signal?: AbortSignal
  tail: boolean
  url: string
}

export class LogStreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'LogStreamError'
  }
}

/** The server ended the stream for good (an `end` event): a tail stops instead of reconnecting. */
export class LogStreamEnded extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LogStreamEnded'
  }
}

/** Parses SSE bytes into events; keeps the incomplete tail between calls. */
export class SseParser {
  /** The data of an `end` event (the server says the stream is over for good, e.g. the platform stopped). */
  ended: string | undefined
  lastId: number | undefined
  private buffer = ''
  private data: string[] = []
  private event: string | undefined
  private id: number | undefined

  push(text: string, emit: (event: LogEvent) => void): void {
    this.buffer += text
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) !== -1) {
      let line = this.buffer.slice(0, nl)
      this.buffer = this.buffer.slice(nl + 1)
      if (line.endsWith('\r')) line = line.slice(0, -1)
      if (line === '') {
        if (this.event === 'end') this.ended = this.data.join('\n')
        else if (this.data.length > 0) {
          const data = this.data.join('\n')
          if (this.id !== undefined) this.lastId = this.id
          for (const part of data.trim().split('\n')) emit({id: this.id, text: part})
        }

        this.data = []
        this.event = undefined
        this.id = undefined
        continue
      }

      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data') this.data.push(value)
      else if (field === 'id' && /^\d+$/.test(value)) this.id = Number(value)
      else if (field === 'event') this.event = value
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    })
  })

export async function streamLogs(options: StreamLogsOptions): Promise<void> {
  const transport = new Transport()
  try {
    await follow(options, transport)
  } finally {
    transport.close()
  }
}

async function follow(options: StreamLogsOptions, transport: Transport): Promise<void> {
  let {url} = options
  const parser = new SseParser()
  const seen = {id: 0}
  const onEvent = (event: LogEvent) => {
    // Never print a line twice, whatever the server replays after a reconnect.
    if (event.id !== undefined) {
      if (event.id <= seen.id && seen.id !== 0) return
      seen.id = Math.max(seen.id, event.id)
    }

    options.onLine(event)
  }

  let connectedOnce = false
  let failures = 0
  for (;;) {
    if (options.signal?.aborted) return
    const headers: Record<string, string> = {Accept: 'text/event-stream'}
    if (parser.lastId !== undefined) headers['Last-Event-ID'] = String(parser.lastId)
    let res: TransportResponse
    try {
      res = await transport.exchange(url, {headers, redirect: 'follow', signal: options.signal})
    } catch (error) {
      if (options.signal?.aborted) return
      if (!options.tail || !connectedOnce) throw new LogStreamError(`Logs eventsource failed with: ${(error as Error).message}`)
      // The server may have come back elsewhere (a restarted local platform on another port): ask for a new session.
      if (++failures >= 3 && options.renew) {
        try {
          url = await options.renew()
          failures = 0
        } catch {}
      }

      await sleep(options.retryMs ?? 1000, options.signal)
      continue
    }

    failures = 0

    if (res.status !== 200 || !(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      res.discard()
      if (options.tail && connectedOnce && (res.status === 404 || res.status === 403) && options.renew) {
        url = await options.renew()
        continue
      }

      if (options.tail && (res.status === 404 || res.status === 403)) throw new LogStreamError('Log stream timed out. Please try again.', res.status)
      throw new LogStreamError(`Logs eventsource failed with: ${res.status} ${res.statusText}`, res.status)
    }

    connectedOnce = true
    const decoder = new TextDecoder()
    try {
      for await (const chunk of res.body) parser.push(decoder.decode(chunk as Buffer, {stream: true}), onEvent)
    } catch {
      if (options.signal?.aborted) return
    }

    if (parser.ended !== undefined) throw new LogStreamEnded(parser.ended)
    if (!options.tail) return
    await sleep(options.retryMs ?? 1000, options.signal)
  }
}
