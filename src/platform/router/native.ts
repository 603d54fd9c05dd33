// The native router: a small C epoll process (native/*.c, built to dist/native/ferry-router) owns the public
// listener and takes the common path; everything unusual it hands to an internal HttpRouter (the fallback) on
// 127.0.0.1:0, which keeps all of HttpRouter's behaviour. This side feeds the child app entries and takes its log
// lines.
//
// The protocol, one message per line:
//   child argv   --host H --listen-fd 3 --fallback-port F --timeout-ms T --idle-client-ms C --idle-upstream-ms U
//                --head-timeout-ms D
//   child fd 3   the public listening socket: bound here (bindListener) and held for the router's lifetime, so the
//                port is never free while a crashed child is replaced (a dyno on the host network could take it)
//   child stdout `P <port>`            listening (first line)
//                `E <message>`         fatal start-up error (e.g. address in use); exit code 1 follows
//                `L <appId> <message>` one heroku[router] log line (the text after `heroku[router]: `)
//                `W <key>`             the child has no entry for a request's route key (routeKey(): the app name
//                                      of Host NAME.localhost, or a custom domain's whole host name)
//                `S <n>`               answer to `S <n>`: every line sent before it has been applied
//   child stdin  `A <name> <appId> <port>/<dyno>,…` the app's routable targets (`-` when none: the child hands
//                                      its requests to the fallback, which holds them or answers H10/H14/H80)
//                `N <name>`            no such app (requests go to the fallback, which answers 404)
//                `F <name>`            forget the answer for name (no app for a while: no longer tracked here);
//                                      its next request asks again (`W`)
//                `S <n>`               sync (see above)
// The child exits when its stdin closes, and dies with this process (PR_SET_PDEATHSIG).
import {type ChildProcess, spawn} from 'node:child_process'

import {bindListener, type BoundSocket, nativeRouterBinary, readInfo} from './native/launch.js'
import {NameTable} from './native/names.js'
import {HttpRouter, type RouterOptions} from './proxy.js'
import {sandboxArgs} from './sandbox.js'

export {bindListener, nativeRouterBinary} from './native/launch.js'

/** How often every asked-about name is re-checked (a safety net: the daemon calls refresh() on changes). */
const POLL_MS = 50
/** close(): SIGKILL when the child has not exited this long after SIGTERM. */
const KILL_AFTER_MS = 1000
/** The longest wait before starting a crashed child again (the first waits are 50, 100, 200 ms …). */
const RESTART_MAX_MS = 5000
/** listen(): the child must print `P <port>` (or `E …`) within this time. */
const START_TIMEOUT_MS = 10_000

export interface NativeRouterOptions extends RouterOptions {
  /** The ferry-router executable (default nativeRouterBinary()). */
  binary?: string
  /**
   * A name with no app is re-checked (for an app created under it) for this long after it was asked about (default
   * 30 s), then forgotten on both sides until a request asks for it again: scans and typos are not polled forever.
   */
  unknownNameTtlMs?: number
  /** Run the child in its own bubblewrap sandbox (sandbox.ts) through this bwrap executable (findBwrap()). */
  bwrap?: string
}

interface Waiter {
  reject(error: Error): void
  resolve(port: number): void
}

export class NativeRouter {
  /** The internal HttpRouter the child hands unusual requests to. */
  readonly fallback: HttpRouter
  private boundPort = 0
  private buf = ''
  private child: ChildProcess | undefined
  /** The router's own pid when it runs under bwrap (the spawned process is bwrap's monitor). */
  private sandboxedPid: number | undefined
  /** How many times the child exited on its own (crashed, killed) and was started again. */
  private crashes = 0
  /** The public listening socket, held from listen() to close() (every child accepts on it). */
  private listener: BoundSocket | undefined
  private closing = false
  private exited: Promise<void> | undefined
  /** The names the child asked about, and the entry lines last sent for them. */
  private readonly names: NameTable
  private poller: NodeJS.Timeout | undefined
  /** listen() succeeded: a child that exits is started again. */
  private listening = false
  private restarts = 0
  private restartTimer: NodeJS.Timeout | undefined
  private startedAt = 0
  private starting: undefined | Waiter
  private syncSeq = 0
  private readonly syncs = new Map<number, () => void>()

  constructor(private readonly options: NativeRouterOptions) {
    // A fixed public port is known now: connections handed off before listen() returns carry it too.
    this.fallback = new HttpRouter({...options, forwardedPort: options.port || undefined, host: '127.0.0.1', port: 0})
    this.names = new NameTable(options, options.unknownNameTtlMs ?? 30_000)
  }

  /** The router process's pid while it runs (inside its sandbox, when there is one). */
  get pid(): number | undefined {
    return this.alive ? (this.options.bwrap ? this.sandboxedPid : this.child!.pid) : undefined
  }

  /** The spawned process (bwrap's monitor, when sandboxed) runs. */
  private get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined
  }

  /** How many times the child exited unexpectedly (and was started again). */
  get unexpectedExits(): number {
    return this.crashes
  }

  get port(): number {
    return this.boundPort
  }

  async close(): Promise<void> {
    this.closing = true
    this.stopPolling()
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const {child} = this
    if (child && this.alive) {
      child.stdin?.end()
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
      await this.exited
      clearTimeout(killer)
    }

    this.settleSyncs()
    this.listener?.close()
    this.listener = undefined
    await this.fallback.close()
  }

  /** Starts the fallback, then the child on options.port; resolves with the public port once the child listens. */
  async listen(): Promise<number> {
    const binary = this.options.binary ?? nativeRouterBinary()
    if (!binary) throw new Error('ferry-router is not built (dist/native/ferry-router): run `npm run build`, or set FERRY_ROUTER_ENGINE=node')
    const fallbackPort = await this.fallback.listen()
    try {
      const bound = bindListener(this.options.host ?? '127.0.0.1', this.options.port)
      this.listener = bound.socket
      this.boundPort = bound.port
      await this.start(binary, fallbackPort)
    } catch (error) {
      await this.close()
      throw error
    }

    this.fallback.forwardedPort = this.boundPort
    this.listening = true
    return this.boundPort
  }

  /** Spawns the child on the held listening socket; resolves with the port it listens on. */
  private async start(binary: string, fallbackPort: number): Promise<number> {
    const flags = {
      'fallback-port': fallbackPort,
      'head-timeout-ms': this.fallback.headTimeoutMs,
      host: this.options.host ?? '127.0.0.1',
      'idle-client-ms': this.fallback.idleClientMs,
      'idle-upstream-ms': this.options.idleUpstreamMs ?? 4000,
      'listen-fd': 3,
      'timeout-ms': this.fallback.timeoutMs,
    }
    const args = Object.entries(flags).flatMap(([name, value]) => [`--${name}`, String(value)])
    // Its own process group: a terminal's Ctrl-C reaches the daemon, which stops the child in close(). It still dies
    // with the daemon (PR_SET_PDEATHSIG or bwrap's --die-with-parent, and stdin EOF). An empty environment: it needs
    // nothing from the daemon's (which may hold secrets) but its arguments and descriptors.
    const {bwrap} = this.options
    const stdio: Array<'inherit' | 'pipe' | number> = ['pipe', 'pipe', 'inherit', this.listener!.fd]
    if (bwrap) stdio.push('pipe')
    const child = bwrap ? spawn(bwrap, sandboxArgs(binary, args, 4), {detached: true, env: {}, stdio}) : spawn(binary, args, {detached: true, env: {}, stdio})
    this.child = child
    this.sandboxedPid = undefined
    // bwrap's `{"child-pid": N}` on fd 4, written before the router starts (so before its `P`).
    const info = bwrap ? readInfo(child) : undefined
    this.buf = ''
    this.startedAt = Date.now()
    this.exited = new Promise(resolve => {
      // 'close', not 'exit': every line it wrote (an E before exit 1) has been read by then.
      child.once('close', (code, signal) => {
        this.onExit(code, signal, binary, fallbackPort)
        resolve()
      })
      // Spawn failures (ENOENT, EACCES) come without an 'exit'.
      child.on('error', error => {
        if (child.pid !== undefined) return
        this.starting?.reject(new Error(`could not start ferry-router (${binary}): ${error.message}`))
        this.starting = undefined
        resolve()
      })
    })
    child.stdin!.on('error', () => {})
    child.stdout!.setEncoding('latin1')
    child.stdout!.on('data', (chunk: string) => this.onData(chunk))
    let timer: NodeJS.Timeout | undefined
    try {
      const port = await new Promise<number>((resolve, reject) => {
        this.starting = {reject, resolve}
        timer = setTimeout(() => reject(new Error(`ferry-router did not start listening within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
      })
      if (info) this.sandboxedPid = await info
      return port
    } finally {
      this.starting = undefined
      clearTimeout(timer)
    }
  }

  /**
   * Re-checks every name the child asked about, sends what changed, and resolves once the child has applied it
   * (`S n` round trip). Also a barrier for log lines: every `L` the child wrote before has been delivered.
   */
  async refresh(): Promise<void> {
    const stdin = this.child?.stdin
    if (!stdin || !this.alive || this.closing) return
    const n = ++this.syncSeq
    const done = new Promise<void>(resolve => {
      this.syncs.set(n, resolve)
    })
    this.send(this.names.changes() + `S ${n}\n`)
    return done
  }

  /** A name the child has no entry for: answer now, and keep it up to date while it is tracked. */
  private ask(name: string): void {
    const lines = this.names.ask(name)
    if (lines === '') return
    this.send(lines)
    if (!this.poller && this.names.size > 0) this.poller = setInterval(() => this.poll(), POLL_MS).unref()
  }

  private onData(chunk: string): void {
    const buf = this.buf === '' ? chunk : this.buf + chunk
    let start = 0
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n', start)) {
      if (nl > start) this.onLine(buf, start, nl)
      start = nl + 1
    }

    this.buf = start === buf.length ? '' : buf.slice(start)
  }

  private onExit(code: null | number, signal: NodeJS.Signals | null, binary: string, fallbackPort: number): void {
    this.stopPolling()
    this.settleSyncs()
    const how = signal ? `signal ${signal}` : `code ${code}`
    if (this.starting) {
      this.starting.reject(new Error(`ferry-router exited (${how}) before listening`))
      this.starting = undefined
      if (!this.listening) return
    }

    if (this.closing) return
    this.crashes++
    // Started again on the same socket (the new child asks for every app afresh); quickly at first, backing off
    // while it keeps failing soon after starting. Meanwhile connections wait in the socket's backlog.
    this.names.clear()
    this.restarts = Date.now() - this.startedAt > 10_000 ? 0 : this.restarts + 1
    const delay = Math.min(RESTART_MAX_MS, 50 * (2 ** this.restarts))
    console.error(`[ferry] router: ferry-router exited unexpectedly (${how}); starting it again on port ${this.boundPort} in ${delay} ms`)
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined
      if (this.closing) return
      // A child that fails again exits again (onExit schedules the next try); one that hangs is killed.
      this.start(binary, fallbackPort).catch((error: Error) => {
        console.error(`[ferry] router: ${error.message}`)
        if (!this.closing && this.child?.exitCode === null) this.child.kill('SIGKILL')
      })
    }, delay)
    this.restartTimer.unref()
  }

  /** One message from the child: buf[start, end) without the newline. */
  private onLine(buf: string, start: number, end: number): void {
    switch (buf[start]) {
      case 'E': {
        // E <message>: a fatal start-up error; the child exits next.
        const message = buf.slice(start + 2, end)
        if (this.starting) {
          // Like Node's listen errors (callers may check the code): EADDRINUSE when the port is taken.
          const error: NodeJS.ErrnoException = new Error(`router: ${message}`)
          if (/address already in use/i.test(message)) error.code = 'EADDRINUSE'
          this.starting.reject(error)
          this.starting = undefined
        } else {
          console.error(`[ferry] router: ${message}`)
        }

        return
      }

      case 'L': {
        // L <appId> <message>
        const sp = buf.indexOf(' ', start + 2)
        if (sp === -1 || sp > end) return
        try {
          this.options.log(buf.slice(start + 2, sp), buf.slice(sp + 1, end))
        } catch {}

        return
      }

      case 'P': {
        // P <port>
        const port = Number(buf.slice(start + 2, end))
        this.starting?.resolve(port)
        this.starting = undefined
        return
      }

      case 'S': {
        // S <n>: every line sent before `S n` is applied (and every L written before it delivered).
        const n = Number(buf.slice(start + 2, end))
        for (const [k, resolve] of this.syncs) {
          if (k > n) continue
          this.syncs.delete(k)
          resolve()
        }

        return
      }

      case 'W': {
        // W <name>
        this.ask(buf.slice(start + 2, end))
        break
      }
    }
  }

  private poll(): void {
    if (this.names.size === 0) {
      this.stopPolling()
      return
    }

    const out = this.names.changes()
    if (out !== '') this.send(out)
  }

  private send(text: string): void {
    const stdin = this.child?.stdin
    if (stdin && stdin.writable) stdin.write(text)
  }

  /** Resolves every waiting refresh() (the child is gone: there is nothing to wait for). */
  private settleSyncs(): void {
    for (const resolve of this.syncs.values()) resolve()
    this.syncs.clear()
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller)
    this.poller = undefined
  }
}
