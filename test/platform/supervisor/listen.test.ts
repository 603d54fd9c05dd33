// Listen detection: the listener-only read of /proc/net/tcp{,6} (stops where the established sockets begin).
import {existsSync} from 'node:fs'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {afterAll, describe, expect, it} from 'vitest'

import {ListenWatcher, listeningPorts} from '../../../src/platform/supervisor/dyno.js'

const listen = (host: string) =>
  new Promise<Server>(resolve => {
    const server = createServer(socket => socket.on('error', () => {}))
    server.listen(0, host, () => resolve(server))
  })
const portOf = (server: Server) => (server.address() as {port: number}).port

describe.skipIf(!existsSync('/proc/net/tcp'))('listeningPorts', () => {
  const servers: Server[] = []
  const sockets: Socket[] = []
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await Promise.all(servers.map(s => new Promise(r => s.close(r))))
  })

  it('finds every listening port with the listener-only read, and no established one', async () => {
    for (let i = 0; i < 40; i++) servers.push(await listen('127.0.0.1'))
    // Established connections (both ends) so the file has sockets after the listeners.
    for (const server of servers.slice(0, 10)) {
      const socket = connect(portOf(server), '127.0.0.1')
      socket.on('error', () => {})
      await new Promise(r => socket.once('connect', r))
      sockets.push(socket)
    }

    const quick = listeningPorts(true)!
    const full = listeningPorts(false)!
    for (const server of servers) {
      expect(quick.has(portOf(server))).toBe(true)
      expect(full.has(portOf(server))).toBe(true)
    }

    for (const socket of sockets) expect(quick.has(socket.localPort!)).toBe(false)
    const closed = servers.pop()!
    const closedPort = portOf(closed)
    await new Promise(r => closed.close(r))
    expect(listeningPorts(true)!.has(closedPort)).toBe(false)
  })

  it('ListenWatcher resolves once the port listens, and false when cancelled', async () => {
    const watcher = new ListenWatcher(2)
    const probe = await listen('127.0.0.1')
    const port = portOf(probe)
    await new Promise(r => probe.close(r))
    const waiting = watcher.wait(port)
    const cancelled = watcher.wait(port)
    cancelled.cancel()
    expect(await cancelled.promise).toBe(false)
    const server = createServer()
    server.listen(port, '127.0.0.1')
    servers.push(server)
    expect(await waiting.promise).toBe(true)
  })
})
