// The native router: a small C epoll process (native/router.c, built to dist/native/ferry-router) owns the public
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
import {accessSync, constants, existsSync, statSync} from 'node:fs'
import net from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {getSystemErrorName} from 'node:util'

import {HttpRouter, routableTargets, type RouterOptions} from './proxy.js'
import {sandboxArgs} from './sandbox.js'

/** Asked-about names tracked for updates; past this, names with no app stop being tracked (see ask()). */
const MAX_NAMES = 10_000
/** How often every asked-about name is re-checked (a safety net: the daemon calls refresh() on changes). */
const POLL_MS = 50
/** close(): SIGKILL when the child has not exited this long after SIGTERM. */
const KILL_AFTER_MS = 1000
/** The longest wait before starting a crashed child again (the first waits are 50, 100, 200 ms …). */
const RESTART_MAX_MS = 5000
/** listen(): the child must print `P <port>` (or `E …`) within this time. */
const START_TIMEOUT_MS = 10_000
/** A route key the line protocol can carry (the child only asks about keys routeKey() would give). */
const SAFE_NAME = /^[\u0021-\u007E]{1,255}$/

/**
 * The built ferry-router binary: `dist/native/ferry-router` under the package root (the first directory up from
 * this module with a package.json), or $FERRY_ROUTER_BINARY when set; undefined when it is missing or not executable.
 */
export function nativeRouterBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // FERRY_ROUTER_BINARY: another build to use instead (e.g. an ASan/UBSan build when testing the C side:
  // `FERRY_ROUTER_BINARY=/tmp/ferry-router-asan npx vitest run test/platform/router`).
  let file = env.FERRY_ROUTER_BINARY
  if (!file) {
    let dir = dirname(fileURLToPath(import.meta.url))
    while (!existsSync(join(dir, 'package.json'))) {
      const up = dirname(dir)
      if (up === dir) return undefined
      dir = up
    }

    file = join(dir, 'dist', 'native', 'ferry-router')
  }

  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile() ? file : undefined
  } catch {
    return undefined
  }
}

/** A bound (not yet listening) TCP socket: libuv's handle, which Node's own event loop never accepts on. */
interface BoundSocket {
  close(): void
  readonly fd: number
}

interface TcpBinding {
  TCP: new (type: number) => BoundSocket & {
    bind(address: string, port: number): number
    bind6(address: string, port: number, flags: number): number
    getsockname(out: {port?: number}): number
  }
  constants: {SERVER: number}
}

/**
 * Binds host:port (0 = a free port) in this process and returns the socket and the bound port; the child listens
 * and accepts on it (--listen-fd). A net.Server would accept connections here too (its listener is always polled),
 * so the socket is a bare libuv TCP handle, bound but never listened on by Node. Throws an EADDRINUSE error (like
 * net.Server's) when the port is taken.
 */
export function bindListener(host: string, port: number): {port: number; socket: BoundSocket} {
  // process.binding('tcp_wrap') (deprecated, still in Node's allow-list) is the only way to bind without listening.
  // eslint-disable-next-line n/no-deprecated-api
  const {TCP, constants: c} = (process as unknown as {binding(name: string): TcpBinding}).binding('tcp_wrap')
  const socket = new TCP(c.SERVER)
  const out: {port?: number} = {}
  // libuv keeps a failed bind's EADDRINUSE for later (bind returns 0): getsockname reports it.
  const code = (net.isIPv6(host) ? socket.bind6(host, port, 0) : socket.bind(host, port)) || socket.getsockname(out)
  if (code !== 0 || !out.port) {
    socket.close()
    const name = code === 0 ? 'EINVAL' : getSystemErrorName(code)
    const error: NodeJS.ErrnoException = new Error(`router: cannot listen on ${host}:${port}: ${name === 'EADDRINUSE' ? 'address already in use' : name}`)
    error.code = name
    throw error
  }

  return {port: out.port, socket}
}

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

/** The pid in bwrap's --info-fd JSON (fd 4 of `child`), once it is there; undefined if it never comes. */
function readInfo(child: ChildProcess): Promise<number | undefined> {
  const stream = child.stdio[4] as NodeJS.ReadableStream
  let text = ''
  return new Promise(resolve => {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text)
      if (m) resolve(Number(m[1]))
    })
    stream.on('error', () => resolve(undefined))
    stream.on('end', () => resolve(undefined))
  })
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
  /** Names the child asked about → the line last sent for each. */
  private readonly names = new Map<string, string>()
  /** Names whose last line sent was `N` → when it was sent first (forgotten unknownNameTtlMs later). */
  private readonly unknownSince = new Map<string, number>()
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
    this.send(this.changes() + `S ${n}\n`)
    return done
  }

  /** A name the child has no entry for: answer now, and keep it up to date while it is tracked. */
  private ask(name: string): void {
    if (!SAFE_NAME.test(name)) return
    let line: string
    try {
      line = this.entry(name)
    } catch {
      line = `N ${name}\n`
    }

    let forget = ''
    if (!this.names.has(name) && this.names.size >= MAX_NAMES) {
      // Names with no app (typos, scans) stop being tracked, here and in the child (which asks again on their next
      // request). Names of real apps stay tracked (their targets change).
      for (const k of this.unknownSince.keys()) forget += this.forget(k)
    }

    if (this.names.size < MAX_NAMES) {
      this.names.set(name, line)
      if (line.charCodeAt(0) === 78) this.unknownSince.set(name, Date.now())
      else this.unknownSince.delete(name)
    }

    this.send(forget + line)
    if (!this.poller && this.names.size > 0) this.poller = setInterval(() => this.poll(), POLL_MS).unref()
  }

  /** Stops tracking `name`; returns the `F` line that tells the child. */
  private forget(name: string): string {
    this.names.delete(name)
    this.unknownSince.delete(name)
    return `F ${name}\n`
  }

  /** The changed entry lines (and remembers them as sent), and `F` lines for unknown names past their time. */
  private changes(): string {
    let out = ''
    const expired = Date.now() - (this.options.unknownNameTtlMs ?? 30_000)
    for (const [name, since] of this.unknownSince) if (since < expired) out += this.forget(name)
    for (const [name, sent] of this.names) {
      let line: string
      try {
        line = this.entry(name)
      } catch {
        continue
      }

      if (line !== sent) {
        this.names.set(name, line)
        if (line.charCodeAt(0) !== 78) this.unknownSince.delete(name)
        else if (!this.unknownSince.has(name)) this.unknownSince.set(name, Date.now())
        out += line
      }
    }

    return out
  }

  /** `A <name> <appId> <port>/<dyno>,…` (`-` when none) or `N <name>`, with its newline. */
  private entry(name: string): string {
    const app = this.options.resolveApp(name)
    if (!app) return `N ${name}\n`
    // Maintenance mode: no targets, so the child hands the app's requests to the fallback, which answers 503 H80.
    const targets = app.maintenance ? [] : routableTargets(this.options.targets(app.id))
    let list = ''
    for (const t of targets) list += list === '' ? `${t.port}/${t.dyno}` : `,${t.port}/${t.dyno}`
    return `A ${name} ${app.id} ${list === '' ? '-' : list}\n`
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
    this.unknownSince.clear()
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

    const out = this.changes()
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
