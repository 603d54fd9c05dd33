import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApi} from '../../src/api/client.js'
import {ApiError, UnreachableError} from '../../src/api/errors.js'

interface Seen {body: string; headers: http.IncomingHttpHeaders; method: string; url: string}

// A tiny Platform API stand-in: records requests, paginates /apps in pages of 2, answers errors in Heroku's shape.
const seen: Seen[] = []
const apps = ['a1', 'a2', 'a3', 'a4', 'a5'].map(name => ({id: name, name}))
const server = http.createServer((req, res) => {
  let body = ''
  req.on('data', c => {
    body += c
  })
  req.on('end', () => {
    seen.push({body, headers: req.headers, method: req.method!, url: req.url!})
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {'content-type': 'application/json', ...headers})
      res.end(JSON.stringify(value))
    }

    if (req.url === '/apps') {
      const start = req.headers.range ? Number(/\](\d+)/.exec(req.headers.range)![1]) : 0
      const page = apps.slice(start, start + 2)
      const more = start + 2 < apps.length
      return send(more ? 206 : 200, page, more ? {'next-range': `id ]${start + 2}..; max=2`} : {})
    }

    if (req.url === '/apps/missing') return send(404, {id: 'not_found', message: "Couldn't find that app."})
    if (req.url === '/apps/plain') return send(500, 'oops')
    if (req.url === '/apps/my%20app/config-vars' && req.method === 'PATCH') return send(200, JSON.parse(body))
    if (req.url === '/apps/demo/releases') return send(206, [{version: 3}], {'next-range': 'version ]3..; max=1, order=desc'})
    send(200, {ok: true})
  })
})

let url = ''
beforeAll(async () => {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>(resolve => server.close(() => resolve())))

const makeApi = () => createApi({connect: async () => ({token: 'tok123', url}), userAgent: 'ferry/9.9.9 linux'})

describe('API client', () => {
  it('sends the protocol headers', async () => {
    const api = makeApi()
    await api.account.get()
    await api.close()
    const req = seen.at(-1)!
    expect(req.headers.accept).toBe('application/vnd.heroku+json; version=3')
    expect(req.headers.authorization).toBe('Bearer tok123')
    expect(req.headers['user-agent']).toBe('ferry/9.9.9 linux')
    expect(req.headers['request-id']).toMatch(/^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/)
    expect(req.method).toBe('GET')
    expect(req.body).toBe('')
  })

  it('follows Next-Range until the last page', async () => {
    const api = makeApi()
    const list = await api.apps.list()
    await api.close()
    expect(list.map(a => a.name)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5'])
    expect(seen.filter(s => s.url === '/apps').length).toBeGreaterThanOrEqual(3)
  })

  it('reads one page for a releases list with max', async () => {
    const api = makeApi()
    const before = seen.length
    const releases = await api.releases.list('demo', {max: 1, order: 'desc'})
    await api.close()
    expect(releases).toEqual([{version: 3}])
    expect(seen.length - before).toBe(1)
    expect(seen.at(-1)!.headers.range).toBe('version ..; max=1, order=desc')
    expect(seen.at(-1)!.headers.accept).toBe('application/vnd.heroku+json; version=3.sdk')
  })

  it('sends JSON bodies and encodes path segments', async () => {
    const api = makeApi()
    const result = await api.configVars.update('my app', {A: '1', B: null})
    await api.close()
    expect(result).toEqual({A: '1', B: null})
    expect(seen.at(-1)!.headers['content-type']).toBe('application/json')
  })

  it('turns {id, message} bodies into ApiError', async () => {
    const api = makeApi()
    const error = await api.apps.info('missing').catch(error_ => error_)
    await api.close()
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({id: 'not_found', kind: 'NotFound', message: "Couldn't find that app.", status: 404})
  })

  it('reports a body without message as HTTP Error', async () => {
    const api = makeApi()
    const error = await api.apps.info('plain').catch(error_ => error_)
    await api.close()
    expect(error).toBeInstanceOf(ApiError)
    expect(error.kind).toBe('Server')
    expect(error.message).toMatch(/^HTTP Error 500 for GET http:\/\/127\.0\.0\.1:\d+\/apps\/plain$/)
  })

  it('turns a refused connection into UnreachableError naming the URL', async () => {
    const closed = http.createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>(resolve => closed.close(() => resolve()))
    const api = createApi({connect: async () => ({token: 't', url: `http://127.0.0.1:${port}`})})
    const error = await api.apps.list().catch(error_ => error_)
    await api.close()
    expect(error).toBeInstanceOf(UnreachableError)
    expect(error.message).toBe(`cannot reach the ferry platform at http://127.0.0.1:${port}; run \`ferry platform:status\``)
  })

  it('does not resolve the backend until the first request', async () => {
    let calls = 0
    const api = createApi({async connect() {
      calls++
      return {token: 't', url}
    }})
    expect(calls).toBe(0)
    await api.account.get()
    await api.account.get()
    await api.close()
    expect(calls).toBe(1)
  })
})
