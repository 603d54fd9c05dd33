// Head rewriting, both ways, as byte copies (no re-serialisation, no string flattening): the request head a dyno gets
// (the client's head minus hop-by-hop and replaced field lines, then X-Forwarded-*, X-Request-Id, Via, Connection),
// and the response head the client gets (the dyno's head minus its hop-by-hop lines, plus our Connection decision).
import type {Header, ResponseHead} from '../http1.js'
import type {Exchange} from './exchange.js'

import {fillTemplate, FORWARDED_FIELDS, REQUEST_HOP_BY_HOP} from '../rules.js'
import {EMPTY} from './buffers.js'

/** The request fields a dyno never gets as sent (rules.ts), and any field Connection names. */
const HOP_BY_HOP: ReadonlySet<string> = new Set(REQUEST_HOP_BY_HOP)
const AT_ID = FORWARDED_FIELDS.indexOf('{request_id}')
/** FORWARDED_FIELDS up to the request id (filled in once per connection: forwardedPrefix()). */
const BEFORE_ID = FORWARDED_FIELDS.slice(0, AT_ID)
/** FORWARDED_FIELDS after the request id, for the usual request (HTTP/1.1, no Via from the client, no upgrade). */
const VIA_KEEP_ALIVE = Buffer.from(fillTemplate(FORWARDED_FIELDS.slice(AT_ID + '{request_id}'.length), {connection: 'keep-alive', via: ''}), 'latin1')
const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n', 'latin1')
const CONNECTION_KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n', 'latin1')

/** A client connection's FORWARDED_FIELDS up to the request id, as bytes (the usual upstream head tail before it). */
export function forwardedPrefix(fwd: string, port: number): Buffer {
  return Buffer.from(fillTemplate(BEFORE_ID, {fwd, port}), 'latin1')
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
  // The usual case: prebuilt per-connection bytes around the request id. Otherwise the whole template, filled in.
  const tail = common
    ? undefined
    : Buffer.from(
        fillTemplate(FORWARDED_FIELDS, {
          connection: ex.upgrade ? `Upgrade\r\nUpgrade: ${upgrade}` : req.version === 1 ? 'keep-alive' : 'close',
          fwd: xff ? `${xff}, ${client.fwd}` : client.fwd,
          port: client.forwardedPort,
          request_id: ex.requestId,
          via: via ? `${via}, ` : '',
        }),
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
