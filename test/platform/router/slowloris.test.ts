// Slowloris against both router engines and the rendezvous listener: a head trickled in byte by byte (every byte
// used to re-arm the timers) is cut off at a total deadline from its first byte, and the connections a client can
// hold are bounded, so they can never take all of the daemon's file descriptors.
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import tls from 'node:tls'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {routerConnectionLimit} from '../../../src/platform/router/index.js'
import {NativeRouter} from '../../../src/platform/router/native.js'
import {HttpRouter} from '../../../src/platform/router/proxy.js'
import {rejectPage, routerResponse} from '../../../src/platform/router/proxy/error-pages.js'
import {HEAD_TIMEOUT_DETAIL} from '../../../src/platform/router/rules.js'
import {Rendezvous} from '../../../src/platform/run/rendezvous.js'
import {ensureCertificate} from '../../../src/platform/run/tls.js'
import {engines, getStatus} from './engines.js'

const HEAD_TIMEOUT_MS = 400
const MAX_CONNECTIONS = 20

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

interface Trickle {
  /** Milliseconds from the first byte to the router's close. */
  closedAfter: number
  received: string
}

/** Sends `text` one byte every `everyMs` (and keeps sending dots after it) until the router closes, or `maxMs`. */
function trickle(port: number, text: string, everyMs: number, maxMs = 5000): Promise<Trickle> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    let i = 0
    let started = 0
    const timer = setInterval(() => {
      started ||= Date.now()
      if (!socket.destroyed) socket.write(i < text.length ? text[i++] : '.')
    }, everyMs)
    const done = () => {
      clearInterval(timer)
      clearTimeout(limit)
      socket.destroy()
      resolve({closedAfter: Date.now() - started, received})
    }

    const limit = setTimeout(done, maxMs)
    socket.on('data', d => {
      received += d.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', done)
  })
}

let dyno: http.Server
let dynoPort: number
beforeAll(async () => {
  dyno = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  await new Promise<void>(r => dyno.listen(0, '127.0.0.1', r))
  dynoPort = (dyno.address() as net.AddressInfo).port
})
afterAll(() => {
  dyno.closeAllConnections()
  dyno.close()
})

for (const {make, name, skip} of engines) describe.skipIf(skip)(`router slowloris bounds (${name})`, () => {
  let router: HttpRouter | NativeRouter
  let port: number

  beforeAll(async () => {
    router = make({
      headTimeoutMs: HEAD_TIMEOUT_MS,
      log() {},
      maxConnections: MAX_CONNECTIONS,
      port: 0,
      resolveApp: n => (n === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => [{dyno: 'web.1', port: dynoPort}],
      // The held requests below end when their dyno has said nothing for this long (H12).
      timeoutMs: 500,
    })
    port = await router.listen()
    expect(await getStatus(port)).toBe(200)
    await router.refresh()
  })
  afterAll(async () => {
    await router?.close()
  })

  it('answers 408 and closes a head still trickling in at its deadline, however active the client is', async () => {
    const head = `GET / HTTP/1.1\r\nHost: demo.localhost\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`
    const t = await trickle(port, head, 40)
    expect(t.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    // The same answer, byte for byte, from every engine (the native one once wrote an empty 408 of its own).
    expect(t.received).toBe(routerResponse(408, rejectPage(408, HEAD_TIMEOUT_DETAIL), true))
    expect(t.closedAfter).toBeGreaterThanOrEqual(HEAD_TIMEOUT_MS - 50)
    expect(t.closedAfter).toBeLessThan(HEAD_TIMEOUT_MS + 1000)
    // A head that is slow but complete in time is routed.
    const slow = await trickle(port, 'GET / HTTP/1.1\r\nHost: demo.localhost\r\nConnection: close\r\n\r\n', 2, 3000)
    expect(slow.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
  })

  it('holds at most maxConnections client connections in the daemon, and serves again once they are gone', async () => {
    // The Node router holds them itself; the native child holds its own (its own descriptor table) and hands
    // over to the daemon's Node router only what it does not route: there the bound applies.
    const daemonSide = router instanceof NativeRouter ? router.fallback : router
    const fds = () => readdirSync('/proc/self/fd').length
    const before = fds()
    const sockets: net.Socket[] = []
    // Complete HTTP/1.0 heads of requests whose body never comes: the native child hands these connections over
    // whole, so both engines hold them in the daemon.
    for (let i = 0; i < 3 * MAX_CONNECTIONS; i++) {
      const s = net.connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.write('POST / HTTP/1.0\r\nHost: demo.localhost\r\nContent-Length: 1000\r\n\r\n')
      sockets.push(s)
    }

    await sleep(300)
    expect(daemonSide.connections).toBeLessThanOrEqual(MAX_CONNECTIONS)
    expect(daemonSide.connections).toBeGreaterThan(0)
    // Each held connection costs the daemon a client socket and one to the dyno (the native engine's hand-over
    // connection is the client socket there), and the dyno, in this process too, its end of that one. This
    // process's own client sockets still open are not the router's.
    const clientSide = sockets.filter(s => !s.destroyed).length
    expect(clientSide).toBeLessThanOrEqual(MAX_CONNECTIONS + 5)
    expect(fds() - before - clientSide).toBeLessThanOrEqual((3 * MAX_CONNECTIONS) + 5)
    for (const s of sockets) s.destroy()
    for (let i = 0; i < 150 && daemonSide.connections > 0; i++) await sleep(20)
    expect(daemonSide.connections).toBe(0)
    expect(await getStatus(port)).toBe(200)
  })
})

describe('rendezvous greeting deadline', () => {
  let dir: string
  let rendezvous: Rendezvous
  let port: number

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-rendezvous-slow-'))
    rendezvous = new Rendezvous({greetingTimeoutMs: HEAD_TIMEOUT_MS, maxConnections: MAX_CONNECTIONS, tls: ensureCertificate(dir)})
    port = await rendezvous.listen()
  })
  afterAll(async () => {
    await rendezvous?.close()
    rmSync(dir, {force: true, recursive: true})
  })

  const closesWithin = (socket: net.Socket | tls.TLSSocket) =>
    new Promise<number>(resolve => {
      const started = Date.now()
      socket.on('error', () => {})
      socket.on('close', () => resolve(Date.now() - started))
      setTimeout(() => resolve(Infinity), 5000)
    })

  it('closes a connection that sends nothing (the TLS sniff waited forever) or trickles its secret line', async () => {
    const silent = net.connect(port, '127.0.0.1')
    const silentClosed = await closesWithin(silent)
    expect(silentClosed).toBeLessThan(HEAD_TIMEOUT_MS + 1000)
    // Over TLS, a byte of the secret line every 40 ms: never a full line in time.
    const secure = tls.connect({host: '127.0.0.1', port, rejectUnauthorized: false})
    const closed = closesWithin(secure)
    await new Promise(r => secure.once('secureConnect', r))
    const timer = setInterval(() => secure.write('x'), 40)
    expect(await closed).toBeLessThan(HEAD_TIMEOUT_MS + 1000)
    clearInterval(timer)
  })

  it('refuses connections past maxConnections', async () => {
    const sockets = Array.from({length: MAX_CONNECTIONS + 10}, () => net.connect(port, '127.0.0.1'))
    const closed = await Promise.all(sockets.map(s => Promise.race([closesWithin(s), sleep(150).then(() => Infinity)])))
    expect(closed.filter(ms => ms < 150).length).toBeGreaterThanOrEqual(10)
    for (const s of sockets) s.destroy()
  })
})

describe('routerConnectionLimit', () => {
  it('takes a quarter of the descriptor limit, within [64, 16384]', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-limits-'))
    try {
      const file = join(dir, 'limits')
      const limits = (n: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${n}                 ${n}                 files     \n`
      for (const [n, expected] of [['1024', 256], ['100', 64], ['20000', 5000], ['unlimited', 16_384]] as const) {
        writeFileSync(file, limits(n))
        expect(routerConnectionLimit(file)).toBe(expected)
      }
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
