// One dyno process: spawn it from a launch plan, read its output continuously, signal it the way bwrap needs.
//
// Process layout under bwrap: [launcher (unshare → sh) →] outer bwrap (our child, its own process group) → bwrap as
// pid 1 of the dyno's PID namespace (`--new-session`: pgid = its pid, learnt from `--info-fd`) → bash/app.
// bwrap forwards no signals, so a graceful stop signals the inner group (the app and its children), never the outer
// bwrap (a SIGTERM there would kill the sandbox at once via --die-with-parent). SIGKILL of the namespace's pid 1 makes
// the kernel kill everything in the namespace, daemons that double-forked and left the group included. The dyno has
// stopped when the outer bwrap exits (it exits as soon as the app's main process does); the namespace's pid 1 may
// linger as a zombie for a second or two (shared/MEASUREMENTS.md §3), which we ignore.
import {type ChildProcess, spawn} from 'node:child_process'
import {closeSync, openSync, readSync} from 'node:fs'
import {connect, createServer} from 'node:net'
import {constants} from 'node:os'
import type {Readable} from 'node:stream'

import type {LaunchPlan} from './sandbox.js'

import {processStartTime} from '../proc.js'
import {monotonicMs} from '../time.js'

export {processStartTime} from '../proc.js'

export interface ExitInfo {
  /** Exit status like a shell reports it: the code, or 128 + signal number. */
  status: number
}

export interface DynoProcess {
  readonly child: ChildProcess
  /** Resolves when the dyno's main process has exited (outer bwrap / bash gone). */
  readonly exited: Promise<ExitInfo>
  /** Pid of the sandbox's pid 1 (= the inner process group), when sandboxed. */
  readonly innerPid: Promise<number | undefined>
  readonly pid: number
  /** SIGKILL everything of the dyno. */
  kill(): void
  /** SIGTERM every process of the dyno (the inner process group), not bwrap itself. */
  terminate(): Promise<void>
}

function signalGroup(pgid: number | undefined, signal: NodeJS.Signals): boolean {
  if (!pgid || pgid <= 1) return false
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

function signalPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid || pid <= 1) return
  try {
    process.kill(pid, signal)
  } catch {}
}

export class SpawnError extends Error {
  readonly kind = 'Spawn'
}

export interface SpawnOptions {
  /** stdin as a pipe (one-offs) instead of /dev/null. */
  stdin?: boolean
}

/** Spawns a dyno. Throws SpawnError when the launcher itself cannot be executed. */
export function spawnDyno(plan: LaunchPlan, options: SpawnOptions = {}): DynoProcess {
  const stdio: Array<'ignore' | 'pipe'> = [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe']
  if (plan.infoFd) stdio.push('pipe', 'pipe', 'pipe')
  const child = spawn(plan.file, plan.args, {cwd: plan.cwd, detached: true, env: plan.env, stdio})
  if (child.pid === undefined) {
    // spawn reports ENOENT asynchronously; the pid is missing synchronously.
    child.on('error', () => {})
    throw new SpawnError(`Could not start ${plan.file}`)
  }

  const pid = child.pid
  const mainExited = new Promise<ExitInfo>(resolve => {
    child.on('error', () => {})
    child.on('exit', (code, signal) => {
      const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
      resolve({status})
    })
  })

  let innerPid: Promise<number | undefined> = Promise.resolve(undefined)
  if (plan.infoFd) {
    const info = child.stdio[3] as Readable
    const envPipe = child.stdio[4] as NodeJS.WritableStream & {on: any}
    envPipe.on('error', () => {})
    envPipe.end(plan.envPayload ?? Buffer.alloc(0))
    const seccompPipe = (child.stdio as unknown[])[5] as NodeJS.WritableStream & {on: any}
    seccompPipe.on('error', () => {})
    seccompPipe.end(plan.seccomp ?? Buffer.alloc(0))
    innerPid = new Promise(resolve => {
      let text = ''
      const done = (value: number | undefined) => {
        info.removeAllListeners('data')
        info.destroy()
        resolve(value)
      }

      info.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        try {
          const parsed = JSON.parse(text) as {'child-pid'?: number}
          done(parsed['child-pid'])
        } catch {}
      })
      info.on('error', () => resolve(undefined))
      info.on('close', () => resolve(undefined))
    })
  }

  // The outer bwrap exits as soon as the app's main process does, while the kernel may still be killing the rest of
  // the namespace (a daemon that double-forked out of the group). The namespace's pid 1 turns zombie only once the
  // namespace is empty: wait for that (bounded), so "exited" means nothing of the dyno is left.
  const exited = mainExited.then(async info => {
    const inner = await innerPid
    if (!inner) return info
    const deadline = Date.now() + 2000
    while (processStartTime(inner) !== undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 2))
    return info
  })

  let exitedFlag = false
  void mainExited.then(async () => {
    exitedFlag = true
    // Leftovers: without a PID namespace, children that stayed in the group; with one, nothing (the kernel killed the
    // namespace when its pid 1 exited), but a group kill of the inner group is harmless.
    signalGroup(pid, 'SIGKILL')
    if (plan.infoFd) signalGroup(await innerPid, 'SIGKILL')
  })

  return {
    child,
    exited,
    innerPid,
    kill() {
      if (!plan.infoFd) {
        signalGroup(pid, 'SIGKILL')
        return
      }

      // SIGKILL the namespace's pid 1 only: the kernel then kills every process in the namespace and the outer bwrap
      // exits after that, so "exited" really means "nothing left". Killing the outer bwrap first would report the
      // dyno gone while the namespace is still being torn down.
      void innerPid.then(inner => {
        if (exitedFlag) return
        if (inner && inner > 1) signalPid(inner, 'SIGKILL')
        else signalGroup(pid, 'SIGKILL')
      })
    },
    pid,
    async terminate() {
      if (exitedFlag) return
      if (!plan.infoFd) {
        signalGroup(pid, 'SIGTERM')
        return
      }

      const inner = await Promise.race([innerPid, new Promise<undefined>(r => setTimeout(r, 2000, undefined))])
      if (exitedFlag) return
      // No inner pid (the sandbox never came up): nothing graceful to do.
      if (!inner || !signalGroup(inner, 'SIGTERM')) signalGroup(pid, 'SIGKILL')
    },
  }
}

/** Splits a byte stream into lines (max `maxBytes` per line, longer ones are split), never pausing the stream. */
export function readLines(stream: Readable, onLine: (line: string) => void, maxBytes = 10_000): void {
  let pending = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    pending += chunk
    let nl: number
    while ((nl = pending.indexOf('\n')) !== -1) {
      emit(pending.slice(0, nl))
      pending = pending.slice(nl + 1)
    }

    while (pending.length > maxBytes) {
      onLine(pending.slice(0, maxBytes))
      pending = pending.slice(maxBytes)
    }
  })
  stream.on('end', () => {
    if (pending) emit(pending)
    pending = ''
  })
  stream.on('error', () => {})

  function emit(line: string) {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line
    for (let i = 0; i < clean.length || i === 0; i += maxBytes) onLine(clean.slice(i, i + maxBytes))
  }
}

const recentPorts = new Map<number, number>()

/** A free TCP port on loopback (not handed out again by this process within a minute). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.unref()
      server.on('error', reject)
      server.listen(0, '0.0.0.0', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const now = Date.now()
    const last = recentPorts.get(port)
    if (last && now - last < 60_000) continue
    recentPorts.set(port, now)
    if (recentPorts.size > 4096) for (const [p, t] of recentPorts) if (now - t > 60_000) recentPorts.delete(p)
    return port
  }

  throw new Error('No free port found')
}

/** true when something accepts a TCP connection on the port (IPv4 loopback, then IPv6). */
export function accepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({host, port})
    const finish = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }

    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
    socket.setTimeout(1000, () => finish(false))
  })
}

const SCAN_CHUNK = Buffer.allocUnsafe(64 * 1024)

/**
 * Adds the ports in LISTEN state listed in one /proc/net/tcp{,6} file to `ports`; false when the file is unreadable.
 * `listenersOnly`: stop at the first socket that is not listening. The kernel lists the listening hash before the
 * established one (tcp_get_idx), and the rest of the file is what makes it expensive: every established and TIME_WAIT
 * socket of the host (a router benchmark next to us leaves hundreds: ~4 ms of kernel time per full read on this VM,
 * against ~0.1 ms for the listeners alone). Read in chunks, so the kernel formats little more than the listeners.
 */
function scanListening(file: string, ports: Set<number>, listenersOnly: boolean): boolean {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return false
  }

  try {
    let pending = ''
    let header = true
    for (;;) {
      const n = readSync(fd, SCAN_CHUNK, 0, listenersOnly ? 1024 : SCAN_CHUNK.length, null)
      if (n === 0) return true
      const lines = (pending + SCAN_CHUNK.toString('latin1', 0, n)).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        if (header) {
          header = false
          continue
        }

        // `  sl  local_address rem_address   st …`: state 0A = LISTEN
        const fields = line.trim().split(/\s+/, 4)
        if (fields.length < 4) continue
        if (fields[3] === '0A') {
          const colon = fields[1].lastIndexOf(':')
          ports.add(Number.parseInt(fields[1].slice(colon + 1), 16))
        } else if (listenersOnly) {
          return true
        }
      }
    }
  } catch {
    return true
  } finally {
    closeSync(fd)
  }
}

/**
 * Ports in LISTEN state on this host (the dynos share its network namespace), from /proc/net/tcp{,6}; undefined when
 * unreadable. `listenersOnly` reads just the listening sockets at the head of each file (see scanListening).
 */
export function listeningPorts(listenersOnly = false): Set<number> | undefined {
  const ports = new Set<number>()
  let readable = false
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) if (scanListening(file, ports, listenersOnly)) readable = true
  return readable ? ports : undefined
}

/** A port still not seen after this long also gets a full read of /proc/net/tcp{,6} (at most once per this period). */
const FULL_SCAN_AFTER_MS = 1000

/**
 * Waits for web dynos to listen on their $PORT. One shared poll (one read of /proc/net/tcp per tick for all starting
 * dynos) instead of a connect() per dyno per tick: with 50 dynos booting on 2 cores, probing connections steals CPU
 * from the very processes we are waiting for. Falls back to connect() probes without /proc.
 */
export class ListenWatcher {
  private lastFullScan = -Infinity
  /** monotonicMs() when each port started waiting. */
  private readonly since = new Map<number, number>()
  private timer?: NodeJS.Timeout
  private readonly waiting = new Map<number, Set<(ok: boolean) => void>>()

  constructor(private readonly intervalMs = 5) {}

  /** Resolves true once something listens on `port`, false when cancelled. */
  wait(port: number): {cancel(): void; promise: Promise<boolean>} {
    let resolver!: (ok: boolean) => void
    const promise = new Promise<boolean>(resolve => {
      resolver = resolve
    })
    const set = this.waiting.get(port) ?? new Set()
    set.add(resolver)
    this.waiting.set(port, set)
    if (!this.since.has(port)) this.since.set(port, monotonicMs())
    this.schedule()
    return {
      cancel: () => {
        this.remove(port, resolver)
        resolver(false)
      },
      promise,
    }
  }

  private remove(port: number, resolver: (ok: boolean) => void): void {
    const set = this.waiting.get(port)
    set?.delete(resolver)
    if (set?.size === 0) {
      this.waiting.delete(port)
      this.since.delete(port)
    }
  }

  private schedule(): void {
    if (this.timer || this.waiting.size === 0) return
    this.timer = setTimeout(() => void this.tick(), this.intervalMs)
  }

  private async tick(): Promise<void> {
    // Listeners only, normally. A full read (all of the host's sockets: costly with many of them) only when a port
    // has waited over a second, at most once a second: in case a kernel ever lists a listener further down.
    const now = monotonicMs()
    let full = false
    if (now - this.lastFullScan >= FULL_SCAN_AFTER_MS) {
      for (const since of this.since.values()) {
        if (now - since >= FULL_SCAN_AFTER_MS) {
          full = true
          this.lastFullScan = now
          break
        }
      }
    }

    const ports = listeningPorts(!full)
    const ready = (port: number) => {
      for (const resolve of this.waiting.get(port) ?? []) resolve(true)
      this.waiting.delete(port)
      this.since.delete(port)
    }

    if (ports) {
      for (const port of this.waiting.keys()) if (ports.has(port)) ready(port)
    } else {
      await Promise.all([...this.waiting.keys()].map(async port => (await accepts(port)) && ready(port)))
    }

    this.timer = undefined
    this.schedule()
  }
}
