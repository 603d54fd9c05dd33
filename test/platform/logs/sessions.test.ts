import http from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {dispatch, Router} from '../../../src/platform/server/http.js'
import {LogSessions} from '../../../src/platform/logs/sessions.js'
import {registerLogRoutes} from '../../../src/platform/server/routes/log-sessions.js'
import {FileLogService} from '../../../src/platform/logs/service.js'

const TOKEN = 'secret-token'

interface Setup {
  base: string
  logs: FileLogService
  server: http.Server
}

async function start(dir: string, keepAliveMs = 100): Promise<Setup> {
  const logs = new FileLogService({dir})
  let base = ''
  const sessions = new LogSessions({baseUrl: () => base, keepAliveMs, logs})
  const router = new Router()
  registerLogRoutes(router, {findApp: name => (name === 'demo' || name === 'app-id' ? {id: 'app-id', name: 'demo'} : undefined), sessions})
  const server = http.createServer((req, res) => {
    void dispatch(req, res, {authenticate: r => r.headers.authorization === `Bearer ${TOKEN}`, router})
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {base, logs, server}
}

async function createSession(base: string, body: unknown): Promise<{logplex_url: string; status: number}> {
  const res = await fetch(`${base}/apps/demo/log-sessions`, {
    body: JSON.stringify(body),
    headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
    method: 'POST',
  })
  const json = (await res.json()) as {logplex_url: string}
  return {...json, status: res.status}
}

/** Reads an SSE stream until `until` says stop (or the server closes it). */
async function readEvents(url: string, until: (events: Array<{data: string; id: number}>) => boolean, headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const res = await fetch(url, {headers: {Accept: 'text/event-stream', ...headers}, signal: controller.signal})
  const events: Array<{data: string; id: number}> = []
  const comments: string[] = []
  let buffer = ''
  const decoder = new TextDecoder()
  try {
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, {stream: true})
      let idx
      while ((idx = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, idx)
        buffer = buffer.slice(idx + 2)
        if (block.startsWith(':')) {
          comments.push(block)
          continue
        }

        const id = /^id: (\d+)$/m.exec(block)
        const data = /^data: (.*)$/m.exec(block)
        events.push({data: data![1], id: Number(id![1])})
      }

      if (until(events)) break
    }
  } catch {
    // aborted
  }

  controller.abort()
  return {comments, contentType: res.headers.get('content-type'), events, status: res.status}
}

describe('log sessions', () => {
  let dir: string
  let setup: Setup

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-logsess-'))
    setup = await start(dir)
  })

  afterEach(async () => {
    setup.server.closeAllConnections()
    await new Promise(r => setup.server.close(r))
    await setup.logs.close()
    rmSync(dir, {force: true, recursive: true})
  })

  it('creates a session (201) and streams the last N matching lines, then closes', async () => {
    for (let i = 1; i <= 10; i++) setup.logs.append('app-id', {dyno: i % 2 ? 'web.1' : 'worker.1', message: `m${i}`, source: 'app'})
    setup.logs.append('app-id', {dyno: 'router', message: 'at=info', source: 'heroku'})
    const session = await createSession(setup.base, {dyno: 'web', lines: 3})
    expect(session.status).toBe(201)
    expect(session.logplex_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/log-streams\/[\w-]{20,}$/)
    const res = await readEvents(session.logplex_url, () => false)
    expect(res.status).toBe(200)
    expect(res.contentType).toMatch(/^text\/event-stream/)
    expect(res.events.map(e => e.data.replace(/^\S+ /, ''))).toEqual(['app[web.1]: m5', 'app[web.1]: m7', 'app[web.1]: m9'])
    expect(res.events.map(e => e.id)).toEqual([5, 7, 9])
    const heroku = await readEvents((await createSession(setup.base, {source: 'heroku'})).logplex_url, () => false)
    expect(heroku.events.map(e => e.data.replace(/^\S+ /, ''))).toEqual(['heroku[router]: at=info'])
  })

  it('rejects bad bodies and unknown apps; needs auth to create; unknown stream → 404', async () => {
    expect((await createSession(setup.base, {source: 'nope'})).status).toBe(422)
    const unknown = await fetch(`${setup.base}/apps/nope/log-sessions`, {body: '{}', headers: {Authorization: `Bearer ${TOKEN}`}, method: 'POST'})
    expect(unknown.status).toBe(404)
    const noAuth = await fetch(`${setup.base}/apps/demo/log-sessions`, {body: '{}', method: 'POST'})
    expect(noAuth.status).toBe(401)
    expect((await fetch(`${setup.base}/log-streams/not-a-session`)).status).toBe(404)
  })

  it('tails: pushes live lines, sends keep-alives, resumes after Last-Event-ID without duplicates', async () => {
    setup.logs.append('app-id', {dyno: 'web.1', message: 'old', source: 'app'})
    const {logplex_url} = await createSession(setup.base, {lines: 10, tail: true})
    setTimeout(() => setup.logs.append('app-id', {dyno: 'web.1', message: 'live 1', source: 'app'}), 50)
    const first = await readEvents(logplex_url, events => events.length >= 2)
    expect(first.events.map(e => e.data.split(': ')[1])).toEqual(['old', 'live 1'])
    setup.logs.append('app-id', {dyno: 'web.1', message: 'while away', source: 'app'})
    const lastId = String(first.events.at(-1)!.id)
    const resumed = await readEvents(logplex_url, _e => _e.length > 0, {'Last-Event-ID': lastId})
    expect(resumed.events.map(e => e.data.split(': ')[1])).toEqual(['while away'])
  }, 10_000)

  it('answers a tail with nothing to send yet right away (the head is not held back until the first line)', async () => {
    const slowDir = mkdtempSync(path.join(tmpdir(), 'ferry-logs-head-'))
    const slow = await start(slowDir, 600_000)
    try {
      const session = await createSession(slow.base, {tail: true})
      const controller = new AbortController()
      const res = await fetch(session.logplex_url, {headers: {Accept: 'text/event-stream'}, signal: controller.signal})
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      controller.abort()
    } finally {
      slow.server.closeAllConnections()
      await new Promise(r => slow.server.close(r))
      await slow.logs.close()
      rmSync(slowDir, {force: true, recursive: true})
    }
  })

  it('sends keep-alive comments on an idle tail', async () => {
    const {logplex_url} = await createSession(setup.base, {tail: true})
    const controller = new AbortController()
    const res = await fetch(logplex_url, {signal: controller.signal})
    const reader = res.body!.getReader()
    const {value} = await reader.read()
    expect(new TextDecoder().decode(value)).toContain(': keep-alive')
    controller.abort()
  })
})
