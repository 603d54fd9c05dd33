import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {LogStreamEnded, LogStreamError, SseParser, streamLogs} from '../../src/api/log-stream.js'

describe('log stream client', () => {
  let server: http.Server | undefined

  afterEach(async () => {
    if (!server) return
    server.closeAllConnections()
    await new Promise(r => server!.close(r))
    server = undefined
  })

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler)
    await new Promise<void>(r => server!.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/stream`
  }

  it('parses SSE events split anywhere, ignores comments, keeps the last id', () => {
    const parser = new SseParser()
    const out: Array<{id?: number; text: string}> = []
    const text = ': keep-alive\n\nid: 7\ndata: line one\n\nid: 8\r\ndata: two\r\n\r\ndata: no id\n\n'
    for (const ch of text) parser.push(ch, e => out.push(e))
    expect(out).toEqual([
      {id: 7, text: 'line one'},
      {id: 8, text: 'two'},
      {id: undefined, text: 'no id'},
    ])
    expect(parser.lastId).toBe(8)
  })

  it('reads history and returns when the server closes (no tail)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, {'Content-Type': 'text/event-stream'})
      res.end('id: 1\ndata: a\n\nid: 2\ndata: b\n\n')
    })
    const lines: string[] = []
    await streamLogs({onLine: e => lines.push(e.text), tail: false, url})
    expect(lines).toEqual(['a', 'b'])
  })

  it('tail: reconnects after a lost connection with Last-Event-ID and prints no line twice', async () => {
    const seenHeaders: Array<string | undefined> = []
    let connection = 0
    const url = await serve((req, res) => {
      connection++
      seenHeaders.push(req.headers['last-event-id'] as string | undefined)
      res.writeHead(200, {'Content-Type': 'text/event-stream'})
      if (connection === 1) {
        res.write('id: 1\ndata: one\n\nid: 2\ndata: two\n\n')
        setTimeout(() => res.destroy(), 50)
        return
      }

      // A server replaying too much must not produce duplicates.
      res.write('id: 2\ndata: two\n\nid: 3\ndata: three\n\n')
    })
    const lines: string[] = []
    const controller = new AbortController()
    const done = streamLogs({
      onLine(e) {
        lines.push(e.text)
        if (e.text === 'three') controller.abort()
      },
      retryMs: 10,
      signal: controller.signal,
      tail: true,
      url,
    })
    await done
    expect(lines).toEqual(['one', 'two', 'three'])
    expect(seenHeaders).toEqual([undefined, '2'])
  })

  it('tail: renews an expired session URL and resumes from the last id', async () => {
    let first = true
    const ids: Array<string | undefined> = []
    const base = await serve((req, res) => {
      if (req.url === '/stream' && !first) {
        res.writeHead(404)
        res.end()
        return
      }

      ids.push(req.headers['last-event-id'] as string | undefined)
      res.writeHead(200, {'Content-Type': 'text/event-stream'})
      if (first) {
        first = false
        res.end('id: 5\ndata: five\n\n')
        return
      }

      res.write('id: 6\ndata: six\n\n')
    })
    const lines: string[] = []
    const controller = new AbortController()
    await streamLogs({
      onLine(e) {
        lines.push(e.text)
        if (e.text === 'six') controller.abort()
      },
      renew: async () => base.replace('/stream', '/renewed'),
      retryMs: 10,
      signal: controller.signal,
      tail: true,
      url: base,
    })
    expect(lines).toEqual(['five', 'six'])
    expect(ids).toEqual([undefined, '5'])
  })

  it('reports a non-SSE answer like the heroku CLI', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(500, {'Content-Type': 'text/plain'})
      res.end('boom')
    })
    await expect(streamLogs({onLine() {}, tail: false, url})).rejects.toThrow(LogStreamError)
    await expect(streamLogs({onLine() {}, tail: false, url})).rejects.toThrow(/Logs eventsource failed with: 500/)
  })

  it('tail: an `end` event ends the tail with its message, no reconnect', async () => {
    let requests = 0
    const url = await serve((_req, res) => {
      requests++
      res.writeHead(200, {'Content-Type': 'text/event-stream'})
      res.end('id: 1\ndata: last line\n\nevent: end\ndata: The platform was stopped.\n\n')
    })
    const lines: string[] = []
    await expect(streamLogs({onLine: e => lines.push(e.text), renew: async () => url, retryMs: 10, tail: true, url})).rejects.toThrow(new LogStreamEnded('The platform was stopped.'))
    expect(lines).toEqual(['last line'])
    expect(requests).toBe(1)
  })
})
