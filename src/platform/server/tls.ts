// HTTPS on the API port, next to plain HTTP: the official heroku CLI writes git remotes as
// https://127.0.0.1:PORT/APP.git (from HEROKU_HOST) and `heroku git:clone` fetches from there. Each connection's
// first byte tells: a TLS ClientHello is wrapped in a TLSSocket with the platform's certificate (the one the
// rendezvous uses; `ferry heroku:env` tells git and the CLI to trust it), anything else is HTTP as before. node:tls is
// loaded at the first TLS client, so an idle daemon does not carry it.
import type {Server} from 'node:http'
import type net from 'node:net'

import type {TlsMaterial} from '../run/tls.js'

import {isTlsHello, replaying} from '../tls-sniff.js'

export interface AcceptTlsOptions {
  /** A client must send its first byte within this time (no head timer runs before the HTTP parser takes over). */
  firstByteTimeoutMs: number
  material: Promise<TlsMaterial | undefined>
}

/** Puts a TLS sniff in front of the HTTP server's own connection handling. */
export function acceptTls(server: Server, options: AcceptTlsOptions): void {
  const handlers = server.listeners('connection') as Array<(socket: net.Socket) => void>
  server.removeAllListeners('connection')
  const serve = (socket: net.Socket) => {
    for (const handler of handlers) handler.call(server, socket)
  }

  let tlsModule: Promise<typeof import('node:tls')> | undefined
  server.on('connection', (socket: net.Socket) => {
    const timer = setTimeout(() => socket.destroy(), options.firstByteTimeoutMs)
    socket.once('close', () => clearTimeout(timer))
    socket.once('data', async (first: Buffer) => {
      clearTimeout(timer)
      socket.pause()
      if (!isTlsHello(first)) {
        socket.unshift(first)
        serve(socket)
        socket.resume()
        return
      }

      const material = await options.material
      if (!material) return socket.destroy()
      tlsModule ??= import('node:tls')
      const tls = await tlsModule
      const secure = new tls.TLSSocket(replaying(socket, first), {cert: material.cert, isServer: true, key: material.key})
      secure.on('error', () => socket.destroy())
      serve(secure as unknown as net.Socket)
    })
  })
}
