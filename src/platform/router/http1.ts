// A strict HTTP/1.x head parser and body framing tracker for the router (RFC 9110/9112).
// It parses only heads; bodies are spliced through, and the framing is tracked byte-exactly so the
// router knows where each message ends (pipelining, per-request routing and logging). Anything
// ambiguous is rejected instead of guessed: that is what prevents request smuggling.

import {MAX_CHUNK_LINE, MAX_HEAD_BYTES, MAX_TRAILER_BYTES} from './rules.js'

// The limits live in rules.ts (shared with native/router.c through a generated header).
export {MAX_HEAD_BYTES} from './rules.js'

export class HttpParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface Header {
  /** Offset of the field line in the buffer the head was parsed from. */
  at: number
  /** The field name in lower case. */
  lower: string
  /** Offset just after the field line's CRLF (the head's length + 2 for the last line). */
  next: number
  /** The field value without surrounding whitespace. */
  value: string
}

export type BodyKind = 'chunked' | 'close' | 'length' | 'none'

export interface RequestHead {
  body: BodyKind
  /** The buffer the head was parsed from; the head is `buf[start, end)`, CRLFCRLF included. */
  buf: Buffer
  /** `Connection` tokens (lower case). */
  connection: string[]
  end: number
  /**
   * The field lines the router acts on: Host, framing, hop-by-hop fields, X-Request-Id, Via, X-Forwarded-*,
   * Upgrade, and any field the Connection header names. Other fields are validated but not collected.
   */
  headers: Header[]
  host: string
  length: number
  method: string
  /** A valid incoming X-Request-Id (kept as the request's id), else ''. */
  requestId: string
  start: number
  target: string
  /** The request has an Upgrade header field. */
  upgrade: boolean
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  version: 0 | 1
}

export interface ResponseHead {
  /** Transfer-Encoding says chunked (last coding). */
  chunked: boolean
  /** `Connection` tokens (lower case). */
  connection: string[]
  /** The Connection, Keep-Alive and Proxy-Connection field lines as [at, next) offset pairs (what a proxy drops). */
  hop: number[]
  /** Content-Length when present (responses: -1 when absent). */
  length: number
  /** Transfer-Encoding present but not chunked: body runs until close. */
  otherEncoding: boolean
  status: number
  version: 0 | 1
}

const CRLFCRLF = Buffer.from('\r\n\r\n')
const REQUEST_ID_RE = /^[\w+./:=-]{20,200}$/

/**
 * Finds the end of a head starting at `start`: the index just after CRLFCRLF, -1 when incomplete.
 * Throws 431 when the head exceeds MAX_HEAD_BYTES without ending.
 */
export function findHeadEnd(buf: Buffer, start = 0): number {
  if (buf.length - start < 4) return -1
  const idx = buf.indexOf(CRLFCRLF, start)
  if (idx === -1) {
    if (buf.length - start > MAX_HEAD_BYTES) throw new HttpParseError(431, 'Request header fields too large')
    return -1
  }

  if (idx + 4 - start > MAX_HEAD_BYTES) throw new HttpParseError(431, 'Request header fields too large')
  return idx + 4
}

// Token characters (RFC 9110 §5.6.2) for header names and methods.
const TOKEN_CHARS = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1

// Field names the router acts on, by length (compared case-insensitively on the bytes: no string per field).
const enum F {
  Other = 0,
  Connection,
  ContentLength,
  Host,
  KeepAlive,
  ProxyConnection,
  Te,
  Trailer,
  TransferEncoding,
  Upgrade,
  Via,
  XForwardedFor,
  XForwardedPort,
  XForwardedProto,
  XRequestId,
}

const FIELD_NAMES: Array<[string, F]> = [
  ['connection', F.Connection],
  ['content-length', F.ContentLength],
  ['host', F.Host],
  ['keep-alive', F.KeepAlive],
  ['proxy-connection', F.ProxyConnection],
  ['te', F.Te],
  ['trailer', F.Trailer],
  ['transfer-encoding', F.TransferEncoding],
  ['upgrade', F.Upgrade],
  ['via', F.Via],
  ['x-forwarded-for', F.XForwardedFor],
  ['x-forwarded-port', F.XForwardedPort],
  ['x-forwarded-proto', F.XForwardedProto],
  ['x-request-id', F.XRequestId],
]
const BY_LENGTH: Array<Array<{bytes: Uint8Array; id: F; name: string}>> = []
for (const [name, id] of FIELD_NAMES) (BY_LENGTH[name.length] ??= []).push({bytes: Buffer.from(name, 'latin1'), id, name})
const NAME_OF: string[] = []
for (const [name, id] of FIELD_NAMES) NAME_OF[id] = name

/** Which known field `buf[s, e)` names (a validated token), or F.Other. */
function classify(buf: Buffer, s: number, e: number): F {
  const candidates = BY_LENGTH[e - s]
  if (candidates === undefined) return F.Other
  for (const c of candidates) if (bytesEqual(buf, s, e, c.bytes)) return c.id
  return F.Other
}

/**
 * `buf[a, b)` equals the lower-case ASCII `lit`, ignoring case: `| 0x20` lower-cases ASCII letters and leaves
 * `-` and digits alone (no other byte maps onto a lower-case letter).
 */
function bytesEqual(buf: Buffer, a: number, b: number, lit: Uint8Array): boolean {
  if (b - a !== lit.length) return false
  for (let i = 0; i < lit.length; i++) if ((buf[a + i] | 0x20) !== lit[i]) return false
  return true
}

function fail(status: number, message: string): never {
  throw new HttpParseError(status, message)
}

/**
 * The end of the line starting at `i` (the index of its CR), validating every byte: rejects bare CR or LF
 * (ambiguous line ends between implementations) and control characters other than HT. `colon` is set to the
 * first `:` of the line (or -1).
 */
let colon = -1
function lineEnd(buf: Buffer, i: number, limit: number, status: number): number {
  colon = -1
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
    } else if (c === 58 && colon === -1) {
      colon = i
    }
  }

  return i
}

/** The field value of the line fieldLine() read last, without surrounding whitespace: `buf[valueStart, valueEnd)`. */
let valueStart = 0
let valueEnd = 0

/**
 * Reads and validates the field line starting at `i`: no obsolete line folding, a token name followed directly by
 * `:`. Returns the line's end (the index of its CR); sets `colon`, `valueStart` and `valueEnd`.
 */
function fieldLine(buf: Buffer, i: number, limit: number, status: number): number {
  const le = lineEnd(buf, i, limit, status)
  const c0 = buf[i]
  if (c0 === 32 || c0 === 9) fail(status, 'Obsolete line folding')
  if (colon <= i) fail(status, 'Malformed header line')
  for (let k = i; k < colon; k++) if (TOKEN_CHARS[buf[k]] === 0) fail(status, 'Invalid header name')
  let a = colon + 1
  let b = le
  while (a < b && (buf[a] === 32 || buf[a] === 9)) a++
  while (b > a && (buf[b - 1] === 32 || buf[b - 1] === 9)) b--
  valueStart = a
  valueEnd = b
  return le
}

/**
 * Walks the field lines of a request head (`buf[i, limit)`, `limit` = the index of the final CRLFCRLF + 2),
 * validating each, and collects the known fields (every field when `all`) into `out`, their ids into `ids`.
 */
function scanFields(buf: Buffer, i: number, limit: number, status: number, all: boolean, out: Header[], ids: F[]): void {
  while (i < limit) {
    const le = fieldLine(buf, i, limit, status)
    const id = classify(buf, i, colon)
    if (id !== F.Other || all) {
      out.push({at: i, lower: id === F.Other ? buf.toString('latin1', i, colon).toLowerCase() : NAME_OF[id], next: le + 2, value: buf.toString('latin1', valueStart, valueEnd)})
      ids.push(id)
    }

    i = le + 2
  }
}

/** Validates a Transfer-Encoding list (all field lines, in order): true when chunked is the last coding. */
function transferChunked(te: string[], status: number): boolean {
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
function ows(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

function tokens(value: string): string[] {
  if (value === 'keep-alive' || value === 'close') return [value]
  return value
    .split(',')
    .map(t => ows(t).toLowerCase())
    .filter(t => t !== '')
}

interface Framing {
  chunked: boolean
  connection: string[]
  length: number
  otherEncoding: boolean
  te: boolean
  teCodings: number
}

function contentLength(value: string, status: number): number {
  const n = value.length
  if (n === 0 || n > 15) fail(status, 'Invalid Content-Length')
  let v = 0
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) fail(status, 'Invalid Content-Length')
    v = (v * 10) + d
  }

  return v
}

function framingOf(headers: Header[], ids: F[], status: number): Framing {
  let length = -1
  let te: string[] | undefined
  let connection: string[] = []
  // An index loop: this runs per request (no iterator and entry arrays).
  // eslint-disable-next-line unicorn/no-for-loop
  for (let k = 0; k < headers.length; k++) {
    const h = headers[k]
    switch (ids[k]) {
      case F.Connection: {
        connection = connection.length === 0 ? tokens(h.value) : [...connection, ...tokens(h.value)]
        break
      }

      case F.ContentLength: {
        if (length !== -1) fail(status, 'Duplicate Content-Length')
        length = contentLength(h.value, status)
        break
      }

      case F.TransferEncoding: {
        te = [...(te ?? []), ...h.value.split(',').map(t => ows(t).toLowerCase())]
        break
      }

      default:
    }
  }

  if (te === undefined) return {chunked: false, connection, length, otherEncoding: false, te: false, teCodings: 0}
  const chunked = transferChunked(te, status)
  return {chunked, connection, length, otherEncoding: !chunked, te: true, teCodings: te.length}
}

/** The request line `buf[start, le)`: method SP request-target SP HTTP/d.d. */
function requestLine(buf: Buffer, start: number, le: number): {method: string; target: string; version: 0 | 1} {
  let i = start
  while (i < le && TOKEN_CHARS[buf[i]] === 1) i++
  if (i === start || buf[i] !== 32) fail(400, 'Malformed request line')
  const ms = i++
  const ts = i
  // The target: no whitespace (NBSP included), no control characters.
  for (let c = buf[i]; i < le && c > 32 && c !== 127 && c !== 0xA0; c = buf[++i]);
  if (i === ts || buf[i] !== 32 || le - i !== 9) fail(400, 'Malformed request line')
  // ` HTTP/d.d`
  if (buf[i + 1] !== 72 || buf[i + 2] !== 84 || buf[i + 3] !== 84 || buf[i + 4] !== 80 || buf[i + 5] !== 47 || buf[i + 7] !== 46) fail(400, 'Malformed request line')
  const major = buf[i + 6] - 48
  const minor = buf[i + 8] - 48
  if (major < 0 || major > 9 || minor < 0 || minor > 9) fail(400, 'Malformed request line')
  if (major !== 1 || minor > 1) fail(505, 'HTTP version not supported')
  return {method: buf.toString('latin1', start, ms), target: buf.toString('latin1', ts, i), version: minor === 1 ? 1 : 0}
}

const CONNECTION_OPTIONS = new Set(['close', 'keep-alive', 'upgrade'])

/**
 * The Connection tokens name a field that frames or routes the message. A proxy drops the fields Connection
 * names (RFC 9110 §7.6.1), so `Connection: keep-alive, Content-Length` would have the body framed here and the
 * length stripped on the way to the dyno, which then reads the body as the next request (smuggling). Such a
 * message is rejected, never rewritten. Host counts for requests (the dyno would see none).
 */
export function namesFramingField(connection: string[], request: boolean): boolean {
  for (const t of connection) if (t === 'content-length' || t === 'transfer-encoding' || (request && t === 'host')) return true
  return false
}

/** Parses a request head (`buf[start, end)` ends with CRLFCRLF, as found by findHeadEnd). */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const limit = end - 2
  const le = lineEnd(buf, start, limit, 400)
  const {method, target, version} = requestLine(buf, start, le)
  let headers: Header[] = []
  let ids: F[] = []
  scanFields(buf, le + 2, limit, 400, false, headers, ids)
  const f = framingOf(headers, ids, 400)
  if (f.connection.length > 0 && namesFramingField(f.connection, true)) fail(400, 'Connection must not name Content-Length, Transfer-Encoding or Host')
  // Fields named in Connection are hop-by-hop too (RFC 9110 §7.6.1): collect every field then (rare).
  if (f.connection.some(t => !CONNECTION_OPTIONS.has(t) && !headers.some(h => h.lower === t))) {
    headers = []
    ids = []
    scanFields(buf, le + 2, limit, 400, true, headers, ids)
  }

  let body: BodyKind = 'none'
  if (f.te) {
    // A request with both is the classic smuggling vector: never pick one of the two.
    if (f.length !== -1) fail(400, 'Both Transfer-Encoding and Content-Length')
    if (version === 0) fail(400, 'Transfer-Encoding in an HTTP/1.0 request')
    // Only plain `chunked` is accepted: other codings in a request are rare and only add ambiguity.
    if (!f.chunked || f.teCodings !== 1) fail(501, 'Unsupported transfer coding')
    body = 'chunked'
  } else if (f.length > 0) {
    body = 'length'
  }

  let host: string | undefined
  let requestId = ''
  let upgrade = false
  // eslint-disable-next-line unicorn/no-for-loop
  for (let k = 0; k < headers.length; k++) {
    const header = headers[k]
    switch (ids[k]) {
      case F.Host: {
        if (host !== undefined) fail(400, 'Duplicate Host')
        host = header.value
        break
      }

      case F.Upgrade: {
        upgrade = true
        break
      }

      case F.XRequestId: {
        if (requestId === '' && REQUEST_ID_RE.test(header.value)) requestId = header.value
        break
      }

      default:
    }
  }

  if (host === undefined) {
    if (version === 1) fail(400, 'Missing Host')
    host = ''
  }

  return {body, buf, connection: f.connection, end, headers, host, length: Math.max(0, f.length), method, requestId, start, target, upgrade, version}
}

const KEEP_ALIVE = ['keep-alive']
const CLOSE = ['close']

const KEEP_ALIVE_BYTES = Buffer.from('keep-alive')
const CLOSE_BYTES = Buffer.from('close')

/**
 * Parses a response head (`buf[start, end)` ends with CRLFCRLF). Errors carry status 502. Works on the bytes:
 * the fields a proxy needs (framing, Connection and the hop-by-hop lines) are read without a string per field.
 */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const limit = end - 2
  const le = lineEnd(buf, start, limit, 502)
  // `HTTP/1.d ddd[ reason]`
  const n = le - start
  if (
    n < 12 ||
    buf[start] !== 72 || buf[start + 1] !== 84 || buf[start + 2] !== 84 || buf[start + 3] !== 80 || buf[start + 4] !== 47 ||
    buf[start + 5] !== 49 || buf[start + 6] !== 46 || (buf[start + 7] !== 48 && buf[start + 7] !== 49) || buf[start + 8] !== 32 ||
    (n > 12 && buf[start + 12] !== 32)
  ) {
    fail(502, 'Malformed status line')
  }

  let status = 0
  for (let i = start + 9; i < start + 12; i++) {
    const d = buf[i] - 48
    if (d < 0 || d > 9) fail(502, 'Malformed status line')
    status = (status * 10) + d
  }

  let length = -1
  let connection: string[] = []
  let te: string[] | undefined
  const hop: number[] = []
  let i = le + 2
  while (i < limit) {
    const e = fieldLine(buf, i, limit, 502)
    const id = classify(buf, i, colon)
    if (id !== F.Other) {
      const a = valueStart
      const b = valueEnd
      switch (id) {
        case F.Connection: {
          const t = bytesEqual(buf, a, b, KEEP_ALIVE_BYTES) ? KEEP_ALIVE : bytesEqual(buf, a, b, CLOSE_BYTES) ? CLOSE : tokens(buf.toString('latin1', a, b))
          connection = connection.length === 0 ? t : [...connection, ...t]
          hop.push(i, e + 2)
          break
        }

        case F.ContentLength: {
          if (length !== -1) fail(502, 'Duplicate Content-Length')
          if (b === a || b - a > 15) fail(502, 'Invalid Content-Length')
          length = 0
          for (let k = a; k < b; k++) {
            const d = buf[k] - 48
            if (d < 0 || d > 9) fail(502, 'Invalid Content-Length')
            length = (length * 10) + d
          }

          break
        }

        case F.KeepAlive:
        case F.ProxyConnection: {
          hop.push(i, e + 2)
          break
        }

        case F.TransferEncoding: {
          te = [...(te ?? []), ...buf.toString('latin1', a, b).split(',').map(t => ows(t).toLowerCase())]
          break
        }

        default:
      }
    }

    i = e + 2
  }

  const chunked = te !== undefined && transferChunked(te, 502)
  if (connection.length > 0 && namesFramingField(connection, false)) fail(502, 'Connection names Content-Length or Transfer-Encoding')

  return {
    chunked,
    connection,
    hop,
    // With Transfer-Encoding, Content-Length is ignored (RFC 9112 §6.3); the connection is then not reused.
    length: te === undefined ? length : -1,
    otherEncoding: te !== undefined && !chunked,
    status,
    version: buf[start + 7] === 49 ? 1 : 0,
  }
}

/** Body framing of a response to `method`. */
export function responseBodyKind(method: string, head: ResponseHead): BodyKind {
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) return 'none'
  if (head.chunked) return 'chunked'
  if (head.otherEncoding) return 'close'
  if (head.length >= 0) return head.length === 0 ? 'none' : 'length'
  return 'close'
}

const enum ChunkState {
  Size,
  SizeLf,
  Ext,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

/**
 * Tracks chunked framing over a byte stream without decoding it: `feed` returns how many bytes of
 * `buf[start..]` belong to this message (all of them unless the message ended inside the buffer).
 */
export class ChunkedTracker {
  done = false
  private lineBytes = 0
  private remaining = 0
  private sawDigit = false
  private size = 0
  private state = ChunkState.Size
  private trailerBytes = 0

  constructor(private readonly errorStatus = 400) {}

  feed(buf: Buffer, start = 0, end = buf.length): number {
    let i = start
    while (i < end && this.state !== ChunkState.Done) {
      switch (this.state) {
        case ChunkState.Data: {
          const n = Math.min(this.remaining, end - i)
          i += n
          this.remaining -= n
          if (this.remaining === 0) this.state = ChunkState.DataCr
          continue
        }

        case ChunkState.DataCr: {
          if (buf[i++] !== 13) this.fail('Missing CRLF after chunk data')
          this.state = ChunkState.DataLf
          continue
        }

        case ChunkState.DataLf: {
          if (buf[i++] !== 10) this.fail('Missing CRLF after chunk data')
          this.state = ChunkState.Size
          this.size = 0
          this.sawDigit = false
          this.lineBytes = 0
          continue
        }

        case ChunkState.Ext: {
          const c = buf[i++]
          if (++this.lineBytes > MAX_CHUNK_LINE) this.fail('Chunk extension too long')
          if (c === 13) this.state = ChunkState.SizeLf
          else if (c === 10 || c === 0) this.fail('Bare LF in chunk size line')
          continue
        }

        case ChunkState.FinalLf: {
          if (buf[i++] !== 10) this.fail('Malformed chunked trailer')
          this.state = ChunkState.Done
          this.done = true
          continue
        }

        case ChunkState.Size: {
          const c = buf[i++]
          if (++this.lineBytes > MAX_CHUNK_LINE) this.fail('Chunk size line too long')
          const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
          if (digit >= 0) {
            if (this.size > 0x0F_FF_FF_FF_FF_FF) this.fail('Chunk size too large')
            this.size = (this.size * 16) + digit
            this.sawDigit = true
          } else if (!this.sawDigit) {
            this.fail('Invalid chunk size')
          } else if (c === 13) {
            this.state = ChunkState.SizeLf
          } else if (c === 59) {
            this.state = ChunkState.Ext
          } else {
            // No whitespace, signs or other junk around the size (a classic smuggling variant).
            this.fail('Invalid chunk size')
          }

          continue
        }

        case ChunkState.SizeLf: {
          if (buf[i++] !== 10) this.fail('Bare CR in chunk size line')
          if (this.size === 0) {
            this.state = ChunkState.TrailerLineStart
          } else {
            this.remaining = this.size
            this.state = ChunkState.Data
          }

          continue
        }

        case ChunkState.TrailerLf: {
          if (buf[i++] !== 10) this.fail('Bare CR in trailer')
          this.state = ChunkState.TrailerLineStart
          continue
        }

        case ChunkState.TrailerLine: {
          const c = buf[i++]
          if (++this.trailerBytes > MAX_TRAILER_BYTES) this.fail('Trailer too large')
          if (c === 13) this.state = ChunkState.TrailerLf
          else if (c === 10) this.fail('Bare LF in trailer')
          continue
        }

        case ChunkState.TrailerLineStart: {
          const c = buf[i++]
          if (c === 13) {
            this.state = ChunkState.FinalLf
          } else if (c === 10 || c === 32 || c === 9) {
            this.fail('Malformed trailer')
          } else {
            this.trailerBytes++
            this.state = ChunkState.TrailerLine
          }

          continue
        }

        default:
      }
    }

    return i - start
  }

  private fail(message: string): never {
    throw new HttpParseError(this.errorStatus, message)
  }
}
