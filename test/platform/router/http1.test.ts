import {describe, expect, it} from 'vitest'

import {
  ChunkedTracker,
  findHeadEnd,
  HttpParseError,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
  responseBodyKind,
} from '../../../src/platform/router/http1.js'

function req(text: string) {
  const buf = Buffer.from(text, 'latin1')
  const end = findHeadEnd(buf)
  if (end === -1) throw new Error('incomplete')
  return parseRequestHead(buf, 0, end)
}

function status(text: string): number {
  try {
    req(text)
  } catch (error) {
    if (error instanceof HttpParseError) return error.status
    throw error
  }

  return 200
}

function feedAll(tracker: ChunkedTracker, text: string, step = 0): number {
  const buf = Buffer.from(text, 'latin1')
  if (step === 0) return tracker.feed(buf)
  let used = 0
  for (let i = 0; i < buf.length && !tracker.done; i += step) used += tracker.feed(buf, i, Math.min(buf.length, i + step))
  return used
}

describe('router http1', () => {
  describe('Connection naming a framing or routing field (smuggling)', () => {
    it('rejects such requests with 400, whatever the case, spacing, list position or field line', () => {
      const head = (connection: string) => `POST / HTTP/1.1\r\nHost: a.localhost\r\n${connection}Content-Length: 3\r\n\r\n`
      for (const c of ['keep-alive, Content-Length', 'content-length', ' CONTENT-LENGTH\t', 'x, transfer-encoding', 'Host', 'close,host']) {
        expect(status(head(`Connection: ${c}\r\n`)), c).toBe(400)
      }

      expect(status(head('Connection: keep-alive\r\nConnection: content-length\r\n'))).toBe(400)
      // Neighbours that are no such field pass.
      for (const c of ['keep-alive', 'close', 'keep-alive, x-hop', 'content-length-x', 'hosts']) expect(status(head(`Connection: ${c}\r\n`)), c).toBe(200)
    })

    it('rejects such responses with 502 (Host in a response frames nothing)', () => {
      const res = (connection: string) => {
        const buf = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: ${connection}\r\n\r\n`, 'latin1')
        try {
          parseResponseHead(buf, 0, buf.length)
          return 200
        } catch (error) {
          return (error as HttpParseError).status
        }
      }

      for (const c of ['keep-alive, Content-Length', 'Transfer-Encoding', 'close ,\tcontent-length']) expect(res(c), c).toBe(502)
      for (const c of ['keep-alive', 'close', 'host']) expect(res(c), c).toBe(200)
    })
  })

  describe('request heads', () => {
    it('parses a simple GET', () => {
      const h = req('GET /a?b=1 HTTP/1.1\r\nHost: demo.localhost:5000\r\nX-A:  spaced value \t\r\nVia:  1.0 x \t\r\n\r\n')
      expect(h).toMatchObject({body: 'none', host: 'demo.localhost:5000', method: 'GET', target: '/a?b=1', upgrade: false, version: 1})
      // Only the fields the router acts on are collected (Via here), trimmed; others are validated only.
      expect(h.headers.map(x => [x.lower, x.value])).toEqual([['host', 'demo.localhost:5000'], ['via', '1.0 x']])
    })

    it('collects every field when Connection names one, and keeps a valid X-Request-Id', () => {
      const h = req('GET / HTTP/1.1\r\nHost: a\r\nX-Secret: 1\r\nConnection: X-Secret\r\nUpgrade: websocket\r\nX-Request-ID: abcdefghijklmnopqrstuvwxyz\r\n\r\n')
      expect(h.connection).toEqual(['x-secret'])
      expect(h.headers.map(x => x.lower)).toEqual(['host', 'x-secret', 'connection', 'upgrade', 'x-request-id'])
      expect(h).toMatchObject({requestId: 'abcdefghijklmnopqrstuvwxyz', upgrade: true})
      expect(req('GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: short\r\n\r\n').requestId).toBe('')
    })

    it('knows the body framing', () => {
      expect(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n')).toMatchObject({body: 'length', length: 12})
      expect(req('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n')).toMatchObject({body: 'none'})
      expect(req('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n')).toMatchObject({body: 'chunked'})
      expect(req('GET / HTTP/1.0\r\n\r\n')).toMatchObject({body: 'none', host: '', version: 0})
      expect(req('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n').connection).toEqual(['keep-alive', 'upgrade'])
    })

    it('rejects smuggling vectors: CL+TE, duplicate or list CL, odd transfer codings', () => {
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n')).toBe(501)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n')).toBe(501)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n')).toBe(400)
      expect(status('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(400)
      // Only spaces and tabs surround a list element: `chunked` followed by NBSP (0xA0) is another coding.
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\u00A0\r\n\r\n')).toBe(501)
      expect(status('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \u00A0chunked\r\n\r\n')).toBe(501)
    })

    it('rejects malformed heads: whitespace before colon, obs-fold, bare LF/CR, CTLs, Host problems, versions', () => {
      expect(status('GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nX-A: b\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/2.0\r\nHost: a\r\n\r\n')).toBe(505)
      expect(status('GET / HTTP/1.2\r\nHost: a\r\n\r\n')).toBe(505)
      expect(status('GET  / HTTP/1.1\r\nHost: a\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1 x\r\nHost: a\r\n\r\n')).toBe(400)
      expect(status('G(T / HTTP/1.1\r\nHost: a\r\n\r\n')).toBe(400)
      expect(status('GET / HTTP/1.1\r\n: empty\r\nHost: a\r\n\r\n')).toBe(400)
    })

    it('bounds head sizes', () => {
      const big = Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`)
      expect(() => findHeadEnd(big)).toThrow(HttpParseError)
      expect(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'))).toBe(-1)
      const ok = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next')
      expect(findHeadEnd(ok)).toBe(27)
    })
  })

  describe('response heads', () => {
    it('parses and decides framing', () => {
      const parse = (t: string) => {
        const b = Buffer.from(t)
        return parseResponseHead(b, 0, findHeadEnd(b))
      }

      const r = parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n')
      expect(r).toMatchObject({connection: ['close'], length: 5, status: 200, version: 1})
      expect(responseBodyKind('GET', r)).toBe('length')
      expect(responseBodyKind('HEAD', r)).toBe('none')
      expect(responseBodyKind('GET', parse('HTTP/1.1 204 No Content\r\n\r\n'))).toBe('none')
      expect(responseBodyKind('GET', parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n'))).toBe('none')
      expect(responseBodyKind('GET', parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))).toBe('chunked')
      expect(responseBodyKind('GET', parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n'))).toBe('chunked')
      expect(responseBodyKind('GET', parse('HTTP/1.1 200 OK\r\n\r\n'))).toBe('close')
      expect(responseBodyKind('GET', parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n'))).toBe('none')
      expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).toThrow(HttpParseError)
      expect(() => parse('HTTP/1.1 2000 OK\r\n\r\n')).toThrow(HttpParseError)
      expect(() => parse('HTTP/1.2 200 OK\r\n\r\n')).toThrow(HttpParseError)
      expect(() => parse('HTTP/1.1 2x0 OK\r\n\r\n')).toThrow(HttpParseError)
      expect(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 1\nX: y\r\n\r\n')).toThrow(HttpParseError)
      expect(parse('HTTP/1.0 404 \r\n\r\n')).toMatchObject({status: 404, version: 0})
      const nbsp = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\u00A0\r\nConnection: close\u00A0\r\n\r\n', 'latin1')
      const odd = parseResponseHead(nbsp, 0, findHeadEnd(nbsp))
      expect(responseBodyKind('GET', odd)).toBe('close')
      expect(odd.connection).toEqual(['close\u00A0'])
    })
  })

  describe('chunked framing', () => {
    const body = '5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n'

    it('finds the exact end of a chunked body, in one piece or byte by byte', () => {
      const t1 = new ChunkedTracker()
      expect(feedAll(t1, `${body}GET / HTTP/1.1\r\n`)).toBe(body.length)
      expect(t1.done).toBe(true)
      const t2 = new ChunkedTracker()
      expect(feedAll(t2, `${body}NEXT`, 1)).toBe(body.length)
      expect(t2.done).toBe(true)
      const t3 = new ChunkedTracker()
      expect(feedAll(t3, '0\r\n\r\n')).toBe(5)
      expect(t3.done).toBe(true)
      const t4 = new ChunkedTracker()
      feedAll(t4, '5\r\nhel')
      expect(t4.done).toBe(false)
      feedAll(t4, 'lo\r\n0\r\n')
      expect(t4.done).toBe(false)
      feedAll(t4, '\r\n')
      expect(t4.done).toBe(true)
    })

    it('rejects malformed chunk framing', () => {
      const bads = ['x\r\n', ' 5\r\nhello\r\n', '5 \r\nhello\r\n', '-1\r\n', '0x5\r\nhello\r\n', '5\nhello\r\n', '5\r\nhelloXX']
      bads.push('5\r\nhello\r\n0\r\n\n', `${'f'.repeat(20)}\r\n`, '0\r\n folded\r\n\r\n')
      for (const bad of bads) {
        expect(() => feedAll(new ChunkedTracker(), bad), bad).toThrow(HttpParseError)
      }
    })
  })
})
