// A strict HTTP/1.x head parser and body framing tracker for the router (RFC 9110/9112).
// It parses only heads; bodies are spliced through, and the framing is tracked byte-exactly so the
// router knows where each message ends (pipelining, per-request routing and logging). Anything
// ambiguous is rejected instead of guessed: that is what prevents request smuggling.

/** Largest request or response head accepted (request line/status line + headers). */
export const MAX_HEAD_BYTES = 64 * 1024
const MAX_CHUNK_LINE = 4096
const MAX_TRAILER_BYTES = 64 * 1024

export class HttpParseError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface Header {
  /** Offset of the field line in the head (`raw`). */
  at: number
  lower: string
  name: string
  /** Offset just after the field line's CRLF (the head's length + 2 for the last line). */
  next: number
  value: string
}

export type BodyKind = 'chunked' | 'close' | 'length' | 'none'

export interface RequestHead {
  body: BodyKind
  /** `Connection` tokens (lower case). */
  connection: string[]
  headers: Header[]
  host: string
  /** The head as latin1 text, without its final CRLFCRLF (Header offsets point into it). */
  raw: string
  length: number
  method: string
  target: string
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  version: 0 | 1
}

export interface ResponseHead {
  connection: string[]
  headers: Header[]
  /** The head as latin1 text, without its final CRLFCRLF (Header offsets point into it). */
  raw: string
  /** The raw status line without CRLF (`HTTP/1.1 200 OK`). */
  statusLine: string
  status: number
  version: 0 | 1
  /** Content-Length when present (responses: -1 when absent). */
  length: number
  /** Transfer-Encoding says chunked (last coding). */
  chunked: boolean
  /** Transfer-Encoding present but not chunked: body runs until close. */
  otherEncoding: boolean
}

const REQUEST_LINE_RE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\s\u0000-\u001F\u007F]+) HTTP\/(\d)\.(\d)$/
const STATUS_LINE_RE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/
const CRLFCRLF = Buffer.from('\r\n\r\n')

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

// Token characters (RFC 9110 §5.6.2) for header names.
const TOKEN_CHARS = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1

interface Lines {
  first: string
  headers: Header[]
}

/**
 * One pass over the head (without its final CRLFCRLF): the first line and the header fields. Rejects bare CR
 * or LF (ambiguous line ends between implementations), control characters other than HT, obsolete line
 * folding, and header names that are not tokens.
 */
function splitHead(head: string, status: number): Lines {
  const n = head.length
  const headers: Header[] = []
  let first = ''
  let ls = 0
  let lineNo = 0
  while (ls <= n) {
    // Find the end of this line, validating every character on the way.
    let colon = -1
    let le = ls
    for (; le < n; le++) {
      const c = head.charCodeAt(le)
      if (c < 32) {
        if (c === 13) {
          if (le + 1 >= n || head.charCodeAt(le + 1) !== 10) throw new HttpParseError(status, 'Bare CR or LF, or a control character, in head')
          break
        }

        if (c !== 9) throw new HttpParseError(status, 'Bare CR or LF, or a control character, in head')
      } else if (c === 127) {
        throw new HttpParseError(status, 'Bare CR or LF, or a control character, in head')
      } else if (c === 58 && colon === -1) {
        colon = le
      }
    }

    if (lineNo === 0) {
      first = head.slice(ls, le)
    } else if (le > ls) {
      const c0 = head.charCodeAt(ls)
      if (c0 === 32 || c0 === 9) throw new HttpParseError(400, 'Obsolete line folding')
      if (colon <= ls) throw new HttpParseError(400, 'Malformed header line')
      for (let i = ls; i < colon; i++) {
        const c = head.charCodeAt(i)
        if (c >= 128 || TOKEN_CHARS[c] === 0) throw new HttpParseError(400, 'Invalid header name')
      }

      let a = colon + 1
      let b = le
      while (a < b && (head.charCodeAt(a) === 32 || head.charCodeAt(a) === 9)) a++
      while (b > a && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9)) b--
      const name = head.slice(ls, colon)
      headers.push({at: ls, lower: name.toLowerCase(), name, next: le + 2, value: head.slice(a, b)})
    }

    lineNo++
    ls = le + 2
  }

  return {first, headers}
}

function tokens(value: string): string[] {
  if (value === 'keep-alive' || value === 'close') return [value]
  return value
    .split(',')
    .map(t => t.trim().toLowerCase())
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

function framingOf(headers: Header[], status: number): Framing {
  let length = -1
  let te: string[] | undefined
  const connection: string[] = []
  for (const h of headers) {
    switch (h.lower) {
      case 'connection': {
        for (const t of tokens(h.value)) connection.push(t)
        break
      }

      case 'content-length': {
        if (length !== -1) throw new HttpParseError(status, 'Duplicate Content-Length')
        if (!/^\d{1,15}$/.test(h.value)) throw new HttpParseError(status, 'Invalid Content-Length')
        length = Number(h.value)
        break
      }

      case 'transfer-encoding': {
        te = [...(te ?? []), ...h.value.split(',').map(t => t.trim().toLowerCase())]
        break
      }

      default:
    }
  }

  if (te === undefined) return {chunked: false, connection, length, otherEncoding: false, te: false, teCodings: 0}
  if (te.includes('')) throw new HttpParseError(status, 'Invalid Transfer-Encoding')
  const chunked = te.at(-1) === 'chunked'
  if (te.indexOf('chunked') !== te.length - 1 && te.includes('chunked')) throw new HttpParseError(status, 'chunked must be the last transfer coding, once')
  return {chunked, connection, length, otherEncoding: !chunked, te: true, teCodings: te.length}
}

/** Parses a request head (`buf[start, end)` ends with CRLFCRLF, as found by findHeadEnd). */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const raw = buf.toString('latin1', start, end - 4)
  const {first, headers} = splitHead(raw, 400)
  const m = REQUEST_LINE_RE.exec(first)
  if (!m) throw new HttpParseError(400, 'Malformed request line')
  if (m[3] !== '1') throw new HttpParseError(505, 'HTTP version not supported')
  if (m[4] !== '0' && m[4] !== '1') throw new HttpParseError(505, 'HTTP version not supported')
  const version = m[4] === '1' ? 1 : 0
  const f = framingOf(headers, 400)
  let body: BodyKind = 'none'
  if (f.te) {
    // A request with both is the classic smuggling vector: never pick one of the two.
    if (f.length !== -1) throw new HttpParseError(400, 'Both Transfer-Encoding and Content-Length')
    if (version === 0) throw new HttpParseError(400, 'Transfer-Encoding in an HTTP/1.0 request')
    // Only plain `chunked` is accepted: other codings in a request are rare and only add ambiguity.
    if (!f.chunked || f.teCodings !== 1) throw new HttpParseError(501, 'Unsupported transfer coding')
    body = 'chunked'
  } else if (f.length > 0) {
    body = 'length'
  }

  let host: string | undefined
  for (const h of headers) {
    if (h.lower !== 'host') continue
    if (host !== undefined) throw new HttpParseError(400, 'Duplicate Host')
    host = h.value
  }

  if (host === undefined) {
    if (version === 1) throw new HttpParseError(400, 'Missing Host')
    host = ''
  }

  return {body, connection: f.connection, headers, host, length: Math.max(0, f.length), method: m[1], raw, target: m[2], version}
}

/** Parses a response head (`buf[start, end)` ends with CRLFCRLF). Errors carry status 502. */
export function parseResponseHead(buf: Buffer, start: number, end: number): ResponseHead {
  const raw = buf.toString('latin1', start, end - 4)
  const {first, headers} = splitHead(raw, 502)
  const m = STATUS_LINE_RE.exec(first)
  if (!m) throw new HttpParseError(502, 'Malformed status line')
  const f = framingOf(headers, 502)
  return {
    chunked: f.chunked,
    connection: f.connection,
    headers,
    // With Transfer-Encoding, Content-Length is ignored (RFC 9112 §6.3); the connection is then not reused.
    length: f.te ? -1 : f.length,
    otherEncoding: f.otherEncoding,
    raw,
    status: Number(m[2]),
    statusLine: first,
    version: m[1] === '1' ? 1 : 0,
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
