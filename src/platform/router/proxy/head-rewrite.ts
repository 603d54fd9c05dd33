// Head rewriting, both ways, as byte copies (no re-serialisation, no string flattening): the request head a dyno gets
// (the client's head minus hop-by-hop and replaced field lines, then X-Forwarded-*, X-Request-Id, Via, Connection),
// and the response head the client gets (the dyno's head minus its hop-by-hop lines, plus our Connection decision).
import type {Header, ResponseHead} from '../http1.js'
import type {Exchange} from './exchange.js'

import {REQUEST_HOP_BY_HOP} from '../rules.js'
import {EMPTY} from './buffers.js'

/** The request fields a dyno never gets as sent (rules.ts), and any field Connection names. */
const HOP_BY_HOP: ReadonlySet<string> = new Set(REQUEST_HOP_BY_HOP)
const VIA_KEEP_ALIVE = Buffer.from('\r\nVia: 1.1 ferry\r\nConnection: keep-alive\r\n\r\n', 'latin1')
const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n', 'latin1')
const CONNECTION_KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n', 'latin1')

/** `\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: PORT`: the X-Forwarded-* lines after X-Forwarded-For. */
export function forwardedRest(port: number): string {
  return `\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ${port}`
}

/**
 * A client connection's X-Forwarded-* lines for a request without X-Forwarded-For (`lines`), and the same followed by
 * `\r\nX-Request-Id: ` as bytes (`bytes`: the usual upstream head tail up to the request id). Made once per connection.
 */
export function forwardedFields(fwd: string, rest: string): {bytes: Buffer; lines: string} {
  const lines = `\r\nX-Forwarded-For: ${fwd}${rest}`
  return {bytes: Buffer.from(`${lines}\r\nX-Request-Id: `, 'latin1'), lines}
}

/**
 * The request head sent to the dyno, as one Buffer: the client's own head bytes minus the hop-by-hop and
 * replaced field lines (byte copies, not a re-serialisation), then X-Forwarded-*, X-Request-Id, Via and
 * Connection.
 */
export function upstreamHead(ex: Exchange): Buffer {
  const {req} = ex
  const {buf} = req
  const headEnd = req.end - 4
  let xff = ''
  let via = ''
  let upgrade = ''
  const drop = req.connection.length > 0 ? req.connection : undefined
  let dropped: Header[] | undefined
  for (const h of req.headers as Header[]) {
    if (!HOP_BY_HOP.has(h.lower) && !drop?.includes(h.lower)) continue
    switch (h.lower) {
      case 'upgrade': {
        upgrade = h.value
        break
      }

      case 'via': {
        via = via ? `${via}, ${h.value}` : h.value
        break
      }

      case 'x-forwarded-for': {
        xff = xff ? `${xff}, ${h.value}` : h.value
        break
      }

      default:
    }

    (dropped ??= []).push(h)
  }

  const {client} = ex
  const common = xff === '' && via === '' && !ex.upgrade && req.version === 1
  // The usual case: prebuilt per-connection bytes around the request id. Otherwise a string tail.
  const tail = common
    ? undefined
    : Buffer.from(
        (xff ? `\r\nX-Forwarded-For: ${xff}, ${client.fwd}${ex.router.forwardedRest}` : client.forwarded) +
          `\r\nX-Request-Id: ${ex.requestId}\r\nVia: ${via ? `${via}, ` : ''}1.1 ferry\r\n` +
          (ex.upgrade ? `Connection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n` : req.version === 1 ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n'),
        'latin1',
      )
  const tailLength = tail ? tail.length : client.forwardedBytes.length + Buffer.byteLength(ex.requestId, 'latin1') + VIA_KEEP_ALIVE.length
  const out = Buffer.allocUnsafe(headEnd - req.start + tailLength)
  let pos = 0
  let from = req.start
  if (dropped) {
    for (const h of dropped) {
      pos += buf.copy(out, pos, from, h.at)
      from = h.next
    }

    // The last field line went: drop the CRLF before it too (the tail starts with its own).
    if (from > headEnd) pos -= 2
  }

  if (from < headEnd) pos += buf.copy(out, pos, from, headEnd)
  if (tail) {
    pos += tail.copy(out, pos)
  } else {
    pos += client.forwardedBytes.copy(out, pos)
    pos += out.write(ex.requestId, pos, 'latin1')
    pos += VIA_KEEP_ALIVE.copy(out, pos)
  }

  return pos === out.length ? out : out.subarray(0, pos)
}

/**
 * The response head sent to the client — the dyno's own head bytes (`src[0, end)`) minus the hop-by-hop field
 * lines, plus our Connection decision — followed by `bodyLength` body bytes from `src[end..]`, in one Buffer
 * (byte copies: no re-serialisation, no string flattening).
 */
export function clientHead(ex: Exchange, head: ResponseHead, src: Buffer, end: number, bodyLength: number): Buffer {
  const extra = !ex.keepAlive || ex.client.closing ? CONNECTION_CLOSE : ex.req.version === 0 ? CONNECTION_KEEP_ALIVE : EMPTY
  const {hop} = head
  let size = end + extra.length + bodyLength
  for (let k = 0; k < hop.length; k += 2) size -= hop[k + 1] - hop[k]
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  let from = 0
  for (let k = 0; k < hop.length; k += 2) {
    pos += src.copy(out, pos, from, hop[k])
    from = hop[k + 1]
  }

  // The head up to its last field line's CRLF, our line, the final CRLF, then the body bytes.
  if (from < end - 2) pos += src.copy(out, pos, from, end - 2)
  pos += extra.copy(out, pos)
  out[pos++] = 13
  out[pos++] = 10
  if (bodyLength > 0) src.copy(out, pos, end, end + bodyLength)
  return out
}
