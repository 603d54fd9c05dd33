// The client's transport (node:http keep-alive agent): fixed-length bodies, connection reuse, and one retry when the
// server dropped a reused keep-alive connection just as the next request arrived.
import http from 'node:http'
import net from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {Http} from '../../src/api/client.js'
import {Transport} from '../../src/api/transport.js'

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

describe('streams over the same transport (log sessions, build output, source uploads)', () => {
  const servers: http.Server[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise(resolve => s.close(resolve))
  })

  async function listen(handler: http.RequestListener): Promise<string> {
    const s = http.createServer(handler)
    servers.push(s)
    await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`
  }

  it('follows redirects as fetch did, and never carries the token to another origin', async () => {
    const seen: Array<{auth?: string; url?: string}> = []
    const other = await listen((req, res) => {
      seen.push({auth: req.headers.authorization, url: req.url})
      res.end('moved output')
    })
    const origin = await listen((req, res) => {
      seen.push({auth: req.headers.authorization, url: req.url})
      if (req.url === '/a') res.writeHead(307, {location: '/b'}).end()
      else res.writeHead(302, {location: `${other}/c`}).end()
    })
    const transport = new Transport()
    const res = await transport.exchange(`${origin}/a`, {headers: {authorization: 'Bearer t'}, redirect: 'follow'})
    expect(await res.text()).toBe('moved output')
    transport.close()
    expect(seen).toEqual([{auth: 'Bearer t', url: '/a'}, {auth: 'Bearer t', url: '/b'}, {auth: undefined, url: '/c'}])
  })

  it('the API client does not follow redirects (as before)', async () => {
    const url = await listen((_req, res) => res.writeHead(302, {'content-type': 'application/json', location: '/elsewhere'}).end('{"moved":true}'))
    const client = new Http({connect: async () => ({token: 't', url})})
    expect(await client.raw('GET', '/x')).toMatchObject({body: {moved: true}, status: 302})
    await client.close()
  })
})
