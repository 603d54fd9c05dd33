// The response head parser: works on the bytes, reading only what a proxy needs (status, framing, Connection and
// the hop-by-hop lines it drops) without a string per field. Errors carry status 502.
import type {ResponseHead} from '../http1.js'

import {bytesEqual, classify, F, fail, fieldLine, line, lineEnd, ows, RESPONSE_HOP, tokens, transferChunked} from './syntax.js'
import {namesFramingField} from './request.js'

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
    const id = classify(buf, i, line.colon)
    if (id !== F.Other) {
      // The fields a proxy drops (RESPONSE_HOP_BY_HOP): their lines are left out of the client's head.
      if (RESPONSE_HOP[id] === 1) hop.push(i, e + 2)
      const a = line.valueStart
      const b = line.valueEnd
      switch (id) {
        case F.Connection: {
          const t = bytesEqual(buf, a, b, KEEP_ALIVE_BYTES) ? KEEP_ALIVE : bytesEqual(buf, a, b, CLOSE_BYTES) ? CLOSE : tokens(buf.toString('latin1', a, b))
          connection = connection.length === 0 ? t : [...connection, ...t]
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
