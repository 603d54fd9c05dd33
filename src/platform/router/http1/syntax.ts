// The byte-level syntax of HTTP/1.x heads (RFC 9110/9112), shared by the request and response parsers: lines
// validated byte by byte (no bare CR or LF, no control characters), field lines (token names, no obsolete folding),
// the field names the router acts on (classified on the bytes, no string per field), and list values.
import type {Header} from '../http1.js'

import {REQUEST_HOP_BY_HOP, RESPONSE_HOP_BY_HOP, TOKEN_CHARS as TOKEN_CHARS_TEXT} from '../rules.js'

export class HttpParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

// Token characters (RFC 9110 §5.6.2) for header names and methods.
export const TOKEN_CHARS = new Uint8Array(256)
for (const c of TOKEN_CHARS_TEXT) TOKEN_CHARS[c.charCodeAt(0)] = 1

// Field names the router acts on (compared case-insensitively on the bytes: no string per field): the ones the
// parsers read, then every other field the rules list as hop-by-hop (rules.ts), each with an id of its own.
export const enum F {
  Other = 0,
  Connection,
  ContentLength,
  Host,
  TransferEncoding,
  Upgrade,
  XRequestId,
}

const FIELD_NAMES: Array<[string, number]> = [
  ['connection', F.Connection],
  ['content-length', F.ContentLength],
  ['host', F.Host],
  ['transfer-encoding', F.TransferEncoding],
  ['upgrade', F.Upgrade],
  ['x-request-id', F.XRequestId],
]
for (const name of new Set<string>([...REQUEST_HOP_BY_HOP, ...RESPONSE_HOP_BY_HOP])) {
  if (!FIELD_NAMES.some(([known]) => known === name)) FIELD_NAMES.push([name, FIELD_NAMES.length + 1])
}

const BY_LENGTH: Array<Array<{bytes: Uint8Array; id: number; name: string}>> = []
for (const [name, id] of FIELD_NAMES) (BY_LENGTH[name.length] ??= []).push({bytes: Buffer.from(name, 'latin1'), id, name})
const NAME_OF: string[] = []
for (const [name, id] of FIELD_NAMES) NAME_OF[id] = name
/** By field id: 1 for the response fields a proxy drops (RESPONSE_HOP_BY_HOP). */
export const RESPONSE_HOP = new Uint8Array(FIELD_NAMES.length + 1)
for (const [name, id] of FIELD_NAMES) if ((RESPONSE_HOP_BY_HOP as readonly string[]).includes(name)) RESPONSE_HOP[id] = 1

/** Which known field `buf[s, e)` names (a validated token), or F.Other. */
export function classify(buf: Buffer, s: number, e: number): number {
  const candidates = BY_LENGTH[e - s]
  if (candidates === undefined) return F.Other
  for (const c of candidates) if (bytesEqual(buf, s, e, c.bytes)) return c.id
  return F.Other
}

/**
 * `buf[a, b)` equals the lower-case ASCII `lit`, ignoring case: `| 0x20` lower-cases ASCII letters and leaves
 * `-` and digits alone (no other byte maps onto a lower-case letter).
 */
export function bytesEqual(buf: Buffer, a: number, b: number, lit: Uint8Array): boolean {
  if (b - a !== lit.length) return false
  for (let i = 0; i < lit.length; i++) if ((buf[a + i] | 0x20) !== lit[i]) return false
  return true
}

export function fail(status: number, message: string): never {
  throw new HttpParseError(status, message)
}

/**
 * What lineEnd() and fieldLine() found on the line they read last (returned here rather than in an object per line:
 * they run for every field line of every head). `colon`: the first `:` of the line (or -1); `valueStart`, `valueEnd`:
 * the field value without surrounding whitespace, `buf[valueStart, valueEnd)`.
 */
export const line = {colon: -1, valueEnd: 0, valueStart: 0}

/**
 * The end of the line starting at `i` (the index of its CR), validating every byte: rejects bare CR or LF
 * (ambiguous line ends between implementations) and control characters other than HT. Sets `line.colon`.
 */
export function lineEnd(buf: Buffer, i: number, limit: number, status: number): number {
  line.colon = -1
  for (; i < limit; i++) {
    const c = buf[i]
    if (c < 32) {
      if (c === 13) {
        if (buf[i + 1] !== 10) fail(status, 'Bare CR or LF, or a control character, in head')
        return i
      }

      if (c !== 9) fail(status, 'Bare CR or LF, or a control character, in head')
    } else if (c === 127) {
      fail(status, 'Bare CR or LF, or a control character, in head')
    } else if (c === 58 && line.colon === -1) {
      line.colon = i
    }
  }

  return i
}

/**
 * Reads and validates the field line starting at `i`: no obsolete line folding, a token name followed directly by
 * `:`. Returns the line's end (the index of its CR); sets `line.colon`, `line.valueStart` and `line.valueEnd`.
 */
export function fieldLine(buf: Buffer, i: number, limit: number, status: number): number {
  const le = lineEnd(buf, i, limit, status)
  const c0 = buf[i]
  if (c0 === 32 || c0 === 9) fail(status, 'Obsolete line folding')
  if (line.colon <= i) fail(status, 'Malformed header line')
  for (let k = i; k < line.colon; k++) if (TOKEN_CHARS[buf[k]] === 0) fail(status, 'Invalid header name')
  let a = line.colon + 1
  let b = le
  while (a < b && (buf[a] === 32 || buf[a] === 9)) a++
  while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--
  line.valueStart = a
  line.valueEnd = b
  return le
}

/**
 * Walks the field lines of a request head (`buf[i, limit)`, `limit` = the index of the final CRLFCRLF + 2),
 * validating each, and collects the known fields (every field when `all`) into `out`, their ids into `ids`.
 */
export function scanFields(buf: Buffer, i: number, limit: number, status: number, all: boolean, out: Header[], ids: number[]): void {
  while (i < limit) {
    const le = fieldLine(buf, i, limit, status)
    const id = classify(buf, i, line.colon)
    if (id !== F.Other || all) {
      out.push({at: i, lower: id === F.Other ? buf.toString('latin1', i, line.colon).toLowerCase() : NAME_OF[id], next: le + 2, value: buf.toString('latin1', line.valueStart, line.valueEnd)})
      ids.push(id)
    }

    i = le + 2
  }
}

/** Validates a Transfer-Encoding list (all field lines, in order): true when chunked is the last coding. */
export function transferChunked(te: string[], status: number): boolean {
  if (te.includes('')) fail(status, 'Invalid Transfer-Encoding')
  const chunked = te.at(-1) === 'chunked'
  if (te.indexOf('chunked') !== te.length - 1 && te.includes('chunked')) fail(status, 'chunked must be the last transfer coding, once')
  return chunked
}

/**
 * `s` without the optional whitespace around a list element: spaces and tabs only (RFC 9110 §5.6.1). Not
 * String#trim, which also strips NBSP (0xA0) and other Unicode spaces: `chunked\xA0` must not read as `chunked`
 * (a dyno's parser would disagree on the framing).
 */
export function ows(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

export function tokens(value: string): string[] {
  if (value === 'keep-alive' || value === 'close') return [value]
  return value
    .split(',')
    .map(t => ows(t).toLowerCase())
    .filter(t => t !== '')
}
