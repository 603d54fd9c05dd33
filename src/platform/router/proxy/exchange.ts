// One exchange of the Node router (a request and its response, client ↔ dyno): the rewritten head and the body with
// its framing tracked, the response head (1xx passed on, 101 → tunnel) and body, a retry on another dyno when nothing
// came back, waiting for starting dynos, and the app errors it answers itself (H10, H12, H13, H17).

import type {WebTarget} from '../../context.js'
import type {HttpRouter} from '../proxy.js'
import type {RoutedApp} from './options.js'
import type {ClientConn} from './connection.js'
import type {Upstream} from './upstream.js'

import {type BodyKind, ChunkedTracker, findHeadEnd, parseResponseHead, type RequestHead, type ResponseHead, responseBodyKind} from '../http1.js'
import {APP_ERRORS, type AppError, IDEMPOTENT_METHODS} from '../rules.js'
import {EMPTY, ownBytes} from './buffers.js'
import {appErrorPage, rejectPage} from './error-pages.js'
import {clientHead, upstreamHead} from './head-rewrite.js'
import {tunnel} from './tunnel.js'
import {monotonicMs} from '../../time.js'

const IDEMPOTENT = new Set<string>(IDEMPOTENT_METHODS)

export class Exchange {
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
  started = monotonicMs()
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
    readonly app: RoutedApp,
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
    this.upstreamHead ??= upstreamHead(this)
  }

  onClientClose(): void {
    if (this.finished) return
    this.finished = true
    this.upstream?.socket.destroy()
  }

  onConnect(): void {
    this.connectMs = monotonicMs() - this.started
  }

  onTimeout(): void {
    if (this.finished) return
    if (this.status === 0) {
      this.fail(503, APP_ERRORS.timeout)
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

      if (neverConnected) this.fail(502, APP_ERRORS.refused)
      else this.fail(502, APP_ERRORS.closed)
      return
    }

    if (this.resKind === 'close' && this.resHead) {
      this.done(false)
      return
    }

    // Truncated response: the client cannot tell where it ends otherwise.
    this.finished = true
    this.router.logError(this, APP_ERRORS.closed.code, APP_ERRORS.closed.desc, this.status || 503)
    this.client.socket.destroy()
  }

  /** `shared`: chunk is a view of READ_BUFFER, valid only during this call (copied before it is kept or written). */
  onUpstreamData(chunk: Buffer, shared: boolean): void {
    if (this.finished) return
    this.last = this.router.clock
    this.gotResponseBytes = true
    if (!this.resHead) {
      // Still a view of the read buffer only when nothing was held before it.
      this.resShared = shared && this.resBuf.length === 0
      this.resBuf = this.resBuf.length === 0 ? chunk : Buffer.concat([this.resBuf, chunk])

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
        if (this.status === 0) client.respond(400, rejectPage(400, (error as Error).message), true)
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

      if (monotonicMs() > deadline || (!this.router.isPending(this.app.id) && this.failedPorts.size === 0)) {
        if (this.failedPorts.size === 0 && !this.router.isPending(this.app.id)) {
          this.fail(503, this.router.noWebCause(this.app.id))
        } else {
          this.fail(code === 'H10' ? 502 : 503, {code, desc, detail: 'No web dyno became available in time.'})
        }

        return
      }

      // A refused port may be a restarted dyno that comes back: forget refusals after a while.
      if (this.failedPorts.size > 0 && monotonicMs() - this.lastFailClear > 1000) {
        this.failedPorts.clear()
        this.lastFailClear = monotonicMs()
      }

      setTimeout(poll, 50)
    }

    this.lastFailClear = monotonicMs()
    setTimeout(poll, this.failedPorts.size > 0 ? 0 : 50)
  }

  private get failedPorts(): Set<number> {
    this.failedPortsSet ??= new Set()
    return this.failedPortsSet
  }

  private connect(fresh = false): void {
    const up = this.router.pool.acquire(this.target, fresh)
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
      if (reusable && this.requestDone && this.resHead!.version === 1 && !this.resHead!.connection.includes('close') && this.req.version === 1) this.router.pool.release(up)
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

  private fail(status: number, {code, desc, detail}: AppError): void {
    this.finished = true
    this.upstream?.socket.destroy()
    this.client.exchange = undefined
    this.status = status
    this.bytes = this.client.respond(status, appErrorPage(detail, code), true)
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
          this.router.logError(this, APP_ERRORS.malformed.code, APP_ERRORS.malformed.desc, this.status)
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
        this.fail(502, APP_ERRORS.malformed)
        return
      }

      if (head.status === 101 && this.upgrade) {
        this.status = 101
        this.ownResBuf()
        tunnel(this, this.resBuf)
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
        const out = clientHead(this, head, src, end, 0)
        this.bytes += out.length
        socket.write(out)
        if (this.resKind === 'none') this.done(restLength === 0)
        return
      }

      if (this.resKind === 'length' && restLength === this.resRemaining && restLength <= 16_384) {
        // The whole (small) response is here: head and body copied into one Buffer, one write.
        const out = clientHead(this, head, src, end, restLength)
        socket.write(out)
        this.bytes += out.length
        this.resRemaining = 0
        this.done(true)
        return
      }

      // Head and the body bytes that came with it leave in one write (one syscall, not two).
      const out = clientHead(this, head, src, end, 0)
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
