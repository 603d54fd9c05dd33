// Logplex line format: `2026-11-25T14:03:11.123456+00:00 app[web.1]: message` (shared/platform-api.md §5.5).
import type {LogFilter} from '../context.js'
import {monotonicMs} from '../time.js'

/** Heroku splits log lines longer than this many bytes. */
export const MAX_LINE_BYTES = 10_000

// Wall clock at start + the monotonic clock since (monotonicMs(): process.hrtime(), nanosecond resolution and, unlike
// process.hrtime.bigint(), allocates no BigInt per call).
const baseMicros = Date.now() * 1000
const baseMonotonic = monotonicMs()

/** Wall-clock time in microseconds since the epoch (Date has milliseconds only). */
export function nowMicros(): number {
  return baseMicros + Math.floor((monotonicMs() - baseMonotonic) * 1000)
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

// The `YYYY-MM-DDTHH:MM:SS` part changes once a second: cache it (the router formats a line per request).
let cachedSecond = Number.NaN
let cachedPrefix = ''

// `YYYY-MM-DDTHH:MM:SS.mmm` changes once a millisecond; the last three digits (microseconds) are added per line.
let cachedMilli = Number.NaN
let cachedMilliPrefix = ''
const MICRO_DIGITS = Array.from({length: 1000}, (_, i) => `${String(i).padStart(3, '0')}+00:00`)

/** RFC 5424 timestamp with microseconds and `+00:00`. */
export function formatTimestamp(micros: number): string {
  const milli = Math.floor(micros / 1000)
  if (milli !== cachedMilli) {
    const second = Math.floor(milli / 1000)
    cachedMilliPrefix = `${secondPrefix(second)}.${String(milli - (second * 1000)).padStart(3, '0')}`
    cachedMilli = milli
  }

  return cachedMilliPrefix + MICRO_DIGITS[Math.trunc(micros - (milli * 1000))]
}

function secondPrefix(second: number): string {
  if (second !== cachedSecond) {
    const d = new Date(second * 1000)
    cachedPrefix =
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
      `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
    cachedSecond = second
  }

  return cachedPrefix
}

export function formatLine(micros: number, source: string, dyno: string, message: string): string {
  return `${formatTimestamp(micros)} ${source}[${dyno}]: ${message}`
}

const LINE_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\+00:00 (app|heroku)\[([^\]\s]+)\]: ?(.*)$/

/** Parses a logplex line back into its parts (undefined when it is not one). */
export function parseLine(text: string): undefined | {dyno: string; message: string; micros: number; source: 'app' | 'heroku'} {
  const m = LINE_RE.exec(text)
  if (!m) return undefined
  const micros = (Date.parse(`${m[1]}Z`) * 1000) + Number(m[2])
  return {dyno: m[4], message: m[5], micros, source: m[3] as 'app' | 'heroku'}
}

/**
 * Splits a message into log lines: one per text line (a trailing newline adds none, `\r` is dropped),
 * and lines above MAX_LINE_BYTES into pieces of at most that many bytes (never inside a UTF-8 character).
 */
/** true when splitMessage(message) would return [message] (one short line): the common case, checked without allocating. */
export function isSingleLine(message: string): boolean {
  return message.length * 3 <= MAX_LINE_BYTES && !message.includes('\n') && message.charCodeAt(message.length - 1) !== 13
}

export function splitMessage(message: string): string[] {
  const out: string[] = []
  const parts = message.includes('\n') ? message.split('\n') : [message]
  if (parts.length > 1 && parts.at(-1) === '') parts.pop()
  for (let part of parts) {
    if (part.endsWith('\r')) part = part.slice(0, -1)
    if (part.length * 3 <= MAX_LINE_BYTES || Buffer.byteLength(part) <= MAX_LINE_BYTES) {
      out.push(part)
      continue
    }

    const buf = Buffer.from(part)
    let start = 0
    while (start < buf.length) {
      let end = Math.min(start + MAX_LINE_BYTES, buf.length)
      // Back off continuation bytes (10xxxxxx) so a character is never cut in two.
      while (end < buf.length && end > start && (buf[end] & 0xC0) === 0x80) end--
      out.push(buf.toString('utf8', start, end))
      start = end
    }
  }

  return out
}

/** Source `app|heroku`; dyno exact (`web.1`) or a process type (`web` matches `web.*`). */
export function matchesFilter(filter: LogFilter, source: string, dyno: string): boolean {
  if (filter.source && filter.source !== source) return false
  if (filter.dyno) {
    if (filter.dyno.includes('.')) return dyno === filter.dyno
    return dyno === filter.dyno || (dyno.startsWith(filter.dyno) && dyno.charCodeAt(filter.dyno.length) === 46)
  }

  return true
}
