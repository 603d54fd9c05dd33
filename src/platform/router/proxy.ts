// The HTTP router: one raw-socket listener for every app (`APP.localhost[:port]`), per-request routing
// to the app's `up` web dynos (round-robin), pooled keep-alive upstream sockets, one `heroku[router]`
// log line per request. Only heads are parsed (strictly, see http1.ts); bodies are spliced through while
// their framing is tracked, so pipelined requests are routed and logged one by one and never buffered.
import {randomUUID} from 'node:crypto'
import net from 'node:net'
import {performance} from 'node:perf_hooks'

import type {WebTarget} from '../context.js'
import {HEAD_TIMEOUT_MS} from '../context.js'

import {
  ChunkedTracker,
  findHeadEnd,
  type Header,
  HttpParseError,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
  responseBodyKind,
  type BodyKind,
} from './http1.js'
import {IDEMPOTENT_METHODS, page, REASONS} from './rules.js'

export interface RouterOptions {
  /** X-Forwarded-Port sent to dynos (default: the bound port; the native router's fallback sets the public port). */
  forwardedPort?: number
  /**
   * A request head must be complete within this time of its first byte (default 15 s), however slowly its bytes
   * keep coming (slowloris): else 408 and the connection closes.
   */
  headTimeoutMs?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Keep-alive sockets to dynos are closed after this idle time (default 4 s, below Node's 5 s server default). */
  idleUpstreamMs?: number
  /** Idle client keep-alive connections are closed after this time (default 60 s). */
  idleClientMs?: number
  /** Writes one `heroku[router]` line to an app's log. */
  log: (appId: string, message: string) => void
  /**
   * Client connections held at once (default 1024): past it new ones are closed at once, so clients can never take
   * all of the process's file descriptors (each connection costs one, plus one to a dyno).
   */
  maxConnections?: number
  /**
   * true when the app's web dynos have crashed (the formation wants some, none is up or starting): requests get
   * 503 H10 "App crashed" instead of H14 (which stays for a formation with web=0).
   */
  crashed?: (appId: string) => boolean
  /** true while the app has web dynos starting: requests wait for them (up to timeoutMs) instead of H14. */
  pending?: (appId: string) => boolean
  /** 0 = any free port. */
  port: number
  /**
   * Route key (routeKey(): the app name of `NAME.localhost`, or a custom domain's whole host name) → app; undefined
   * when there is no such app. An app in maintenance mode gets every request answered with 503 H80.
   */
  resolveApp: (key: string) => undefined | {id: string; maintenance?: boolean; name: string}
  /** The app's `up` web dynos. When some carry a release version, only those of the newest are used (preboot). */
  targets: (appId: string) => Array<WebTarget & {release?: number}>
  /** No response head within this time → 503 H12 (default 30 s; also the inactivity limit on a response). */
  timeoutMs?: number
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'via', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-request-id'])
const IDEMPOTENT = new Set<string>(IDEMPOTENT_METHODS)
const MAX_PIPELINE_BUFFER = 1024 * 1024
const EMPTY = Buffer.alloc(0)
const VIA_KEEP_ALIVE = Buffer.from('\r\nVia: 1.1 ferry\r\nConnection: keep-alive\r\n\r\n', 'latin1')
const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n', 'latin1')
const CONNECTION_KEEP_ALIVE = Buffer.from('Connection: keep-alive\r\n', 'latin1')
/** Where every dyno socket reads into (one at a time: the callback runs synchronously after each read). */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)
/** Where every client socket reads into (see HttpRouter.accept). */
const CLIENT_READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** An app name as a Host's `NAME.localhost` carries it (the native router checks the same shape). */
const APP_NAME = /^[a-z][\da-z-]{1,28}[\da-z]$/
/** A custom domain's host name: letters, digits, dots and dashes, with at least one dot (see routeKey()). */
const DOMAIN_HOST = /^[\da-z-]+(\.[\da-z-]+)+$/

/**
 * What a request's host name (lower case, no port) routes by: the app name of `NAME.localhost`, else the host name
 * itself when it may be a custom domain (`ferry domains:add`), else '' (no app). native/router.c derives the same.
 */
export function routeKey(hostname: string): string {
  if (hostname.endsWith('.localhost')) {
    const name = hostname.slice(0, -'.localhost'.length)
    if (APP_NAME.test(name)) return name
  }

  return hostname.length < 256 && DOMAIN_HOST.test(hostname) ? hostname : ''
}

const MAINTENANCE_PAGE =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Offline for Maintenance</title></head>\n' +
  '<body style="font-family:sans-serif;margin:4em auto;max-width:40em">\n<h1>Offline for Maintenance</h1>\n' +
  '<p>This app is in maintenance mode. Please check back soon.</p>\n</body></html>\n'

/** A copy of bytes that are a view of a shared read buffer (they must outlive the read callback). */
function ownBytes(buf: Buffer): Buffer {
  return buf.length === 0 ? EMPTY : Buffer.from(buf)
}

function quote(s: string): string {
  return s.includes('"') ? s.replaceAll('"', '%22') : s
}

class Upstream {
  connectedAt = 0
  exchange: Exchange | undefined
  idle = false
  idleSince = 0
  reused = false
  readonly socket: net.Socket
  /** After a 101: the client socket that everything read from the dyno goes to. */
  tunnelTo: net.Socket | undefined

  constructor(
    readonly router: HttpRouter,
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
      this.connectedAt = performance.now()
      this.exchange?.onConnect()
    })
    s.on('end', () => {
      if (this.exchange) this.exchange.onUpstreamEnd()
      else s.destroy()
    })
    s.on('drain', () => this.exchange?.client.socket.resume())
    s.on('error', () => {})
    s.on('close', () => {
      if (this.idle) this.router.removeIdle(this)
      this.exchange?.onUpstreamClose()
    })
  }
}

class ClientConn {
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
  /** The X-Forwarded-* lines for a request without X-Forwarded-For (made once per connection). */
  readonly forwarded: string
  /** `forwarded` then `\r\nX-Request-Id: `, as bytes (the usual upstream head tail up to the request id). */
  readonly forwardedBytes: Buffer
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
    this.forwarded = `\r\nX-Forwarded-For: ${this.fwd}${router.forwardedRest}`
    this.forwardedBytes = Buffer.from(`${this.forwarded}\r\nX-Request-Id: `, 'latin1')
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
    const text =
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-cache, no-store\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`
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

    if (this.buf.length === 0) {
      this.buf = chunk
      this.shared = shared
    } else {
      this.buf = Buffer.concat([this.buf, chunk])
      this.shared = false
    }

    const ex = this.exchange
    if (ex) {
      if (!ex.requestDone) ex.pumpBody()
      if (this.buf.length > MAX_PIPELINE_BUFFER) this.socket.pause()
    } else {
      this.next()
    }

    this.own()
  }

  reject(status: number, message: string): void {
    this.respond(status, page(`${status} ${REASONS[status] ?? 'Error'}`, message), true)
  }
}

interface App {
  id: string
  name: string
}

class Exchange {
  attempt = 0
  bytes = 0
  connectMs = 0
  finished = false
  keepAlive: boolean
  /** The router's coarse clock at the last activity of the dyno (or the request body). */
  last = 0
  requestDone: boolean
  resBuf: Buffer = EMPTY
  resHead: ResponseHead | undefined
  /** resBuf is a view of the shared read buffer. */
  resShared = false
  resKind: BodyKind = 'none'
  resRemaining = 0
  resTracker: ChunkedTracker | undefined
  started = performance.now()
  status = 0
  upgrade: boolean
  upstream: undefined | Upstream
  /** Ports that refused this request (made on the first refusal: most requests never need it). */
  private failedPortsSet: Set<number> | undefined
  private gotResponseBytes = false
  private lastFailClear = 0
  private reqRemaining: number
  private reqTracker: ChunkedTracker | undefined
  private upstreamHead: Buffer | undefined

  constructor(
    readonly router: HttpRouter,
    readonly client: ClientConn,
    readonly req: RequestHead,
    readonly app: App,
    readonly hostname: string,
    readonly requestId: string,
    public target: WebTarget,
  ) {
    this.requestDone = req.body === 'none'
    this.reqRemaining = req.body === 'length' ? req.length : 0
    if (req.body === 'chunked') this.reqTracker = new ChunkedTracker(400)
    this.upgrade = req.version === 1 && req.upgrade && req.connection.includes('upgrade')
    this.keepAlive = req.version === 1 ? !req.connection.includes('close') : req.connection.includes('keep-alive')
  }

  /** Sends the request head (and whatever body is buffered) to the chosen dyno. */
  begin(): void {
    this.prepare()
    this.connect()
  }

  /** Builds the upstream head now, while the request's bytes are at hand (they may be a view of a read buffer). */
  prepare(): void {
    this.upstreamHead ??= this.router.upstreamHead(this)
  }

  onClientClose(): void {
    if (this.finished) return
    this.finished = true
    this.upstream?.socket.destroy()
  }

  onConnect(): void {
    this.connectMs = performance.now() - this.started
  }

  onTimeout(): void {
    if (this.finished) return
    if (this.status === 0) {
      this.fail(503, 'H12', 'Request timeout', 'The app did not answer within 30 seconds.')
    } else {
      this.finished = true
      this.upstream?.socket.destroy()
      this.client.socket.destroy()
    }
  }

  onUpstreamClose(): void {
    if (this.finished) return
    if (!this.gotResponseBytes) {
      const neverConnected = this.upstream!.connectedAt === 0
      this.upstream!.exchange = undefined
      this.upstream = undefined
      if (neverConnected && this.req.body === 'none') {
        // Refused: the request never reached the app, so any method may go elsewhere (a dyno being replaced
        // during a deploy); wait for another up dyno within the request timeout.
        this.failedPorts.add(this.target.port)
        this.waitForTarget('H10', 'App crashed')
        return
      }

      if (this.attempt === 0 && this.requestDone && this.req.body === 'none' && IDEMPOTENT.has(this.req.method)) {
        // Idempotent and nothing sent back yet: try another dyno once.
        this.attempt++
        this.target = this.router.pickTarget(this.app.id, this.target) ?? this.target
        this.connect(true)
        return
      }

      if (neverConnected) this.fail(502, 'H10', 'App crashed', 'The app refused the connection.')
      else this.fail(502, 'H13', 'Connection closed without response', 'The app closed the connection without a response.')
      return
    }

    if (this.resKind === 'close' && this.resHead) {
      this.done(false)
      return
    }

    // Truncated response: the client cannot tell where it ends otherwise.
    this.finished = true
    this.router.logError(this, 'H13', 'Connection closed without response', this.status || 503)
    this.client.socket.destroy()
  }

  /** `shared`: chunk is a view of READ_BUFFER, valid only during this call (copied before it is kept or written). */
  onUpstreamData(chunk: Buffer, shared: boolean): void {
    if (this.finished) return
    this.last = this.router.clock
    this.gotResponseBytes = true
    if (!this.resHead) {
      if (this.resBuf.length === 0) {
        this.resBuf = chunk
        this.resShared = shared
      } else {
        this.resBuf = Buffer.concat([this.resBuf, chunk])
        this.resShared = false
      }

      this.readHeads()
      if (this.resShared) this.ownResBuf()
      return
    }

    this.forwardBody(shared ? Buffer.from(chunk) : chunk)
  }

  /** Copies resBuf out of the shared read buffer (before it is kept past this read or written as a Buffer). */
  private ownResBuf(): void {
    if (!this.resShared) return
    this.resBuf = ownBytes(this.resBuf)
    this.resShared = false
  }

  onUpstreamEnd(): void {
    if (this.resKind === 'close' && this.resHead && !this.finished) this.done(false)
  }

  /** Forwards buffered request body bytes, tracking the framing. */
  pumpBody(): void {
    const up = this.upstream
    if (!up || this.requestDone) return
    const {client} = this
    this.last = this.router.clock
    const buf = client.buf
    if (buf.length === 0) return
    let n: number
    if (this.reqTracker) {
      try {
        n = this.reqTracker.feed(buf)
      } catch (error) {
        this.finished = true
        up.socket.destroy()
        if (this.status === 0) client.respond(400, page('400 Bad Request', (error as Error).message), true)
        else client.socket.destroy()
        return
      }

      if (this.reqTracker.done) this.requestDone = true
    } else {
      n = Math.min(this.reqRemaining, buf.length)
      this.reqRemaining -= n
      if (this.reqRemaining === 0) this.requestDone = true
    }

    client.buf = n === buf.length ? EMPTY : buf.subarray(n)
    const body = n === buf.length ? buf : buf.subarray(0, n)
    if (!up.socket.write(client.shared ? Buffer.from(body) : body)) client.socket.pause()
  }

  /**
   * No usable dyno right now (all refused, or none up while web dynos are starting, e.g. during a restart or
   * deploy): poll for one until the request timeout, like Heroku's router holds requests while a dyno boots.
   */
  waitForTarget(code: string, desc: string): void {
    this.client.exchange = this
    const deadline = this.started + this.router.timeoutMs
    const poll = () => {
      if (this.finished) return
      const target = this.router.pickTarget(this.app.id, undefined, this.failedPorts)
      if (target) {
        this.target = target
        this.attempt++
        if (this.upstreamHead === undefined) this.begin()
        else this.connect(true)
        return
      }

      if (performance.now() > deadline || (!this.router.isPending(this.app.id) && this.failedPorts.size === 0)) {
        if (this.failedPorts.size === 0 && !this.router.isPending(this.app.id)) {
          this.fail(503, ...this.router.noWebCause(this.app.id))
        } else {
          this.fail(code === 'H10' ? 502 : 503, code, desc, 'No web dyno became available in time.')
        }

        return
      }

      // A refused port may be a restarted dyno that comes back: forget refusals after a while.
      if (this.failedPorts.size > 0 && performance.now() - this.lastFailClear > 1000) {
        this.failedPorts.clear()
        this.lastFailClear = performance.now()
      }

      setTimeout(poll, 50)
    }

    this.lastFailClear = performance.now()
    setTimeout(poll, this.failedPorts.size > 0 ? 0 : 50)
  }

  private get failedPorts(): Set<number> {
    this.failedPortsSet ??= new Set()
    return this.failedPortsSet
  }

  private connect(fresh = false): void {
    const up = this.router.acquire(this.target, fresh)
    this.last = this.router.clock
    this.upstream = up
    up.exchange = this
    if (up.connectedAt !== 0) this.connectMs = 0
    this.router.batch(up.socket)
    up.socket.write(this.upstreamHead!)
    this.pumpBody()
  }

  private done(reusable: boolean): void {
    this.finished = true
    const up = this.upstream
    this.router.logInfo(this)
    if (up) {
      up.exchange = undefined
      if (reusable && this.requestDone && this.resHead!.version === 1 && !this.resHead!.connection.includes('close') && this.req.version === 1) this.router.release(up)
      else up.socket.destroy()
    }

    const {client} = this
    client.exchange = undefined
    client.last = this.router.clock
    if (!this.requestDone || !this.keepAlive) {
      // The response ended before the request body: the connection cannot be resynchronised. The rest of the
      // body is read and dropped (see ClientConn.respond).
      client.closing = true
      client.socket.end()
      if (client.socket.isPaused()) client.socket.resume()
      return
    }

    client.next()
  }

  private fail(status: number, code: string, desc: string, detail: string): void {
    this.finished = true
    this.upstream?.socket.destroy()
    this.client.exchange = undefined
    this.status = status
    this.bytes = this.client.respond(status, page('Application error', `${detail} (${code})`), true)
    this.router.logError(this, code, desc, status)
  }

  private forwardBody(chunk: Buffer): void {
    const client = this.client.socket
    let n = chunk.length
    let complete = false
    switch (this.resKind) {
      case 'chunked': {
        try {
          n = this.resTracker!.feed(chunk)
        } catch {
          this.finished = true
          this.router.logError(this, 'H17', 'Poorly formatted HTTP response', this.status)
          this.upstream?.socket.destroy()
          client.destroy()
          return
        }

        complete = this.resTracker!.done
        break
      }

      case 'length': {
        n = Math.min(chunk.length, this.resRemaining)
        this.resRemaining -= n
        complete = this.resRemaining === 0
        break
      }

      case 'none': {
        n = 0
        complete = true
        break
      }

      default:
    }

    if (n > 0) {
      this.bytes += n
      if (!client.write(n === chunk.length ? chunk : chunk.subarray(0, n))) this.upstream?.socket.pause()
    }

    if (complete) this.done(n === chunk.length)
  }

  /** Parses response heads: 1xx are forwarded and parsing continues; 101 switches to a tunnel. */
  private readHeads(): void {
    while (!this.resHead) {
      let end: number
      let head: ResponseHead
      try {
        end = findHeadEnd(this.resBuf)
        if (end === -1) return
        head = parseResponseHead(this.resBuf, 0, end)
      } catch {
        this.fail(502, 'H17', 'Poorly formatted HTTP response', 'The app sent an invalid HTTP response.')
        return
      }

      if (head.status === 101 && this.upgrade) {
        this.status = 101
        this.ownResBuf()
        this.router.tunnel(this, this.resBuf)
        return
      }

      if (head.status >= 100 && head.status < 200) {
        // 100 Continue and friends: pass through, then the real response follows.
        this.ownResBuf()
        // A client that does not read while a dyno sends 1xx heads: stop reading the dyno until it drains.
        if (!this.client.socket.write(this.resBuf.subarray(0, end))) this.upstream?.socket.pause()
        this.resBuf = this.resBuf.subarray(end)
        continue
      }

      const src = this.resBuf
      const restLength = src.length - end
      this.resBuf = EMPTY
      this.resHead = head
      this.status = head.status
      this.resKind = responseBodyKind(this.req.method, head)
      if (this.resKind === 'close') this.keepAlive = false
      if (this.resKind === 'length') this.resRemaining = head.length
      if (this.resKind === 'chunked') this.resTracker = new ChunkedTracker(502)
      // Response timeout becomes an inactivity limit once the head is there (long polls, SSE).
      const socket = this.client.socket
      this.router.batch(socket)
      if (this.resKind === 'none' || restLength === 0) {
        const out = this.router.clientHead(this, head, src, end, 0)
        this.bytes += out.length
        socket.write(out)
        if (this.resKind === 'none') this.done(restLength === 0)
        return
      }

      if (this.resKind === 'length' && restLength === this.resRemaining && restLength <= 16_384) {
        // The whole (small) response is here: head and body copied into one Buffer, one write.
        const out = this.router.clientHead(this, head, src, end, restLength)
        socket.write(out)
        this.bytes += out.length
        this.resRemaining = 0
        this.done(true)
        return
      }

      // Head and the body bytes that came with it leave in one write (one syscall, not two).
      const out = this.router.clientHead(this, head, src, end, 0)
      this.bytes += out.length
      const rest = src.subarray(end)
      const owned = this.resShared ? Buffer.from(rest) : rest
      socket.cork()
      socket.write(out)
      this.forwardBody(owned)
      socket.uncork()
      return
    }
  }
}

/**
 * The targets a request may go to: all of them, except while two releases' dynos are up together (preboot),
 * when only the newest release's (and any without a version). Shared by HttpRouter.pickTarget and the native
 * router's target lines (native.ts).
 */
export function routableTargets<T extends {release?: number}>(targets: T[]): T[] {
  let newest = -1
  let mixed = false
  for (const t of targets) {
    if (t.release === undefined) continue
    if (newest !== -1 && t.release !== newest) mixed = true
    if (t.release > newest) newest = t.release
  }

  return mixed ? targets.filter(t => t.release === undefined || t.release === newest) : targets
}

export class HttpRouter {
  /** A coarse clock (ms, advanced by the sweep): activity stamps without a timer re-arm per read or write. */
  clock = 0
  /**
   * X-Forwarded-Port for dynos when it is not the bound port (see RouterOptions.forwardedPort). Read when a client
   * connection is accepted: set it before connections arrive.
   */
  forwardedPort: number | undefined
  readonly headTimeoutMs: number
  readonly idleClientMs: number
  readonly maxConnections: number
  readonly period: number
  readonly timeoutMs: number
  private readonly clients = new Set<ClientConn>()
  /** Sockets corked by batch() until the end of this event-loop turn. */
  private readonly corked = new Set<net.Socket>()
  private flushScheduled = false
  /** Messages batch() saw in this turn and in the previous one. */
  private turnWrites = 0
  private lastTurnWrites = 0
  private readonly host: string
  private readonly idle = new Map<number, Upstream[]>()
  private readonly idleUpstreamMs: number
  private readonly rr = new Map<string, number>()
  private readonly server: net.Server
  private boundPort = 0
  private sweeper: NodeJS.Timeout | undefined

  constructor(private readonly options: RouterOptions) {
    this.host = options.host ?? '127.0.0.1'
    this.forwardedPort = options.forwardedPort
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.idleUpstreamMs = options.idleUpstreamMs ?? 4000
    this.idleClientMs = options.idleClientMs ?? 60_000
    this.headTimeoutMs = options.headTimeoutMs ?? HEAD_TIMEOUT_MS
    this.maxConnections = options.maxConnections ?? 1024
    // Timeouts fire between limit and limit + period after the last activity.
    this.period = Math.max(10, Math.min(1000, this.timeoutMs / 8, this.idleClientMs / 8, this.idleUpstreamMs / 4, this.headTimeoutMs / 4))
    this.clock = performance.now()
    this.server = net.createServer({allowHalfOpen: true, noDelay: true, pauseOnConnect: true}, socket => this.accept(socket))
  }

  /**
   * A new client connection. Its handle moves to a socket that reads into one shared buffer through `onread`
   * (net.Server has no onread option): no Buffer allocation and no stream 'data' event per read, which is a
   * good part of a per-request proxy's cost. The accepted socket, now without a handle, is destroyed at once
   * (that also keeps the server's connection count right). If Node's internals differ, the accepted socket is
   * used as it is.
   */
  private accept(accepted: net.Socket): void {
    if (this.clients.size >= this.maxConnections) {
      // Full: closed before it costs more than its descriptor, for as long as it lasted (the kernel's backlog is
      // not left to fill either). Head deadlines and idle limits free the places again.
      accepted.destroy()
      return
    }

    const husk = accepted as unknown as {_handle?: null | object}
    const handle = husk._handle
    if (!handle || typeof (handle as {useUserBuffer?: unknown}).useUserBuffer !== 'function') {
      accepted.resume()
      this.track(new ClientConn(this, accepted, false))
      return
    }

    husk._handle = null
    accepted.destroy()
    const reader = {client: undefined as ClientConn | undefined}
    const socket = new net.Socket({
      allowHalfOpen: true,
      handle,
      onread: {buffer: CLIENT_READ_BUFFER, callback: (n: number) => reader.client?.onRead(n) ?? true},
    } as net.SocketConstructorOpts)
    reader.client = new ClientConn(this, socket, true)
    this.track(reader.client)
  }

  private track(client: ClientConn): void {
    this.clients.add(client)
    client.socket.on('close', () => this.clients.delete(client))
  }

  get port(): number {
    return this.boundPort
  }

  /** Client connections open now. */
  get connections(): number {
    return this.clients.size
  }

  /**
   * Holds what is written to `socket` until the end of this event-loop turn (cork, then uncork from setImmediate,
   * which runs right after the poll phase that read the requests or responses). The requests and responses of
   * one turn then reach the dynos and clients together: each of those processes wakes up once for the lot instead
   * of once per message, and the router is not preempted by each one it wakes. Order per socket is kept (later
   * writes queue behind the corked ones; end() flushes them). Only while the previous turn had more than one
   * message: a lone request (no concurrency) is not held back at all.
   */
  batch(socket: net.Socket): void {
    this.turnWrites++
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setImmediate(this.flushCorked)
    }

    if (this.lastTurnWrites < 2 || this.corked.has(socket)) return
    socket.cork()
    this.corked.add(socket)
  }

  private readonly flushCorked = (): void => {
    this.flushScheduled = false
    this.lastTurnWrites = this.turnWrites
    this.turnWrites = 0
    for (const socket of this.corked) socket.uncork()
    this.corked.clear()
  }

  /** A pooled idle socket to the target, or a new one. */
  acquire(target: WebTarget, fresh: boolean): Upstream {
    if (!fresh) {
      const list = this.idle.get(target.port) ?? []
      const cutoff = performance.now() - this.idleUpstreamMs
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

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper)
    for (const list of this.idle.values()) for (const up of list) up.socket.destroy()
    this.idle.clear()
    for (const client of this.clients) client.socket.destroy()
    await new Promise<void>(resolve => {
      this.server.close(() => resolve())
    })
  }

  /**
   * The response head sent to the client — the dyno's own head bytes (`src[0, end)`) minus the hop-by-hop field
   * lines, plus our Connection decision — followed by `bodyLength` body bytes from `src[end..]`, in one Buffer
   * (byte copies: no re-serialisation, no string flattening).
   */
  clientHead(ex: Exchange, head: ResponseHead, src: Buffer, end: number, bodyLength: number): Buffer {
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

  /** Routes one parsed request. */
  handle(client: ClientConn, req: RequestHead): void {
    // Keep-alive clients repeat the same Host: derive the names once per connection and Host value.
    if (req.host !== client.host) {
      client.host = req.host
      client.hostname = req.host.replace(/:\d+$/, '').toLowerCase()
      client.appName = routeKey(client.hostname)
    }

    const {appName, hostname} = client
    const app = appName === '' ? undefined : this.options.resolveApp(appName)
    const requestId = req.requestId === '' ? randomUUID() : req.requestId
    if (!app) {
      // Answering without reading a body would desynchronise the connection: close when there is one.
      client.respond(404, page('No such app', `There is no app at <code>${hostname.replaceAll(/[<>&"]/g, '')}</code>. Run <code>ferry apps</code> to list apps.`), req.body !== 'none')
      return
    }

    if (app.maintenance) {
      // Heroku's router answers for an app in maintenance mode without asking a dyno (logged at=info, code H80).
      const ex = new Exchange(this, client, req, app, hostname, requestId, {dyno: '', port: 0})
      ex.finished = true
      ex.status = 503
      ex.bytes = client.respond(503, MAINTENANCE_PAGE, req.body !== 'none')
      this.logError(ex, 'H80', 'Maintenance mode', 503, 'info')
      return
    }

    const target = this.pickTarget(app.id)
    const ex = new Exchange(this, client, req, app, hostname, requestId, target ?? {dyno: '', port: 0})
    if (!target && this.isPending(app.id)) {
      ex.prepare()
      ex.waitForTarget('H20', 'App boot timeout')
      return
    }

    if (!target) {
      ex.finished = true
      ex.status = 503
      const [code, desc, detail] = this.noWebCause(app.id)
      ex.bytes = client.respond(503, page('Application error', `${detail} (${code})`), req.body !== 'none')
      this.logError(ex, code, desc, 503)
      return
    }

    client.exchange = ex
    ex.begin()
  }

  /** Nothing to sync: every request reads the current targets (the native router's refresh() waits for its child). */
  async refresh(): Promise<void> {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.boundPort = (this.server.address() as net.AddressInfo).port
    this.sweeper ??= setInterval(() => this.sweep(), this.period).unref()
    return this.boundPort
  }

  /** Why an app has no web dyno to route to: its web dynos crashed (H10), or it has none running (H14). */
  noWebCause(appId: string): [code: string, desc: string, detail: string] {
    return this.options.crashed?.(appId)
      ? ['H10', 'App crashed', 'The app\'s web dynos have crashed. Run <code>ferry logs</code> to see why.']
      : ['H14', 'No web processes running', 'No web dynos are running for this app. Scale them up with <code>ferry ps:scale web=1</code>.']
  }

  logError(ex: Exchange, code: string, desc: string, status: number, at = 'error'): void {
    const service = `${Math.round(performance.now() - ex.started)}ms`
    this.options.log(
      ex.app.id,
      `at=${at} code=${code} desc="${desc}" method=${ex.req.method} path="${quote(ex.req.target)}" host=${ex.hostname} request_id=${ex.requestId} ` +
        `fwd="${ex.client.fwd}" dyno=${ex.target.dyno} connect=${Math.round(ex.connectMs)}ms service=${service} status=${status} bytes=${ex.bytes} protocol=http`,
    )
  }

  /** `\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: PORT` once the port is known. */
  get forwardedRest(): string {
    return `\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: ${this.forwardedPort ?? this.boundPort}`
  }

  logInfo(ex: Exchange): void {
    this.options.log(
      ex.app.id,
      `at=info method=${ex.req.method} path="${quote(ex.req.target)}" host=${ex.hostname} request_id=${ex.requestId} fwd="${ex.client.fwd}" ` +
        `dyno=${ex.target.dyno} connect=${Math.round(ex.connectMs)}ms service=${Math.round(performance.now() - ex.started)}ms status=${ex.status} bytes=${ex.bytes} protocol=http`,
    )
  }

  /** true when the app has web dynos starting (requests then wait for them instead of failing with H14). */
  isPending(appId: string): boolean {
    return this.options.pending?.(appId) ?? false
  }

  /** Round-robin over the app's up web dynos (only the newest release's when versions are known). */
  pickTarget(appId: string, avoid?: WebTarget, exclude?: Set<number>): undefined | WebTarget {
    let targets = this.options.targets(appId)
    if (exclude && exclude.size > 0) targets = targets.filter(t => !exclude.has(t.port))
    if (targets.length === 0) return undefined
    targets = routableTargets(targets)
    if (avoid && targets.length > 1) targets = targets.filter(t => t.port !== avoid.port)
    const n = (this.rr.get(appId) ?? 0) + 1
    this.rr.set(appId, n)
    return targets[n % targets.length]
  }

  /** Returns a socket to the idle pool of its dyno. */
  release(up: Upstream): void {
    up.idle = true
    up.idleSince = performance.now()
    let list = this.idle.get(up.target.port)
    if (!list) {
      list = []
      this.idle.set(up.target.port, list)
    }

    list.push(up)
  }

  /** Advances the clock; ends requests without dyno activity for timeoutMs (H12) and idle clients; sweeps the pool. */
  sweep(): void {
    const now = performance.now()
    this.clock = now
    for (const client of this.clients) {
      const ex = client.exchange
      if (ex) {
        if (ex.upstream && !ex.finished && now - ex.last > this.timeoutMs + this.period) ex.onTimeout()
      } else if (!client.tunnel && client.headSince > 0 && !client.closing && now - client.headSince > this.headTimeoutMs) {
        client.reject(408, 'The request head did not arrive in time.')
      } else if (!client.tunnel && now - client.last > this.idleClientMs + this.period) {
        client.socket.destroy()
      }
    }

    this.sweepIdle()
  }

  /** Closes pooled sockets idle for longer than idleUpstreamMs (oldest first in each list). */
  sweepIdle(): void {
    const limit = performance.now() - this.idleUpstreamMs
    for (const list of this.idle.values()) {
      while (list.length > 0 && list[0].idleSince < limit) {
        const up = list.shift()!
        up.idle = false
        up.socket.destroy()
      }
    }
  }

  removeIdle(up: Upstream): void {
    const list = this.idle.get(up.target.port)
    const i = list ? list.indexOf(up) : -1
    if (i !== -1) list!.splice(i, 1)
    up.idle = false
  }

  /** WebSocket and other upgrades: after 101 both sockets are piped to each other. */
  tunnel(ex: Exchange, responseBytes: Buffer): void {
    const up = ex.upstream!
    const {client} = ex
    ex.finished = true
    ex.bytes = responseBytes.length
    this.logInfo(ex)
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

  /**
   * The request head sent to the dyno, as one Buffer: the client's own head bytes minus the hop-by-hop and
   * replaced field lines (byte copies, not a re-serialisation), then X-Forwarded-*, X-Request-Id, Via and
   * Connection.
   */
  upstreamHead(ex: Exchange): Buffer {
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
          (xff ? `\r\nX-Forwarded-For: ${xff}, ${client.fwd}${this.forwardedRest}` : client.forwarded) +
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
}
