// A differential fuzz of the two routers' request parsers: the same random and mutated request heads go to the
// Node engine and to the native one (whose C parser hands anything it doubts to the Node parser), in front of the
// same dyno; both must answer with the same status class (or both close without an answer). A head one engine
// accepts and the other rejects is where smuggling lives. Deterministic (seeded), bounded to a few seconds.
import http from 'node:http'
import net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {RouterOptions} from '../../../src/platform/router/proxy.js'

import {NativeRouter} from '../../../src/platform/router/native.js'
import {engines} from './engines.js'

const SEED = 0x5E_ED_F0_0D
const CASES = 1000
const PARALLEL = 40

/** xorshift32: a small seeded PRNG (the same cases on every run). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4_294_967_296
  }
}

const H = 'Host: demo.localhost\r\n'
/** The seed corpus: ordinary requests, and the smuggling and framing variants both parsers must agree on. */
const CORPUS = [
  `GET / HTTP/1.1\r\n${H}\r\n`,
  `GET /a?b=c HTTP/1.1\r\n${H}Accept: */*\r\nCookie: a=b\r\n\r\n`,
  `POST /p HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nbody`,
  `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
  `GET / HTTP/1.0\r\n${H}\r\n`,
  `GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  `GET / HTTP/1.1\r\n${H}Connection: keep-alive\r\n\r\n`,
  `GET / HTTP/1.1\r\n${H}Connection: keep-alive, x-hop\r\nX-Hop: 1\r\n\r\n`,
  `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: echo\r\n\r\n`,
  `POST /e HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi`,
  `GET / HTTP/1.1\r\n${H}Via: 1.0 corp\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n`,
  `GET / HTTP/1.1\r\n${H}X-Request-Id: client-supplied-request-id-12345\r\n\r\n`,
  'GET / HTTP/1.1\r\nHost: nope.localhost\r\n\r\n',
  'GET / HTTP/1.1\r\nHost: demo.localhost:1234\r\n\r\n',
  `GET http://demo.localhost/abs HTTP/1.1\r\n${H}\r\n`,
  // Smuggling and framing variants.
  `POST / HTTP/1.1\r\n${H}Connection: keep-alive, Content-Length\r\nContent-Length: 4\r\n\r\nbody`,
  `POST / HTTP/1.1\r\n${H}Connection: content-length\r\nContent-Length: 4\r\n\r\nbody`,
  `POST / HTTP/1.1\r\n${H}Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  `GET / HTTP/1.1\r\n${H}Connection: host\r\n\r\n`,
  `GET / HTTP/1.1\r\n${H}Connection: close\r\nConnection: content-length\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nbody`,
  `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n`,
  `POST / HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nbody`,
  `POST / HTTP/1.1\r\n${H}Content-Length: 4 4\r\n\r\nbody`,
  `GET / HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n`,
  `GET / HTTP/1.1\n${H}\r\n`,
  'GET / HTTP/1.1\r\nHost: demo.localhost\r\nHost: other.localhost\r\n\r\n',
  'GET / HTTP/1.1\r\n\r\n',
  `GET / HTTP/2.0\r\n${H}\r\n`,
  `GET  / HTTP/1.1\r\n${H}\r\n`,
]

const NAMES = ['Content-Length', 'Transfer-Encoding', 'Connection', 'Host', 'Upgrade', 'Expect', 'Via', 'X-Forwarded-For', 'TE', 'Trailer', 'Keep-Alive', 'X-Request-Id']
const FRAMING_VALUES = ['0', '4', '-1', 'chunked', 'close', 'keep-alive', 'keep-alive, content-length', 'Content-Length', 'transfer-encoding', 'HOST']
const VALUES = [...FRAMING_VALUES, ' ', '', 'demo.localhost', 'a, b', '100-continue', 'websocket']
const BYTES = [' ', '\t', '\r', '\n', ':', ',', ';', '\0', '\u007F', '\u00A0', 'A', '0', '"', '%']

function pick<T>(rand: () => number, list: T[]): T {
  return list[Math.floor(rand() * list.length)]
}

/** One mutation of a head (latin1 text): a byte inserted, deleted or replaced, a field line added or duplicated. */
function mutate(rand: () => number, head: string): string {
  const at = Math.floor(rand() * (head.length + 1))
  switch (Math.floor(rand() * 6)) {
    case 0: {
      return head.slice(0, at) + pick(rand, BYTES) + head.slice(at)
    }

    case 1: {
      return head.slice(0, at) + head.slice(at + 1)
    }

    case 2: {
      const c = head.charAt(at)
      return head.slice(0, at) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + head.slice(at + 1)
    }

    case 3: {
      // A field line after the request line.
      const eol = head.indexOf('\r\n') + 2
      return `${head.slice(0, eol)}${pick(rand, NAMES)}:${rand() < 0.5 ? ' ' : ''}${pick(rand, VALUES)}\r\n${head.slice(eol)}`
    }

    case 4: {
      // A field line of the head repeated.
      const lines = head.split('\r\n')
      const k = 1 + Math.floor(rand() * Math.max(1, lines.length - 3))
      lines.splice(k, 0, lines[k])
      return lines.join('\r\n')
    }

    default: {
      return head.slice(0, at) + pick(rand, BYTES) + head.slice(at + 1)
    }
  }
}

/** The generated cases: every corpus entry as it is, then mutants (one to three mutations each). */
function cases(): string[] {
  const rand = prng(SEED)
  const out = [...CORPUS]
  while (out.length < CASES) {
    let head = pick(rand, CORPUS)
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) head = mutate(rand, head)
    out.push(head)
  }

  return out
}

/**
 * The router's first final answer as its status class and who gave it: `4r` (a 4xx page of the router itself),
 * `2d` (the dyno's 2xx) …, or `-` when the connection closed without an answer. Which side answered matters: a head
 * one engine rejects and the other passes to a dyno that rejects it too is still a parser disagreement.
 */
function outcome(port: number, request: string): Promise<string> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      // 1xx heads (100 Continue, 101) are skipped: the class is the final answer's, when one came.
      const heads = [...text.matchAll(/HTTP\/1\.\d (\d)\d\d [^]*?\r\n\r\n/g)]
      const final = heads.find(m => m[1] !== '1') ?? heads[0]
      resolve(final ? `${final[1]}${text.includes('<small>ferry router</small>') ? 'r' : 'd'}` : '-')
    }

    const timer = setTimeout(done, 2000)
    socket.on('data', d => {
      text += d.toString('latin1')
    })
    socket.on('error', () => {})
    socket.on('close', done)
    // The client half-closes after its bytes: an incomplete head or body ends the exchange instead of waiting.
    socket.end(Buffer.from(request, 'latin1'))
  })
}

// The Node engine, then each native build (the sanitizer build too: the fuzz is its best workout).
const compared = engines.filter(e => !e.skip)
describe.skipIf(compared.length < 2)(`router parsers, differential fuzz (${compared.map(e => e.name).join(' vs ')})`, () => {
  let dyno: http.Server
  const routers: ReturnType<(typeof engines)[number]['make']>[] = []
  const ports: number[] = []

  beforeAll(async () => {
    dyno = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => res.end(`ok ${req.url}`))
    })
    dyno.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n'))
    await new Promise<void>(r => dyno.listen(0, '127.0.0.1', r))
    const target = {dyno: 'web.1', port: (dyno.address() as net.AddressInfo).port}
    const options: RouterOptions = {
      log() {},
      port: 0,
      resolveApp: name => (name === 'demo' ? {id: 'app-demo', name: 'demo'} : undefined),
      targets: () => [target],
      timeoutMs: 500,
    }
    for (const e of compared) routers.push(e.make(options))
    for (const r of routers) ports.push(await r.listen())
    // A native child learns about the app on its first request for it.
    for (const [k, r] of routers.entries()) {
      await outcome(ports[k], `GET / HTTP/1.1\r\n${H}\r\n`)
      await r.refresh()
    }
  })
  afterAll(async () => {
    // No native child crashed on the way (a sanitizer finding aborts it).
    const exits = routers.map(r => (r instanceof NativeRouter ? r.unexpectedExits : 0))
    for (const r of routers) await r.close()
    expect(exits.every(n => n === 0)).toBe(true)
    dyno?.closeAllConnections()
    dyno?.close()
  })

  it(`agrees on who answers, and with which status class, for ${CASES} seeded heads (corpus + mutants)`, async () => {
    const all = cases()
    const disagreements: string[] = []
    const classes = new Set<string>()
    for (let i = 0; i < all.length; i += PARALLEL) {
      const batch = all.slice(i, i + PARALLEL)
      const results = await Promise.all(batch.map(async head => Promise.all(ports.map(port => outcome(port, head)))))
      for (const [k, [node, ...natives]] of results.entries()) {
        classes.add(node)
        for (const [n, native] of natives.entries()) {
          if (node !== native) disagreements.push(`node ${node}, ${compared[n + 1].name} ${native}: ${JSON.stringify(batch[k])}`)
        }
      }
    }

    expect(disagreements).toEqual([])
    // The cases reach both sides of the parsers: accepted, rejected, and failed upstream.
    expect(classes).toContain('2d')
    expect(classes).toContain('4r')
    expect(classes).toContain('4d')
  })
})
