// A strict HTTP/1.x head parser and body framing tracker for the router (RFC 9110/9112).
// It parses only heads; bodies are spliced through, and the framing is tracked byte-exactly so the
// router knows where each message ends (pipelining, per-request routing and logging). Anything
// ambiguous is rejected instead of guessed: that is what prevents request smuggling.
// This module holds the head types and where a head ends; the parts live under http1/: syntax.ts (lines, field
// lines, lists), request.ts (parseRequestHead), response.ts (parseResponseHead), chunked.ts (ChunkedTracker).
import {MAX_HEAD_BYTES} from './rules.js'
import {HttpParseError} from './http1/syntax.js'

export {ChunkedTracker} from './http1/chunked.js'
export {namesFramingField, parseRequestHead} from './http1/request.js'
export {parseResponseHead} from './http1/response.js'
export {HttpParseError} from './http1/syntax.js'
// The limits live in rules.ts (shared with native/ through a generated header).
export {MAX_HEAD_BYTES} from './rules.js'

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

/** Body framing of a response to `method`. */
export function responseBodyKind(method: string, head: ResponseHead): BodyKind {
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) return 'none'
  if (head.chunked) return 'chunked'
  if (head.otherEncoding) return 'close'
  if (head.length >= 0) return head.length === 0 ? 'none' : 'length'
  return 'close'
}
