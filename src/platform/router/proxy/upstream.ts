// The upstream side of the Node router: one socket to a dyno (Upstream), and the pool of idle keep-alive sockets per
// dyno port that exchanges reuse (UpstreamPool).
import net from 'node:net'

import type {WebTarget} from '../../context.js'
import type {Exchange} from './exchange.js'

import {READ_BUFFER} from './buffers.js'
import {monotonicMs} from '../../time.js'

/** One socket to a dyno: serves one exchange at a time, then goes back to the pool or is closed. */
export class Upstream {
  connectedAt = 0
  exchange: Exchange | undefined
  idle = false
  idleSince = 0
  reused = false
  readonly socket: net.Socket
  /** After a 101: the client socket that everything read from the dyno goes to. */
  tunnelTo: net.Socket | undefined

  constructor(
    readonly pool: UpstreamPool,
    readonly target: WebTarget,
    host: string,
  ) {
    // Reads land in one shared buffer and go straight to the exchange (no Readable push/emit per chunk); the
    // exchange copies what it keeps or writes as a Buffer (see Exchange.onUpstreamData).
    this.socket = net.connect({
      host,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number): boolean => {
          const ex = this.exchange
          if (ex) ex.onUpstreamData(READ_BUFFER.subarray(0, n), true)
          else if (this.tunnelTo) return this.tunnelTo.write(Buffer.from(READ_BUFFER.subarray(0, n)))
          else this.socket.destroy()
          return true
        },
      },
      port: target.port,
    })
    const s = this.socket
    // No socket timeout (Node re-arms it on every read and write): the router's sweep checks activity instead.
    s.on('connect', () => {
      this.connectedAt = monotonicMs()
      this.exchange?.onConnect()
    })
    s.on('end', () => {
      if (this.exchange) this.exchange.onUpstreamEnd()
      else s.destroy()
    })
    s.on('drain', () => this.exchange?.client.socket.resume())
    s.on('error', () => {})
    s.on('close', () => {
      if (this.idle) this.pool.remove(this)
      this.exchange?.onUpstreamClose()
    })
  }
}

/** Idle keep-alive sockets to dynos, by port; closed after idleMs without use. */
export class UpstreamPool {
  private readonly idle = new Map<number, Upstream[]>()

  constructor(
    private readonly host: string,
    readonly idleMs: number,
  ) {}

  /** A pooled idle socket to the target, or a new one (always a new one when `fresh`). */
  acquire(target: WebTarget, fresh: boolean): Upstream {
    if (!fresh) {
      const list = this.idle.get(target.port) ?? []
      const cutoff = monotonicMs() - this.idleMs
      for (let up = list.pop(); up; up = list.pop()) {
        up.idle = false
        // Too old: the dyno may be closing it right now (Node servers drop idle keep-alive sockets after 5 s).
        if (up.socket.destroyed || !up.socket.writable || up.idleSince < cutoff) {
          up.socket.destroy()
          continue
        }

        up.reused = true
        return up
      }
    }

    return new Upstream(this, target, this.host)
  }

  /** Closes every pooled socket. */
  close(): void {
    for (const list of this.idle.values()) for (const up of list) up.socket.destroy()
    this.idle.clear()
  }

  /** Returns a socket to the idle pool of its dyno. */
  release(up: Upstream): void {
    up.idle = true
    up.idleSince = monotonicMs()
    let list = this.idle.get(up.target.port)
    if (!list) {
      list = []
      this.idle.set(up.target.port, list)
    }

    list.push(up)
  }

  /** Takes a socket out of the pool (it closed while idle). */
  remove(up: Upstream): void {
    const list = this.idle.get(up.target.port)
    const i = list ? list.indexOf(up) : -1
    if (i !== -1) list!.splice(i, 1)
    up.idle = false
  }

  /** Closes pooled sockets idle for longer than idleMs (oldest first in each list). */
  sweep(): void {
    const limit = monotonicMs() - this.idleMs
    for (const list of this.idle.values()) {
      while (list.length > 0 && list[0].idleSince < limit) {
        const up = list.shift()!
        up.idle = false
        up.socket.destroy()
      }
    }
  }
}
