// The Node router (HttpRouter): one raw-socket listener for every app (`APP.localhost[:port]`), per-request routing
// to the app's `up` web dynos (round-robin), pooled keep-alive upstream sockets, one `heroku[router]` log line per
// request. Only heads are parsed (strictly, see http1.ts); bodies are spliced through while their framing is tracked,
// so pipelined requests are routed and logged one by one and never buffered. This module is the listener, the
// routing decision and the clock; the parts have their own homes under proxy/:
//   connection.ts   a client connection: head reading, deadlines, per-connection bounds, the router's own answers
//   exchange.ts     one request/response with a dyno: body framing, retries, waiting for a dyno, app errors
//   upstream.ts     sockets to dynos and their keep-alive pool       targets.ts   route key, dyno choice
//   head-rewrite.ts hop-by-hop removal, X-Forwarded-*, Via, request id   tunnel.ts   upgrades (101)
//   log-line.ts     the heroku[router] line    error-pages.ts   the router's pages    options.ts   RouterOptions
import {randomUUID} from 'node:crypto'
import net from 'node:net'

import type {WebTarget} from '../context.js'
import type {RequestHead} from './http1.js'
import type {AppError} from './rules.js'
import type {RouterOptions} from './proxy/options.js'

import {HEAD_TIMEOUT_MS} from '../context.js'
import {HEAD_TIMEOUT_DETAIL} from './rules.js'
import {acceptClient, type ClientConn} from './proxy/connection.js'
import {appErrorPage, MAINTENANCE_PAGE, noSuchAppPage, noWebCause} from './proxy/error-pages.js'
import {Exchange} from './proxy/exchange.js'
import {logLine} from './proxy/log-line.js'
import {routeKey, RoundRobin} from './proxy/targets.js'
import {UpstreamPool} from './proxy/upstream.js'
import {monotonicMs} from '../time.js'

export type {RouterOptions} from './proxy/options.js'
export {routableTargets, routeKey} from './proxy/targets.js'

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
  /** Idle keep-alive sockets to dynos. */
  readonly pool: UpstreamPool
  readonly timeoutMs: number
  private readonly clients = new Set<ClientConn>()
  /** Sockets corked by batch() until the end of this event-loop turn. */
  private readonly corked = new Set<net.Socket>()
  private flushScheduled = false
  /** Messages batch() saw in this turn and in the previous one. */
  private turnWrites = 0
  private lastTurnWrites = 0
  private readonly host: string
  private readonly rr = new RoundRobin()
  private readonly server: net.Server
  private boundPort = 0
  private sweeper: NodeJS.Timeout | undefined

  constructor(private readonly options: RouterOptions) {
    this.host = options.host ?? '127.0.0.1'
    this.forwardedPort = options.forwardedPort
    this.timeoutMs = options.timeoutMs ?? 30_000
    const idleUpstreamMs = options.idleUpstreamMs ?? 4000
    this.pool = new UpstreamPool(this.host, idleUpstreamMs)
    this.idleClientMs = options.idleClientMs ?? 60_000
    this.headTimeoutMs = options.headTimeoutMs ?? HEAD_TIMEOUT_MS
    this.maxConnections = options.maxConnections ?? 1024
    // Timeouts fire between limit and limit + period after the last activity.
    this.period = Math.max(10, Math.min(1000, this.timeoutMs / 8, this.idleClientMs / 8, idleUpstreamMs / 4, this.headTimeoutMs / 4))
    this.clock = monotonicMs()
    this.server = net.createServer({allowHalfOpen: true, noDelay: true, pauseOnConnect: true}, socket => this.accept(socket))
  }

  /** A new client connection (see acceptClient()), unless the router holds maxConnections already. */
  private accept(accepted: net.Socket): void {
    if (this.clients.size >= this.maxConnections) {
      // Full: closed before it costs more than its descriptor, for as long as it lasted (the kernel's backlog is
      // not left to fill either). Head deadlines and idle limits free the places again.
      accepted.destroy()
      return
    }

    const client = acceptClient(this, accepted)
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

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper)
    this.pool.close()
    for (const client of this.clients) client.socket.destroy()
    await new Promise<void>(resolve => {
      this.server.close(() => resolve())
    })
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
      client.respond(404, noSuchAppPage(hostname), req.body !== 'none')
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
      const {code, desc, detail} = this.noWebCause(app.id)
      ex.bytes = client.respond(503, appErrorPage(detail, code), req.body !== 'none')
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
  noWebCause(appId: string): AppError {
    return noWebCause(this.options.crashed?.(appId) ?? false)
  }

  /** Logs one of the router's own answers (`code`: H10, H12 …). */
  logError(ex: Exchange, code: string, desc: string, status: number, at = 'error'): void {
    this.options.log(ex.app.id, logLine(ex, status, at, code, desc))
  }

  /** X-Forwarded-Port for dynos: forwardedPort, else the bound port. */
  get publicPort(): number {
    return this.forwardedPort ?? this.boundPort
  }

  /** Logs a request a dyno answered. */
  logInfo(ex: Exchange): void {
    this.options.log(ex.app.id, logLine(ex, ex.status))
  }

  /** true when the app has web dynos starting (requests then wait for them instead of failing with H14). */
  isPending(appId: string): boolean {
    return this.options.pending?.(appId) ?? false
  }

  /** Round-robin over the app's up web dynos (only the newest release's when versions are known). */
  pickTarget(appId: string, avoid?: WebTarget, exclude?: Set<number>): undefined | WebTarget {
    return this.rr.pick(appId, this.options.targets(appId), avoid, exclude)
  }

  /** Advances the clock; ends requests without dyno activity for timeoutMs (H12) and idle clients; sweeps the pool. */
  sweep(): void {
    const now = monotonicMs()
    this.clock = now
    for (const client of this.clients) {
      const ex = client.exchange
      if (ex) {
        if (ex.upstream && !ex.finished && now - ex.last > this.timeoutMs + this.period) ex.onTimeout()
      } else if (!client.tunnel && client.headSince > 0 && !client.closing && now - client.headSince > this.headTimeoutMs) {
        client.reject(408, HEAD_TIMEOUT_DETAIL)
      } else if (!client.tunnel && now - client.last > this.idleClientMs + this.period) {
        client.socket.destroy()
      }
    }

    this.pool.sweep()
  }
}
