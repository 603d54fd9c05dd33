import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import type {WebTarget} from '../../../src/platform/context.js'

import {NativeRouter} from '../../../src/platform/router/native.js'
import {HttpRouter} from '../../../src/platform/router/proxy.js'
import {binary, engines} from './engines.js'

interface Backend {
  port: number
  seen: Array<{body: string; headers: http.IncomingHttpHeaders; method: string; url: string}>
  server: http.Server
}

async function backend(name: string, handler?: http.RequestListener): Promise<Backend> {
  const seen: Backend['seen'] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      seen.push({body, headers: req.headers, method: req.method!, url: req.url!})
      if (handler) {
        handler(req, res)
        return
      }

      const text = JSON.stringify({body, dyno: name, url: req.url})
      res.setHeader('Content-Type', 'application/json')
      if (req.url === '/chunked') {
        res.write(text.slice(0, 5))
        setTimeout(() => res.end(text.slice(5)), 10)
        return
      }

      res.end(text)
    })
  })
  server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n')
    socket.on('data', d => socket.write(`echo:${d}`))
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  return {port: (server.address() as net.AddressInfo).port, seen, server}
}

async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r))
  const {port} = s.address() as net.AddressInfo
  await new Promise(r => s.close(r))
  return port
}

interface Reply {
  body: string
  headers: http.IncomingHttpHeaders
  status: number
}

function request(port: number, options: {agent?: http.Agent; body?: string; chunked?: boolean; headers?: Record<string, string>; host?: string; method?: string; path?: string} = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {host: options.host ?? 'demo.localhost', ...options.headers}
    const r = http.request({agent: options.agent ?? false, headers, host: '127.0.0.1', method: options.method ?? 'GET', path: options.path ?? '/', port}, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve({body: Buffer.concat(chunks).toString(), headers: res.headers, status: res.statusCode!}))
    })
    r.on('error', reject)
    if (options.body !== undefined) {
      if (options.chunked) {
        r.write(options.body.slice(0, 3))
        setTimeout(() => r.end(options.body!.slice(3)), 10)
        return
      }

      r.end(options.body)
      return
    }

    r.end()
  })
}

/** Sends raw bytes, collects everything until the router closes the connection (or timeout). */
function raw(port: number, data: string, options: {end?: boolean; waitMs?: number} = {}): Promise<string> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', d => {
      out += d.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve(out))
    socket.write(data)
    if (options.end) socket.end()
    setTimeout(() => {
      socket.destroy()
      resolve(out)
    }, options.waitMs ?? 2000)
  })
}

// The backends, shared by both engines' suites.
const backends: Backend[] = []
beforeAll(async () => {
  for (const name of ['web.1', 'web.2', 'web.3']) backends.push(await backend(name))
})
afterAll(() => {
  for (const b of backends) {
    b.server.closeAllConnections()
    b.server.close()
  }
})

for (const {make, name, skip} of engines) describe.skipIf(skip)(`router (${name})`, () => {
  let targets: Array<WebTarget & {release?: number}> = []
  let pending = false
  let router: HttpRouter | NativeRouter
  let port: number
  const lines: Array<{appId: string; message: string}> = []
  /** Target changes applied, and every log line written so far delivered (the native router's child runs apart). */
  const sync = () => router.refresh()

  beforeAll(async () => {
    router = make({
      log: (appId, message) => lines.push({appId, message}),
      port: 0,
      pending: appId => appId === 'app-demo' && pending,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : name === 'empty' ? {id: 'app-empty', name: 'empty'} : undefined),
      targets: appId => (appId === 'app-demo' ? targets : []),
      timeoutMs: 500,
    })
    port = await router.listen()
    // The native engine asks about an app on its first request for it (and may hand that connection to its
    // fallback): both apps are known before the tests, so their requests take the engine's own path.
    await request(port, {host: 'demo.localhost'})
    await request(port, {host: 'empty.localhost'})
    await sync()
    lines.length = 0
  })
  afterAll(async () => {
    // The child never crashed (a sanitizer finding aborts it; it would be started again unnoticed otherwise).
    const exits = router instanceof NativeRouter ? router.unexpectedExits : 0
    await router?.close()
    expect(exits).toBe(0)
  })

  afterEach(async () => {
    await router?.refresh()
    pending = false
    lines.length = 0
    for (const b of backends) b.seen.length = 0
  })

  const allUp = () => backends.map((b, i) => ({dyno: `web.${i + 1}`, port: b.port}))

  it('round-robins 30 requests over three dynos, one router log line per request', async () => {
    targets = allUp()
    await sync()
    const agent = new http.Agent({keepAlive: true, maxSockets: 4})
    const replies = await Promise.all(Array.from({length: 30}, (_, i) => request(port, {agent, path: `/r${i}`})))
    agent.destroy()
    const dynos = new Set(replies.map(r => JSON.parse(r.body).dyno))
    expect(dynos).toEqual(new Set(['web.1', 'web.2', 'web.3']))
    await sync()
    expect(lines.length).toBe(30)
    for (const l of lines) {
      expect(l.appId).toBe('app-demo')
      const head = /^at=info method=GET path="\/r\d+" host=demo\.localhost request_id=[\da-f-]{36} fwd="127\.0\.0\.1" dyno=web\.[123] /
      const tail = / connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http$/
      expect(l.message).toMatch(head)
      expect(l.message).toMatch(tail)
    }
  })

  it('adds X-Forwarded-*, X-Request-Id, Via and drops hop-by-hop headers', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    await request(port, {headers: {connection: 'keep-alive, x-secret', 'x-secret': 'hop', 'x-forwarded-for': '10.0.0.1'}})
    const h = backends[0].seen[0].headers
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1')
    expect(h['x-forwarded-proto']).toBe('http')
    expect(h['x-forwarded-port']).toBe(String(port))
    expect(h['x-request-id']).toMatch(/^[\da-f-]{36}$/)
    expect(h.via).toBe('1.1 ferry')
    expect(h['x-secret']).toBeUndefined()
    expect(h.host).toBe('demo.localhost')
    const passed = 'client-supplied-request-id-12345'
    await request(port, {headers: {'x-request-id': passed}})
    expect(backends[0].seen[1].headers['x-request-id']).toBe(passed)
    await sync()
    expect(lines[1].message).toContain(`request_id=${passed}`)
    // A dropped field as the last line, an HTTP/1.0 client, a Via and an X-Forwarded-For to extend: the dyno still gets a well-formed head.
    const last = 'GET /last HTTP/1.1\r\nHost: demo.localhost\r\nVia: 1.0 corp\r\nConnection: keep-alive\r\n\r\n'
    const out = await raw(port, `${last}GET /ten HTTP/1.0\r\nHost: demo.localhost\r\nKeep-Alive: 5\r\n\r\n`, {end: true})
    expect(out.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2)
    const [lastSeen, ten] = backends[0].seen.slice(2)
    expect(lastSeen).toMatchObject({url: '/last'})
    expect(lastSeen.headers).toMatchObject({connection: 'keep-alive', host: 'demo.localhost', via: '1.0 corp, 1.1 ferry', 'x-forwarded-for': '127.0.0.1'})
    expect(ten).toMatchObject({url: '/ten'})
    expect(ten.headers).toMatchObject({connection: 'close', via: '1.1 ferry'})
    expect(ten.headers['keep-alive']).toBeUndefined()
  })

  it('streams request bodies (Content-Length and chunked) and chunked responses', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    const a = await request(port, {body: 'hello body', method: 'POST'})
    expect(JSON.parse(a.body).body).toBe('hello body')
    const b = await request(port, {body: 'chunky body', chunked: true, method: 'POST'})
    expect(JSON.parse(b.body).body).toBe('chunky body')
    const c = await request(port, {path: '/chunked'})
    expect(JSON.parse(c.body).url).toBe('/chunked')
    expect(c.headers['transfer-encoding']).toBe('chunked')
  })

  it('answers 404 for unknown apps and 503 (H14) when no web dyno is up', async () => {
    targets = allUp()
    await sync()
    const unknown = await request(port, {host: 'nope.localhost'})
    expect(unknown.status).toBe(404)
    expect(unknown.body).toContain('No such app')
    expect((await request(port, {host: '127.0.0.1'})).status).toBe(404)
    const none = await request(port, {host: 'empty.localhost:1234'})
    expect(none.status).toBe(503)
    await sync()
    expect(lines.at(-1)!.message).toMatch(/^at=error code=H14 desc="No web processes running" method=GET path="\/" host=empty\.localhost .*status=503/)
    expect(lines.at(-1)!.appId).toBe('app-empty')
  })

  it('handles pipelined requests in order, each routed and logged', async () => {
    targets = allUp()
    await sync()
    const out = await raw(
      port,
      'GET /p1 HTTP/1.1\r\nHost: demo.localhost\r\n\r\n' +
        'POST /p2 HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: 4\r\n\r\nbody' +
        'POST /p3 HTTP/1.1\r\nHost: demo.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
        'GET /p4 HTTP/1.1\r\nHost: demo.localhost\r\nConnection: close\r\n\r\n',
    )
    const urls = [...out.matchAll(/"url":"(\/p\d)"/g)].map(m => m[1])
    expect(urls).toEqual(['/p1', '/p2', '/p3', '/p4'])
    expect(out).toContain('"body":"body"')
    expect(out).toContain('"body":"abc"')
    await sync()
    // Sorted: with the native engine, lines logged by its child and by the fallback arrive by different paths.
    expect(lines.map(l => /path="([^"]+)"/.exec(l.message)![1]).sort()).toEqual(['/p1', '/p2', '/p3', '/p4'])
    expect(new Set(lines.map(l => /dyno=(\S+)/.exec(l.message)![1])).size).toBeGreaterThan(1)
  })

  it('logs each request under its own Host on a connection that switches hosts', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    // demo, a host with no app, demo, a host that is no app name at all (both answered elsewhere), demo again.
    const hosts = ['demo.localhost', 'ghost.localhost', 'demo.localhost', '127.0.0.1', 'demo.localhost']
    const out = await raw(port, hosts.map((host, i) => `GET /h${i + 1} HTTP/1.1\r\nHost: ${host}\r\n${i === 4 ? 'Connection: close\r\n' : ''}\r\n`).join(''))
    expect(out.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200'])
    await sync()
    expect(lines.map(l => /path="([^"]+)" host=(\S+)/.exec(l.message)!.slice(1).join(' '))).toEqual(['/h1 demo.localhost', '/h3 demo.localhost', '/h5 demo.localhost'])
  })

  it('rejects smuggling attempts with 400 and closes, forwarding nothing', async () => {
    targets = allUp()
    await sync()
    const attempts = [
      'POST / HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: demo.localhost\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /smuggled HTTP/1.1\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: demo.localhost\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: demo.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n',
    ]
    for (const attempt of attempts) {
      const out = await raw(port, attempt)
      expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(out).toContain('Connection: close')
    }

    expect(backends.flatMap(b => b.seen).filter(s => s.url === '/smuggled')).toEqual([])
    // The chunked attempt with a bad size was forwarded head-first, then cut off: never a second request.
    expect(backends.flatMap(b => b.seen).length).toBeLessThanOrEqual(1)
  })

  it('rejects a Connection header naming a framing field (400), so a later client\'s request is not swallowed', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    // The attacker's body is the start of a request whose last header line is left open: had the router framed the
    // body by Content-Length and then dropped that field (hop-by-hop, as Connection names it), the dyno would read
    // the body as the next request on that pooled connection, and the next client's request (with its cookie)
    // would become the rest of it. The Via sends the victim's request through the Node router on both engines
    // (the pool the handed-off attack would have poisoned).
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: demo.localhost\r\nX-Swallow: '
    const variants = ['keep-alive, Content-Length', 'content-length', 'Keep-Alive ,\tCONTENT-LENGTH ', 'close, transfer-encoding', 'host']
    for (const connection of variants) {
      const attack = `POST /attack HTTP/1.1\r\nHost: demo.localhost\r\nConnection: ${connection}\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`
      const out = await raw(port, attack, {waitMs: 300})
      expect(out, connection).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      const victim = await request(port, {headers: {cookie: 'session=victim', via: '1.0 corp'}, path: '/victim'})
      expect(victim.status).toBe(200)
      expect(JSON.parse(victim.body).url).toBe('/victim')
    }

    const seen = backends[0].seen
    expect(seen.map(s => s.url)).toEqual(variants.map(() => '/victim'))
    expect(seen.every(s => s.headers.cookie === 'session=victim')).toBe(true)
  })

  it('answers 502 (H17) when a dyno\'s response names Content-Length or Transfer-Encoding in Connection', async () => {
    const heads = ['Content-Length: 5\r\nConnection: keep-alive, Content-Length', 'Transfer-Encoding: chunked\r\nConnection: Transfer-Encoding']
    for (const head of heads) {
      const body = head.includes('chunked') ? '5\r\nhello\r\n0\r\n\r\n' : 'hello'
      const bad = net.createServer(socket => socket.once('data', () => socket.end(`HTTP/1.1 200 OK\r\n${head}\r\n\r\n${body}`)))
      await new Promise<void>(r => bad.listen(0, '127.0.0.1', r))
      try {
        targets = [{dyno: 'web.5', port: (bad.address() as net.AddressInfo).port}]
        await sync()
        const r = await request(port, {path: '/bad-connection'})
        expect(r.status, head).toBe(502)
        await sync()
        expect(lines.at(-1)!.message).toMatch(/^at=error code=H17 desc="Poorly formatted HTTP response" .*status=502/)
      } finally {
        bad.close()
      }
    }
  })

  it('answers a request followed by a half-close, then closes', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    const out = await raw(port, 'GET /half HTTP/1.1\r\nHost: demo.localhost\r\n\r\n', {end: true})
    expect(out).toMatch(/^HTTP\/1\.1 200 OK/)
    expect(out).toContain('"url":"/half"')
  })

  it('rejects oversized heads with 431', async () => {
    const out = await raw(port, `GET / HTTP/1.1\r\nHost: demo.localhost\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`)
    expect(out).toMatch(/^HTTP\/1\.1 431 /)
  })

  it('sees a FIN that arrives with the last bytes: close-delimited responses end, rejected connections close', async () => {
    // One write with its FIN: edge-triggered readers must not stop at the short read before the EOF.
    const eof = net.createServer(socket => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-close')))
    await new Promise<void>(r => eof.listen(0, '127.0.0.1', r))
    try {
      targets = [{dyno: 'web.1', port: (eof.address() as net.AddressInfo).port}]
      await sync()
      for (let i = 0; i < 3; i++) expect((await request(port, {path: `/eof${i}`})).body).toBe('until-close')
      await sync()
      // Ended by the dyno's EOF (logged as served), not by the request timeout.
      expect(lines.filter(l => /path="\/eof\d" .*status=200 /.test(l.message))).toHaveLength(3)
      // A head the router rejects: the answer and its FIN reach the client (which then closes too).
      const closed = await new Promise<boolean>(resolve => {
        const socket = net.connect(port, '127.0.0.1')
        socket.on('error', () => {})
        socket.on('close', () => resolve(true))
        socket.resume()
        socket.write(`GET / HTTP/1.1\r\nHost: demo.localhost\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`)
        setTimeout(() => resolve(false), 5000)
      })
      expect(closed).toBe(true)
    } finally {
      eof.close()
    }
  })

  it('retries an idempotent request on another dyno when one refuses; POST gets 502', async () => {
    const dead = await closedPort()
    targets = [{dyno: 'web.1', port: dead}, {dyno: 'web.2', port: backends[1].port}]
    await sync()
    for (let i = 0; i < 4; i++) {
      const r = await request(port)
      expect(r.status).toBe(200)
      expect(JSON.parse(r.body).dyno).toBe('web.2')
    }

    targets = [{dyno: 'web.1', port: dead}]
    await sync()
    const post = await request(port, {body: 'x', method: 'POST'})
    expect(post.status).toBe(502)
    await sync()
    expect(lines.at(-1)!.message).toMatch(/^at=error code=H10 desc="App crashed" method=POST .*status=502/)
  })

  it('answers 503 H12 when a dyno does not respond in time', async () => {
    const slow = await backend('slow', () => {})
    targets = [{dyno: 'web.9', port: slow.port}]
    await sync()
    const r = await request(port)
    expect(r.status).toBe(503)
    await sync()
    expect(lines.at(-1)!.message).toMatch(/^at=error code=H12 desc="Request timeout" .*dyno=web\.9 .*status=503/)
    slow.server.closeAllConnections()
    slow.server.close()
  })

  it('passes WebSocket-style upgrades through', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    const out = await new Promise<string>(resolve => {
      const socket = net.connect(port, '127.0.0.1')
      let data = ''
      socket.on('data', d => {
        data += d.toString()
        if (data.includes('\r\n\r\n') && !data.includes('echo:')) socket.write('ping')
        if (data.includes('echo:ping')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.write('GET /ws HTTP/1.1\r\nHost: demo.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n')
    })
    expect(out).toMatch(/^HTTP\/1\.1 101 Switching Protocols/)
    expect(out).toContain('echo:ping')
    await sync()
    expect(lines.at(-1)!.message).toContain('status=101')
  })

  it('routes only to the newest release when targets carry versions (preboot)', async () => {
    targets = [
      {dyno: 'web.1', port: backends[0].port, release: 3},
      {dyno: 'web.1', port: backends[1].port, release: 4},
      {dyno: 'web.2', port: backends[2].port, release: 4},
    ]
    await sync()
    const replies = await Promise.all(Array.from({length: 8}, () => request(port)))
    expect(backends[0].seen.length).toBe(0)
    expect(new Set(replies.map(r => JSON.parse(r.body).dyno))).toEqual(new Set(['web.2', 'web.3']))
  })

  it('keeps HEAD and 204 responses framed on a kept-alive connection', async () => {
    targets = allUp().slice(0, 1)
    await sync()
    const out = await raw(
      port,
      'HEAD /h HTTP/1.1\r\nHost: demo.localhost\r\n\r\nGET /after HTTP/1.1\r\nHost: demo.localhost\r\nConnection: close\r\n\r\n',
    )
    expect(out.match(/HTTP\/1\.1 200 OK/g)!.length).toBe(2)
    expect(out).toContain('"url":"/after"')
  })

  it('holds requests while web dynos are starting, then routes them (restart / deploy without H14)', async () => {
    targets = []
    await sync()
    pending = true
    setTimeout(() => {
      targets = allUp().slice(1, 2)
      pending = false
    }, 200)
    const held = request(port, {headers: {'x-held': 'yes'}, path: '/held'})
    const heldPost = request(port, {body: 'held body', method: 'POST', path: '/held-post'})
    // Other connections' reads meanwhile (the router reads every connection into one buffer).
    expect((await request(port, {host: 'nope.localhost', path: `/${'x'.repeat(2000)}`})).status).toBe(404)
    const r = await held
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({dyno: 'web.2', url: '/held'})
    expect(JSON.parse((await heldPost).body)).toMatchObject({body: 'held body', url: '/held-post'})
    expect(backends[1].seen.find(x => x.url === '/held')!.headers['x-held']).toBe('yes')
  })

  it('sends a refused request (never delivered) to another dyno, whatever the method', async () => {
    const dead = await closedPort()
    targets = [{dyno: 'web.1', port: dead}]
    await sync()
    setTimeout(() => {
      targets = [{dyno: 'web.1', port: dead}, {dyno: 'web.3', port: backends[2].port}]
    }, 100)
    const r = await request(port, {method: 'DELETE', path: '/x'})
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body).dyno).toBe('web.3')
  })

  it('gives up with H20 when starting dynos never come up in time', async () => {
    targets = []
    await sync()
    pending = true
    const r = await request(port)
    expect(r.status).toBe(503)
    await sync()
    expect(lines.at(-1)!.message).toMatch(/^at=error code=H20 desc="App boot timeout"/)
  })

  it('answers a client whose dyno replied early and reset the connection mid-body (413), without hanging', async () => {
    // Answers as soon as the head is in, then closes with the body unread (a reset): the request body write fails.
    const early = net.createServer(socket => {
      socket.on('error', () => {})
      socket.once('data', () => socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbig', () => socket.destroy()))
    })
    await new Promise<void>(r => early.listen(0, '127.0.0.1', r))
    targets = [{dyno: 'web.8', port: (early.address() as net.AddressInfo).port}]
    await sync()
    const size = 8 * 1024 * 1024
    const out = await new Promise<string>(resolve => {
      const socket = net.connect(port, '127.0.0.1')
      let text = ''
      socket.on('data', d => {
        text += d.toString('latin1')
      })
      socket.on('error', () => {})
      socket.on('close', () => resolve(text))
      socket.write(`POST /upload HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: ${size}\r\n\r\n`)
      // The router reads and drops the rest of the body once it has answered, then closes.
      socket.write(Buffer.alloc(size, 'x'), () => socket.end())
    })
    // The native engine reads the dyno's answer before the reset; the Node engine's socket is destroyed by the failed
    // write first, so it answers 502 (H13) itself. Either way the client gets an answer and the connection ends.
    if (name !== 'node') expect(out).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n[^]*\r\n\r\nbig$/)
    else expect(out).toMatch(/^HTTP\/1\.1 (413 Payload Too Large|502 Bad Gateway)\r\n/)
    early.close()
  })

  it('stops reading a dyno that floods 1xx heads at a client that does not read (bounded memory)', async () => {
    let sent = 0
    const flood = net.createServer(socket => {
      socket.on('error', () => {})
      const head = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'.repeat(4096))
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && !socket.destroyed) {
          sent += head.length
          if (!socket.write(head)) return socket.once('drain', pump)
        }
      }

      socket.once('data', pump)
    })
    await new Promise<void>(r => flood.listen(0, '127.0.0.1', r))
    targets = [{dyno: 'web.6', port: (flood.address() as net.AddressInfo).port}]
    await sync()
    // The native engine's child is measured; the Node engine runs in this process (its RSS says little here).
    const pid = router instanceof NativeRouter ? router.pid : undefined
    const rss = () => (pid ? Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) : 0)
    const before = rss()
    // A client that sends a request and never reads.
    const client = net.connect(port, '127.0.0.1')
    client.on('error', () => {})
    client.pause()
    client.write('GET /flood HTTP/1.1\r\nHost: demo.localhost\r\n\r\n')
    let last = -1
    for (let i = 0; i < 100 && sent !== last; i++) {
      last = sent
      await new Promise(r => setTimeout(r, 50))
    }

    // The dyno is held back (its writes block) long before 64 MB; the router holds about a megabyte of it.
    expect(sent).toBeLessThan(32 * 1024 * 1024)
    expect(rss() - before).toBeLessThan(12 * 1024)
    client.destroy()
    flood.close()
  })

  it('streams large bodies both ways intact (backpressure, no buffering limits)', async () => {
    // A plain server whose handler is replaced: streaming without reading the whole body first.
    const big = await backend('big')
    const sizes: number[] = []
    big.server.removeAllListeners('request')
    big.server.on('request', (req, res) => {
      if (req.url === '/download') {
        const chunk = Buffer.alloc(64 * 1024, 'd')
        res.writeHead(200, {'Content-Length': String(80 * chunk.length)})
        let left = 80
        const pump = (): void => {
          while (left > 0) {
            left--
            if (!res.write(chunk)) {
              res.once('drain', pump)
              return
            }
          }

          res.end()
        }

        pump()
        return
      }

      let n = 0
      req.on('data', c => {
        n += c.length
      })
      req.on('end', () => {
        sizes.push(n)
        res.end(String(n))
      })
    })
    targets = [{dyno: 'web.7', port: big.port}]
    await sync()
    const upload = 'u'.repeat(6 * 1024 * 1024)
    const up = await request(port, {body: upload, method: 'POST', path: '/upload'})
    expect(up.body).toBe(String(upload.length))
    const down = await request(port, {path: '/download'})
    expect(down.body.length).toBe(80 * 64 * 1024)
    await sync()
    expect(lines.at(-1)!.message).toMatch(/status=200 bytes=\d+/)
    big.server.closeAllConnections()
    big.server.close()
  })
})

describe.skipIf(!binary && !process.env.CI)('NativeRouter (ferry-router)', () => {
  const options = {log() {}, resolveApp: () => undefined, targets: () => []}

  it('rejects listen() with the child\'s E message when the port is taken', async () => {
    const busy = net.createServer()
    await new Promise<void>(r => busy.listen(0, '127.0.0.1', r))
    const router = new NativeRouter({...options, binary, port: (busy.address() as net.AddressInfo).port})
    try {
      const error = await router.listen().then(() => undefined, (error: NodeJS.ErrnoException) => error)
      expect(error?.message).toMatch(/^router: .*address already in use/i)
      expect(error?.code).toBe('EADDRINUSE')
      expect(router.pid).toBeUndefined()
    } finally {
      await router.close()
      busy.close()
    }
  })

  it('routes the common case in the child (not through its fallback), logging each request', async () => {
    const lines: string[] = []
    const router = new NativeRouter({
      binary,
      log: (_, message) => lines.push(message),
      port: 0,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => [{dyno: 'web.1', port: backends[0].port}],
    })
    try {
      const port = await router.listen()
      // The first request names an app the child does not know yet: it asks (and may hand that request over).
      expect((await request(port)).status).toBe(200)
      await router.refresh()
      const fallback = vi.spyOn(router.fallback, 'logInfo')
      for (let i = 0; i < 5; i++) expect(JSON.parse((await request(port, {path: `/c${i}`})).body)).toMatchObject({dyno: 'web.1', url: `/c${i}`})
      expect(backends[0].seen.at(-1)!.headers['x-forwarded-port']).toBe(String(port))
      await router.refresh()
      expect(fallback).not.toHaveBeenCalled()
      expect(lines.slice(1).map(l => /path="([^"]+)"/.exec(l)![1])).toEqual(['/c0', '/c1', '/c2', '/c3', '/c4'])
    } finally {
      await router.close()
    }
  })

  it('answers one request through its fallback and routes the next one on the same connection itself', async () => {
    const lines: string[] = []
    let targets: WebTarget[] = []
    const router = new NativeRouter({
      binary,
      log: (_, message) => lines.push(message),
      port: 0,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => targets,
    })
    try {
      const port = await router.listen()
      const fallback = vi.spyOn(router.fallback, 'logError')
      const fallbackInfo = vi.spyOn(router.fallback, 'logInfo')
      // One connection, three pipelined requests: no dyno up (the Node router answers H14 and logs it), an unknown
      // app (404), then — once a dyno is up — a request the child routes itself.
      const socket = net.connect(port, '127.0.0.1')
      let out = ''
      socket.on('data', d => {
        out += d.toString('latin1')
      })
      await new Promise(r => socket.once('connect', r))
      socket.write('GET /a HTTP/1.1\r\nHost: demo.localhost\r\n\r\nGET /b HTTP/1.1\r\nHost: ghost.localhost\r\n\r\n')
      for (let i = 0; i < 100 && (out.match(/HTTP\/1\.1 /g) ?? []).length < 2; i++) await new Promise(r => setTimeout(r, 20))
      expect(out).toMatch(/^HTTP\/1\.1 503 [^]*HTTP\/1\.1 404 /)
      expect(fallback).toHaveBeenCalledTimes(1)
      targets = [{dyno: 'web.1', port: backends[0].port}]
      await router.refresh()
      socket.write('GET /c HTTP/1.1\r\nHost: demo.localhost\r\n\r\n')
      for (let i = 0; i < 100 && !out.includes('"url":"/c"'); i++) await new Promise(r => setTimeout(r, 20))
      expect(out).toContain('"url":"/c"')
      expect(socket.destroyed).toBe(false)
      socket.destroy()
      await router.refresh()
      expect(fallbackInfo).not.toHaveBeenCalled()
      expect(lines.at(-1)).toMatch(/^at=info method=GET path="\/c" host=demo\.localhost .*dyno=web\.1 .*status=200/)
    } finally {
      await router.close()
    }
  })

  it('starts a child that died again on the same socket: the port is never free meanwhile, and traffic resumes', async () => {
    const router = new NativeRouter({
      binary,
      log() {},
      port: 0,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => [{dyno: 'web.1', port: backends[0].port}],
    })
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    // A would-be thief (a dyno shares the host network): binds the port over and over, as fast as it can, for
    // 800 ms, and reports how often it got it.
    const thief = `
      const net = require('node:net')
      const stats = {attempts: 0, bound: 0, codes: {}}
      const until = Date.now() + 800
      const next = () => {
        if (Date.now() > until) return console.log(JSON.stringify(stats))
        const s = net.createServer()
        stats.attempts++
        s.once('error', e => { stats.codes[e.code] = (stats.codes[e.code] || 0) + 1; next() })
        s.listen(Number(process.argv[1]), '127.0.0.1', () => { stats.bound++; s.close(next) })
      }
      console.log('ready')
      next()`
    try {
      const port = await router.listen()
      expect((await request(port)).status).toBe(200)
      const first = router.pid!
      const child = spawn(process.execPath, ['-e', thief, String(port)], {stdio: ['ignore', 'pipe', 'inherit']})
      let out = ''
      child.stdout.on('data', d => {
        out += d
      })
      const closed = new Promise(r => child.once('close', r))
      await Promise.race([new Promise(r => child.stdout.once('data', r)), closed])
      process.kill(first, 'SIGKILL')
      // Sent while no child runs: it waits in the held socket's backlog and is answered by the next child.
      const during = request(port, {path: '/during-restart'})
      await closed
      const stats = JSON.parse(out.split('\n')[1]) as {attempts: number; bound: number; codes: Record<string, number>}
      expect(stats.bound).toBe(0)
      expect(stats.attempts).toBeGreaterThan(50)
      expect(Object.keys(stats.codes)).toEqual(['EADDRINUSE'])
      expect(spy.mock.calls.join('\n')).toMatch(/exited unexpectedly \(signal SIGKILL\); starting it again/)
      expect(router.pid).not.toBe(first)
      expect(JSON.parse((await during).body).url).toBe('/during-restart')
      expect((await request(port)).status).toBe(200)
    } finally {
      spy.mockRestore()
      await router.close()
    }
  })

  it('closes a handed-over connection whose client stays half-open after the Node router ended it', async () => {
    const router = new NativeRouter({...options, binary, idleClientMs: 300, port: 0})
    try {
      const port = await router.listen()
      const fds = () => readdirSync(`/proc/${router.pid}/fd`).length
      const before = fds()
      // HTTP/1.0 is handed over whole; the Node router answers 404 and closes. The client never closes its side.
      const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
      socket.on('error', () => {})
      let out = ''
      const ended = new Promise(resolve => socket.on('end', resolve))
      socket.on('data', d => {
        out += d.toString('latin1')
      })
      socket.write('GET / HTTP/1.0\r\nHost: ghost.localhost\r\n\r\n')
      await ended
      expect(out).toMatch(/^HTTP\/1\.1 404 /)
      expect(fds()).toBeGreaterThan(before)
      for (let i = 0; i < 100 && fds() > before; i++) await new Promise(r => setTimeout(r, 20))
      expect(fds()).toBe(before)
      socket.destroy()
    } finally {
      await router.close()
    }
  })

  it('close() ends the child process and frees the port', async () => {
    const router = new NativeRouter({...options, binary, port: 0})
    const port = await router.listen()
    const {pid} = router
    expect(pid).toBeGreaterThan(0)
    expect(() => process.kill(pid!, 0)).not.toThrow()
    await router.close()
    expect(() => process.kill(pid!, 0)).toThrow()
    const refused = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.on('connect', () => resolve(s.destroy() && false))
      s.on('error', () => resolve(true))
    })
    expect(refused).toBe(true)
  })
})

// The Node half of the protocol against a stand-in child (a small Node script): runs without the C binary.
describe('NativeRouter protocol (stand-in child)', () => {
  let dir: string
  const fake = `#!/usr/bin/env node
// Prints its start-up lines in pieces (lines split across reads), echoes every stdin line back as \`L echo <line>\`,
// answers \`S n\`, and exits on stdin EOF; all writes in order, 5 ms apart. Named *-error: an E line, then exit 1
// (the child's environment is empty: no way to tell it otherwise).
if (process.argv[1].endsWith('-error')) {
  process.stdout.write('E listen 127.0.0.1:1: Address already in use\\n')
  process.exitCode = 1
} else {
  const queue = ['L args ' + process.argv.slice(2).join(' ') + '\\n', 'P 4', '242\\nL app-x hello ', 'wor', 'ld\\nW demo\\nW ghost\\nW bad name\\n']
  let busy = false
  const pump = () => {
    if (busy || queue.length === 0) return
    busy = true
    process.stdout.write(queue.shift(), () => setTimeout(() => {
      busy = false
      pump()
    }, 5))
  }
  pump()
  let buf = ''
  process.stdin.setEncoding('latin1')
  process.stdin.on('data', d => {
    buf += d
    for (let nl = buf.indexOf('\\n'); nl !== -1; nl = buf.indexOf('\\n')) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      queue.push(line.startsWith('S ') ? line + '\\n' : 'L echo ' + line + '\\n')
    }
    pump()
  })
  process.stdin.on('end', () => process.exit(0))
}
`

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-router-fake-'))
    writeFileSync(join(dir, 'fake-router'), fake, {mode: 0o755})
    writeFileSync(join(dir, 'fake-router-error'), fake, {mode: 0o755})
  })
  afterAll(() => rmSync(dir, {force: true, recursive: true}))

  it('reads P/L/W across chunk boundaries, answers A/N with filtered targets, resends only changes, syncs with S', async () => {
    const lines: Array<{appId: string; message: string}> = []
    let targets: Array<WebTarget & {release?: number}> = [
      {dyno: 'web.1', port: 5001, release: 3},
      {dyno: 'web.1', port: 5002, release: 4},
      {dyno: 'web.2', port: 5003, release: 4},
    ]
    const router = new NativeRouter({
      binary: join(dir, 'fake-router'),
      log: (appId, message) => lines.push({appId, message}),
      port: 0,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => targets,
      timeoutMs: 700,
    })
    try {
      // The port is the socket bound on this side (the stand-in's `P 4242` only says it is ready).
      const port = await router.listen()
      expect(port).toBeGreaterThan(0)
      expect(router.port).toBe(port)
      const echoed = () => lines.filter(l => l.appId === 'echo').map(l => l.message)
      // Until the stand-in has asked about both names (its lines come in pieces, 5 ms apart).
      while (echoed().length < 2) await router.refresh()
      expect(lines[0].message).toBe(`--fallback-port ${router.fallback.port} --head-timeout-ms 15000 --host 127.0.0.1 --idle-client-ms 60000 --idle-upstream-ms 4000 --listen-fd 3 --timeout-ms 700`)
      expect(lines).toContainEqual({appId: 'app-x', message: 'hello world'})
      expect(echoed()).toEqual(['A demo app-demo 5002/web.1,5003/web.2', 'N ghost'])
      await router.refresh()
      expect(echoed()).toHaveLength(2)
      targets = []
      await router.refresh()
      expect(echoed()).toEqual(['A demo app-demo 5002/web.1,5003/web.2', 'N ghost', 'A demo app-demo -'])
      targets = [{dyno: 'web.3', port: 5004}]
      // The poll (every 50 ms) sends it without a refresh().
      while (echoed().length < 4) await new Promise(r => setTimeout(r, 20))
      expect(echoed()[3]).toBe('A demo app-demo 5004/web.3')
      const {pid} = router
      await router.close()
      expect(() => process.kill(pid!, 0)).toThrow()
    } finally {
      await router.close()
    }
  })

  it('rejects listen() with the E message, and starts the child again when it dies later', async () => {
    const base = {binary: join(dir, 'fake-router'), log() {}, port: 0, resolveApp: () => undefined, targets: () => []}
    const failed = new NativeRouter({...base, binary: join(dir, 'fake-router-error')})
    try {
      await expect(failed.listen()).rejects.toThrow('router: listen 127.0.0.1:1: Address already in use')
    } finally {
      await failed.close()
    }

    const router = new NativeRouter(base)
    const errors: unknown[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => errors.push(args.join(' ')))
    try {
      await router.listen()
      const first = router.pid!
      const restarted = new Promise(resolve => {
        const timer = setInterval(() => router.pid !== undefined && router.pid !== first && resolve(clearInterval(timer)), 10)
      })
      process.kill(first, 'SIGKILL')
      await restarted
      expect(errors.join('\n')).toContain(`ferry-router exited unexpectedly (signal SIGKILL); starting it again on port ${router.port}`)
      await router.refresh()
    } finally {
      spy.mockRestore()
      await router.close()
    }
  })
})
