// WebSocket and other upgrades: after a dyno's 101 the exchange ends and both sockets are spliced to each other,
// with backpressure both ways, until either side closes.
import type {Exchange} from './exchange.js'

import {EMPTY} from './buffers.js'

/** Turns the exchange's two sockets into a tunnel; `responseBytes` (the 101 and anything after it) go first. */
export function tunnel(ex: Exchange, responseBytes: Buffer): void {
  const up = ex.upstream!
  const {client} = ex
  ex.finished = true
  ex.bytes = responseBytes.length
  ex.router.logInfo(ex)
  up.exchange = undefined
  client.exchange = undefined
  client.closing = true
  client.tunnel = true
  const c = client.socket
  const u = up.socket
  for (const s of [c, u]) {
    s.removeAllListeners('data')
    s.removeAllListeners('end')
    s.removeAllListeners('drain')
    s.removeAllListeners('timeout')
    s.setTimeout(0)
  }

  c.write(responseBytes)
  if (client.buf.length > 0) u.write(client.shared ? Buffer.from(client.buf) : client.buf)
  client.buf = EMPTY
  client.shared = false
  if (client.userBuffer) {
    // The client socket reads through onread too: forward by hand, with backpressure.
    client.tunnelTo = u
    u.on('drain', () => c.resume())
    c.on('end', () => u.end())
  } else {
    c.pipe(u)
  }

  // The dyno socket reads through onread (no 'data' events): forward by hand, with backpressure.
  up.tunnelTo = c
  c.on('drain', () => u.resume())
  u.on('end', () => c.end())
  c.on('close', () => u.destroy())
  u.on('close', () => c.destroy())
  c.resume()
}
