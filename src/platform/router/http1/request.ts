// The request head parser: the request line, framing (Content-Length or chunked, never both, nothing ambiguous),
// Host, the request id, and the Connection rules (RFC 9112 §3, §6; RFC 9110 §7.6.1).
import type {BodyKind, Header, RequestHead} from '../http1.js'

import {FRAMING_FIELDS, REQUEST_ID_CHARS, REQUEST_ID_MAX, REQUEST_ID_MIN} from '../rules.js'
import {F, fail, lineEnd, ows, scanFields, tokens, TOKEN_CHARS, transferChunked} from './syntax.js'

/** A valid incoming X-Request-Id (rules.ts: REQUEST_ID_CHARS, REQUEST_ID_MIN to REQUEST_ID_MAX of them). */
const REQUEST_ID_RE = new RegExp(`^[${REQUEST_ID_CHARS.replaceAll(/[\\\]^-]/g, '\\$&')}]{${REQUEST_ID_MIN},${REQUEST_ID_MAX}}$`)

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

function framingOf(headers: Header[], ids: number[], status: number): Framing {
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

const FRAMING_REQUEST: ReadonlySet<string> = new Set(FRAMING_FIELDS.request)
const FRAMING_RESPONSE: ReadonlySet<string> = new Set(FRAMING_FIELDS.response)

/**
 * The Connection tokens name a field that frames or routes the message (FRAMING_FIELDS in rules.ts: a proxy drops the
 * fields Connection names, so the dyno or the client would read the body differently). Such a message is rejected,
 * never rewritten.
 */
export function namesFramingField(connection: string[], request: boolean): boolean {
  const framing = request ? FRAMING_REQUEST : FRAMING_RESPONSE
  for (const t of connection) if (framing.has(t)) return true
  return false
}

/** Parses a request head (`buf[start, end)` ends with CRLFCRLF, as found by findHeadEnd). */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead {
  const limit = end - 2
  const le = lineEnd(buf, start, limit, 400)
  const {method, target, version} = requestLine(buf, start, le)
  let headers: Header[] = []
  let ids: number[] = []
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
