// The client's transport (node:http keep-alive agent): fixed-length bodies, connection reuse, and one retry when the
// server dropped a reused keep-alive connection just as the next request arrived.
import net from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {Http} from '../../src/api/client.js'

interface Conn {heads: string[]; socket: net.Socket}

let server: net.Server | undefined
afterEach(() => new Promise<void>(resolve => {
  if (!server) return resolve()
  server.close(() => resolve())
  server = undefined
}))

/** A raw HTTP/1.1 server; `onRequest` gets the connection, the request index on it and the head; returns false to drop the connection. */
async function rawServer(onRequest: (conn: Conn, index: number, head: string) => boolean): Promise<{conns: Conn[]; url: string}> {
  const conns: Conn[] = []
  server = net.createServer(socket => {
    const conn: Conn = {heads: [], socket}
    conns.push(conn)
    let buffered = ''
    socket.on('data', chunk => {
      buffered += chunk.toString('latin1')
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end)
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0)
        if (buffered.length < end + 4 + length) return
        buffered = buffered.slice(end + 4 + length)
        conn.heads.push(head)
        if (!onRequest(conn, conn.heads.length - 1, head)) {
          socket.destroy()
          return
        }

        const body = '{"ok":true}'
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve))
  return {conns, url: `http://127.0.0.1:${(server!.address() as net.AddressInfo).port}`}
}

describe('API client transport', () => {
  it('reuses one keep-alive connection and sends fixed-length bodies (never chunked)', async () => {
    const {conns, url} = await rawServer(() => true)
    const http = new Http({connect: async () => ({token: 't', url})})
    await http.get('/a')
    await http.post('/b', {x: 1})
    await http.post('/c')
    await http.close()
    expect(conns).toHaveLength(1)
    const [get, post, empty] = conns[0].heads
    expect(get).toMatch(/^GET \/a HTTP\/1.1/)
    expect(get).not.toMatch(/transfer-encoding/i)
    expect(post).toMatch(/content-length: 7/i)
    expect(post).not.toMatch(/transfer-encoding/i)
    expect(empty).toMatch(/content-length: 0/i)
  })

  it('retries once on a new connection when the reused connection is dropped', async () => {
    // The first connection answers its first request, then drops the connection when the second one arrives.
    const {conns, url} = await rawServer((conn, index) => !(conn === conns[0] && index === 1))
    const http = new Http({connect: async () => ({token: 't', url})})
    expect(await http.get('/one')).toEqual({ok: true})
    expect(await http.get('/two')).toEqual({ok: true})
    await http.close()
    expect(conns).toHaveLength(2)
    expect(conns[1].heads[0]).toMatch(/^GET \/two /)
  })
})
