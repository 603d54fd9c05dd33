// One client connection of the Node router: reads heads (pipelined requests one by one, the head deadline against
// slowloris, a bound on what is buffered behind an exchange), hands each parsed request to the router, and writes the
// router's own answers. acceptClient() moves an accepted socket onto the shared read buffer.
import net from 'node:net'

import type {HttpRouter} from '../proxy.js'
import type {Exchange} from './exchange.js'

import {findHeadEnd, type HttpParseError, parseRequestHead, type RequestHead} from '../http1.js'
import {MAX_BUFFERED_BYTES} from '../rules.js'
import {CLIENT_READ_BUFFER, EMPTY, ownBytes} from './buffers.js'
import {rejectPage, routerResponse} from './error-pages.js'
import {forwardedPrefix} from './head-rewrite.js'

export class ClientConn {
  buf: Buffer = EMPTY
  /** buf is a view of CLIENT_READ_BUFFER: valid only until the read callback returns (see own()). */
  shared = false
  /** After a 101: the dyno socket that everything read from the client goes to (sockets reading through onread). */
  tunnelTo: net.Socket | undefined
  /** We answer the current request, then close. */
  closing = false
  /** The client half-closed its side (FIN): finish buffered requests, then end. */
  ended = false
  exchange: Exchange | undefined
  /** FORWARDED_FIELDS up to the request id for this client, as bytes (forwardedPrefix(): made once per connection). */
  readonly forwardedBytes: Buffer
  /** X-Forwarded-Port for this connection's requests (the router's public port when it was accepted). */
  readonly forwardedPort: number
  readonly fwd: string
  /** The router's coarse clock at the last activity (see HttpRouter.sweep). */
  last: number
  /** The clock when the first byte of the head being read arrived (0: no partial head buffered). */
  headSince = 0
  /** The last Host value seen on this connection, and what handle() derived from it. */
  appName = ''
  host: string | undefined
  hostname = ''
  /** Upgraded to a tunnel: no idle limit. */
  tunnel = false

  constructor(
    readonly router: HttpRouter,
    readonly socket: net.Socket,
    /** The socket reads through onread into CLIENT_READ_BUFFER (no 'data' events). */
    readonly userBuffer: boolean,
  ) {
    this.fwd = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1'
    this.forwardedPort = router.publicPort
    this.forwardedBytes = forwardedPrefix(this.fwd, this.forwardedPort)
    socket.setNoDelay(true)
    this.last = router.clock
    if (!userBuffer) socket.on('data', chunk => this.onData(chunk, false))
    socket.on('end', () => {
      this.ended = true
      if (!this.exchange) this.next()
    })
    socket.on('drain', () => this.exchange?.upstream?.socket.resume())
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closing = true
      this.exchange?.onClientClose()
    })
  }

  /** The next buffered request, if complete; ends the connection when the client is done. */
  next(): void {
    while (!this.exchange && !this.closing && this.socket.writable) {
      // Tolerate empty lines between pipelined requests (RFC 9112 §2.2).
      let start = 0
      while (start + 1 < this.buf.length && this.buf[start] === 13 && this.buf[start + 1] === 10) start += 2
      let end: number
      let head: RequestHead
      try {
        end = findHeadEnd(this.buf, start)
        if (end === -1) break
        head = parseRequestHead(this.buf, start, end)
      } catch (error) {
        const e = error as HttpParseError
        this.reject(e.status ?? 400, e.message)
        return
      }

      this.buf = end === this.buf.length ? EMPTY : this.buf.subarray(end)
      this.headSince = 0
      this.router.handle(this, head)
    }

    if (this.exchange) return
    // The next head's deadline runs from its first byte (or from now, for bytes that waited behind an exchange).
    if (this.buf.length > 0 && this.headSince === 0) this.headSince = this.router.clock
    if (this.closing || (this.ended && this.buf.length === 0)) {
      this.socket.end()
      return
    }

    if (this.ended) {
      // An incomplete request followed by FIN.
      this.socket.end()
      return
    }

    // Only after backpressure paused it (resume() on a flowing socket still costs a state check and a tick).
    if (this.socket.isPaused()) this.socket.resume()
  }

  /** Answers from the router itself (errors, 404). */
  respond(status: number, body: string, close: boolean): number {
    const text = routerResponse(status, body, close)
    if (close) {
      this.closing = true
      this.socket.end(text)
      // Whatever the client still sends (the rest of a body) is read and dropped, so it is not stuck writing
      // into a connection nobody reads (it would never see the answer).
      if (this.socket.isPaused()) this.socket.resume()
    } else {
      this.socket.write(text)
    }

    return Buffer.byteLength(text)
  }

  /** The onread callback: `n` bytes are in CLIENT_READ_BUFFER. false pauses the socket. */
  onRead(n: number): boolean {
    if (this.tunnelTo) return this.tunnelTo.write(Buffer.from(CLIENT_READ_BUFFER.subarray(0, n)))
    this.onData(CLIENT_READ_BUFFER.subarray(0, n), true)
    return true
  }

  /** Copies buf out of the shared read buffer (it is kept past the read callback). */
  own(): void {
    if (!this.shared) return
    this.buf = ownBytes(this.buf)
    this.shared = false
  }

  private onData(chunk: Buffer, shared: boolean): void {
    if (this.closing && !this.exchange) {
      // Answered and ending: the rest is dropped (see respond()), and does not count as activity: a client that
      // keeps trickling bytes into a closing connection is cut off at the idle limit.
      this.buf = EMPTY
      this.shared = false
      return
    }

    this.last = this.router.clock

    // Still a view of the read buffer only when nothing was held before it.
    this.shared = shared && this.buf.length === 0
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])

    const ex = this.exchange
    if (ex) {
      if (!ex.requestDone) ex.pumpBody()
      if (this.buf.length > MAX_BUFFERED_BYTES) this.socket.pause()
    } else {
      this.next()
    }

    this.own()
  }

  reject(status: number, message: string): void {
    this.respond(status, rejectPage(status, message), true)
  }
}

/**
 * The connection of a newly accepted socket. Its handle moves to a socket that reads into one shared buffer through
 * `onread` (net.Server has no onread option): no Buffer allocation and no stream 'data' event per read, which is a
 * good part of a per-request proxy's cost. The accepted socket, now without a handle, is destroyed at once (that also
 * keeps the server's connection count right). If Node's internals differ, the accepted socket is used as it is.
 */
export function acceptClient(router: HttpRouter, accepted: net.Socket): ClientConn {
  const husk = accepted as unknown as {_handle?: null | object}
  const handle = husk._handle
  if (!handle || typeof (handle as {useUserBuffer?: unknown}).useUserBuffer !== 'function') {
    accepted.resume()
    return new ClientConn(router, accepted, false)
  }

  husk._handle = null
  accepted.destroy()
  const reader = {client: undefined as ClientConn | undefined}
  const socket = new net.Socket({
    allowHalfOpen: true,
    handle,
    onread: {buffer: CLIENT_READ_BUFFER, callback: (n: number) => reader.client?.onRead(n) ?? true},
  } as net.SocketConstructorOpts)
  reader.client = new ClientConn(router, socket, true)
  return reader.client
}
