// The rendezvous listener for attached one-off dynos (shared/platform-api.md §3.15), plain TCP on loopback:
// the client writes `<secret>[?query]\r\n`; we answer `rendezvous\r\n` as a write of its own, pause ~150 ms
// (the official client drops its whole first data chunk), then pipe the process output to the client and
// the client's bytes to stdin. Without a TTY, `\x04` means stdin EOF. The connection closes at process exit.
// `?exit_status=1` in the client's line (ferry's own client) appends `\uFFFF heroku-command-exit-status: N`
// at exit, the marker the official CLI's `-x` uses, so commands that call `exit` still report their status.
import {randomBytes} from 'node:crypto'
import net from 'node:net'

import type {OneOffHandle} from '../context.js'

import {isTlsHello, replaying} from '../tls-sniff.js'

export const EXIT_STATUS_MARKER = '\uFFFF heroku-command-exit-status:'

export interface RendezvousOptions {
  /** Kill an attached dyno whose client has not connected within this time (default 30 s). */
  attachTimeoutMs?: number
  /** Pause between the greeting and the first output (default 150 ms). */
  greetingPauseMs?: number
  /**
   * A client must have sent its whole `<secret>` line (after the TLS handshake, when TLS) within this time of
   * connecting, however slowly its bytes keep coming (default 10 s): else the connection is closed.
   */
  greetingTimeoutMs?: number
  /** Connections held at once (default 256): past it new ones are closed at once (the daemon's descriptors). */
  maxConnections?: number
  host?: string
  /** 0 = any free port (default). */
  port?: number
  /**
   * Certificate and key (or a function giving them, called at first listen): clients starting with a TLS handshake
   * (the official CLI) get TLS, others plain TCP.
   */
  tls?: Promise<undefined | {cert: Buffer; key: Buffer}> | {cert: Buffer; key: Buffer}
}

interface Pending {
  handle: OneOffHandle
  /** The process runs on a pseudo-terminal: bytes pass through untouched both ways. */
  pty: boolean
  timer: NodeJS.Timeout
  /** The client is a terminal in raw mode. */
  tty: boolean
}

export class Rendezvous {
  private readonly attachTimeoutMs: number
  private readonly greetingPauseMs: number
  private readonly greetingTimeoutMs: number
  private readonly host: string
  private readonly pending = new Map<string, Pending>()
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private boundPort = 0
  private tlsMaterial: undefined | {cert: Buffer; key: Buffer}
  /** node:tls, loaded at first listen when there is TLS material (an idle daemon does not carry it). */
  private tlsModule: typeof import('node:tls') | undefined

  constructor(private readonly options: RendezvousOptions = {}) {
    this.host = options.host ?? '127.0.0.1'
    this.attachTimeoutMs = options.attachTimeoutMs ?? 30_000
    this.greetingPauseMs = options.greetingPauseMs ?? 150
    this.greetingTimeoutMs = options.greetingTimeoutMs ?? 10_000
    const maxConnections = options.maxConnections ?? 256
    this.server = net.createServer(socket => {
      socket.on('error', () => {})
      if (this.sockets.size >= maxConnections) {
        socket.destroy()
        return
      }

      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      // One deadline from connect to the secret line, TLS sniff and handshake included (see accept()).
      const deadline = setTimeout(() => socket.destroy(), this.greetingTimeoutMs)
      socket.once('close', () => clearTimeout(deadline))
      const tlsOptions = this.tlsMaterial
      const tls = this.tlsModule
      if (!tlsOptions || !tls) {
        this.accept(socket, deadline)
        return
      }

      // One port for both: a TLS ClientHello starts with 0x16.
      socket.once('data', (first: Buffer) => {
        socket.pause()
        if (isTlsHello(first)) {
          const secure = new tls.TLSSocket(replaying(socket, first), {cert: tlsOptions.cert, isServer: true, key: tlsOptions.key})
          secure.on('error', () => socket.destroy())
          this.accept(secure as unknown as net.Socket, deadline)
          return
        }

        socket.unshift(first)
        this.accept(socket, deadline)
        socket.resume()
      })
    })
  }

  get port(): number {
    return this.boundPort
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
    for (const s of this.sockets) s.destroy()
    if (this.server.listening) await new Promise(r => this.server.close(r))
  }

  async listen(): Promise<number> {
    if (this.server.listening) return this.boundPort
    const material = await this.options.tls
    if (material) this.tlsModule ??= await import('node:tls')
    this.tlsMaterial = material
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port ?? 0, this.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    // Attached clients keep the process alive, an idle listener must not (daemon shutdown).
    this.server.unref()
    this.boundPort = (this.server.address() as net.AddressInfo).port
    return this.boundPort
  }

  /** Registers a started one-off dyno; returns its `rendezvous://` attach URL. Unclaimed → stopped after the timeout. */
  async register(handle: OneOffHandle, mode: {pty?: boolean; tty: boolean}): Promise<string> {
    await this.listen()
    const secret = randomBytes(24).toString('base64url')
    const timer = setTimeout(() => {
      if (!this.pending.delete(secret)) return
      handle.stop().catch(() => {})
    }, this.attachTimeoutMs)
    timer.unref()
    this.pending.set(secret, {handle, pty: Boolean(mode.pty), timer, tty: mode.tty})
    // A process that ends before anyone attached is forgotten with it.
    handle.exit
      .then(() => {
        const p = this.pending.get(secret)
        if (p && p.handle === handle) {
          // Keep it claimable for a moment so a fast command's output still reaches the client.
          setTimeout(() => {
            if (this.pending.get(secret)?.handle === handle) {
              clearTimeout(p.timer)
              this.pending.delete(secret)
            }
          }, this.attachTimeoutMs).unref()
        }
      })
      .catch(() => {})
    return `rendezvous://${this.host}:${this.boundPort}/${secret}`
  }

  /** Reads the `<secret>` line; `greetTimer` (armed at connect) ends the connection unless it is complete in time. */
  private accept(socket: net.Socket, greetTimer: NodeJS.Timeout): void {
    socket.on('error', () => {})
    try {
      socket.setNoDelay(true)
    } catch {}

    let line = ''
    const onData = (chunk: Buffer) => {
      line += chunk.toString('latin1')
      const end = line.indexOf('\n')
      if (end === -1) {
        if (line.length > 1024) socket.destroy()
        return
      }

      socket.off('data', onData)
      clearTimeout(greetTimer)
      const request = line.slice(0, end).replace(/\r$/, '')
      const rest = Buffer.from(line.slice(end + 1), 'latin1')
      const [secret, query = ''] = request.replace(/^\//, '').split('?', 2)
      const p = this.pending.get(secret)
      if (!p) {
        socket.destroy()
        return
      }

      this.pending.delete(secret)
      clearTimeout(p.timer)
      this.attach(socket, p, new URLSearchParams(query).get('exit_status') === '1', rest)
    }

    socket.on('data', onData)
  }

  private attach(socket: net.Socket, p: Pending, withStatus: boolean, early: Buffer): void {
    const {handle, pty, tty} = p
    socket.pause()
    socket.write('rendezvous\r\n')
    let exited = false
    let lastByte = 10
    let stdinOpen = true
    const endStdin = () => {
      if (!stdinOpen) return
      stdinOpen = false
      handle.stdin.end()
    }

    const input = (chunk: Buffer) => {
      if (!stdinOpen) return
      if (pty) {
        // The terminal's line discipline handles Ctrl-C, Ctrl-D and echo.
        handle.stdin.write(chunk)
        return
      }

      const eot = chunk.indexOf(4)
      if (tty && chunk.includes(3)) {
        // No real terminal to turn Ctrl-C into SIGINT: end the one-off like the terminal would.
        handle.stop().catch(() => {})
        return
      }

      if (eot === -1) {
        handle.stdin.write(chunk)
        return
      }

      if (eot > 0) handle.stdin.write(chunk.subarray(0, eot))
      endStdin()
    }

    const output = handle.output as NodeJS.ReadableStream & {on: (e: string, f: (...a: any[]) => void) => void}
    const start = () => {
      if (early.length > 0) input(early)
      output.on('data', (chunk: Buffer | string) => {
        let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        if (tty && !pty) buf = Buffer.from(buf.toString('latin1').replaceAll(/\r?\n/g, '\r\n'), 'latin1')
        if (buf.length > 0) lastByte = buf.at(-1)!
        if (!socket.write(buf)) {
          output.pause()
          socket.once('drain', () => output.resume())
        }
      })
      socket.on('data', input)
      socket.resume()
    }

    const greetTimer = setTimeout(start, this.greetingPauseMs)
    const outputDone = new Promise<void>(resolve => {
      output.on('end', resolve)
      output.on('close', resolve)
    })
    socket.on('close', () => {
      clearTimeout(greetTimer)
      // The client went away (Ctrl-C, lost connection): the one-off ends with it.
      if (!exited) handle.stop().catch(() => {})
    })
    socket.on('end', () => {
      if (!tty && !pty) endStdin()
    })
    handle.exit
      .then(async status => {
        exited = true
        await Promise.race([outputDone, new Promise(r => setTimeout(r, 2000))])
        // Output may still be waiting for the greeting pause.
        await new Promise(r => setTimeout(r, 10))
        if (withStatus) socket.write(`${lastByte === 10 ? '' : tty ? '\r\n' : '\n'}${EXIT_STATUS_MARKER} ${status}${tty ? '\r\n' : '\n'}`)
        socket.end()
      })
      .catch(() => socket.destroy())
  }
}
