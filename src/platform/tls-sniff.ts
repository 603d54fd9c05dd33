// One port for plain and TLS clients: a TLS ClientHello starts with byte 0x16, an HTTP request or a rendezvous
// secret never does. Shared by the API server (the official heroku CLI pushes git to https://127.0.0.1:PORT/APP.git)
// and the rendezvous listener (heroku run attaches over TLS).
import type net from 'node:net'

import {Duplex} from 'node:stream'

/** A Duplex over a socket whose first chunk was already read: TLSSocket can wrap it. */
export function replaying(socket: net.Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    destroy(error, callback) {
      socket.destroy(error ?? undefined)
      callback(error)
    },
    final(callback) {
      socket.end()
      callback()
    },
    read() {
      socket.resume()
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback)
    },
  })
  socket.on('data', d => {
    if (!duplex.push(d)) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('close', () => duplex.destroy())
  duplex.push(first)
  return duplex
}

/** true when the first bytes a client sent open a TLS handshake. */
export const isTlsHello = (first: Buffer): boolean => first[0] === 0x16
