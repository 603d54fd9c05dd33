// Heroku parity of the router (issue 16), on every engine: maintenance mode (503 H80 from the router, no dyno asked),
// custom domains (a registered Host routes to its app; the native engine's child keys them by the whole host name),
// and H10 "App crashed" for crashed web dynos vs H14 for a formation with web=0.
import http from 'node:http'
import net from 'node:net'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {NativeRouter} from '../../../src/platform/router/native.js'
import {HttpRouter, routeKey} from '../../../src/platform/router/proxy.js'
import {engines} from './engines.js'

function get(port: number, host: string): Promise<{body: string; status: number}> {
  return new Promise((resolve, reject) => {
    http.get({agent: false, headers: {host}, host: '127.0.0.1', port}, res => {
      let body = ''
      res.on('data', c => {
        body += c
      })
      res.on('end', () => resolve({body, status: res.statusCode!}))
    }).on('error', reject)
  })
}

describe('routeKey', () => {
  it('is the app name of NAME.localhost, else a possible custom domain, else none', () => {
    expect(routeKey('demo.localhost')).toBe('demo')
    expect(routeKey('www.example.test')).toBe('www.example.test')
    expect(routeKey('a.b.localhost')).toBe('a.b.localhost')
    expect(routeKey('localhost')).toBe('')
    expect(routeKey('127.0.0.1')).toBe('127.0.0.1')
    expect(routeKey('bad_host.test')).toBe('')
    expect(routeKey('x..test')).toBe('')
  })
})

for (const {make, name, skip} of engines) describe.skipIf(skip)(`router parity (${name})`, () => {
  let backend: http.Server
  let backendPort = 0
  let hits = 0
  let maintenance = false
  let router: HttpRouter | NativeRouter
  let port = 0
  const lines: Array<{appId: string; message: string}> = []
  const apps: Record<string, {crashed?: boolean; id: string; name: string}> = {
    crashy: {crashed: true, id: 'app-crashy', name: 'crashy'},
    demo: {id: 'app-demo', name: 'demo'},
    idle: {id: 'app-idle', name: 'idle'},
  }

  beforeAll(async () => {
    backend = http.createServer((_req, res) => {
      hits++
      res.end('from the dyno')
    })
    await new Promise<void>(r => backend.listen(0, '127.0.0.1', r))
    backendPort = (backend.address() as net.AddressInfo).port
    router = make({
      crashed: appId => Object.values(apps).some(a => a.id === appId && a.crashed),
      log: (appId, message) => lines.push({appId, message}),
      port: 0,
      resolveApp(key) {
        const app = key === 'www.demo.test' ? apps.demo : apps[key]
        return app && {id: app.id, maintenance: app.id === 'app-demo' && maintenance, name: app.name}
      },
      targets: appId => (appId === 'app-demo' ? [{dyno: 'web.1', port: backendPort}] : []),
      timeoutMs: 500,
    })
    port = await router.listen()
  })
  afterAll(async () => {
    const exits = router instanceof NativeRouter ? router.unexpectedExits : 0
    await router?.close()
    backend?.close()
    expect(exits).toBe(0)
  })
  afterEach(async () => {
    maintenance = false
    await router.refresh()
    lines.length = 0
  })

  it('routes a custom domain to its app, and an unknown one to 404', async () => {
    expect(await get(port, 'www.demo.test')).toEqual({body: 'from the dyno', status: 200})
    expect(await get(port, 'WWW.Demo.Test:8080')).toEqual({body: 'from the dyno', status: 200})
    expect((await get(port, 'other.demo.test')).status).toBe(404)
    await router.refresh()
    const routed = lines.filter(l => l.appId === 'app-demo')
    expect(routed.at(-1)!.message).toMatch(/^at=info method=GET path="\/" host=www\.demo\.test .*dyno=web\.1 .*status=200/)
  })

  it('answers 503 H80 in maintenance mode without asking a dyno, on every host of the app', async () => {
    maintenance = true
    await router.refresh()
    const before = hits
    for (const host of ['demo.localhost', 'www.demo.test']) {
      const reply = await get(port, host)
      expect(reply.status).toBe(503)
      expect(reply.body).toContain('Offline for Maintenance')
    }

    expect(hits).toBe(before)
    await router.refresh()
    expect(lines).toHaveLength(2)
    for (const l of lines) {
      expect(l.appId).toBe('app-demo')
      expect(l.message).toMatch(/^at=info code=H80 desc="Maintenance mode" method=GET path="\/" host=(demo\.localhost|www\.demo\.test) .*status=503/)
    }

    maintenance = false
    await router.refresh()
    expect((await get(port, 'demo.localhost')).status).toBe(200)
  })

  it('answers H10 for crashed web dynos and H14 for none', async () => {
    const crashed = await get(port, 'crashy.localhost')
    expect(crashed.status).toBe(503)
    expect(crashed.body).toContain('(H10)')
    const none = await get(port, 'idle.localhost')
    expect(none.status).toBe(503)
    expect(none.body).toContain('(H14)')
    await router.refresh()
    expect(lines.find(l => l.appId === 'app-crashy')!.message).toMatch(/^at=error code=H10 desc="App crashed" method=GET path="\/" host=crashy\.localhost .*status=503/)
    expect(lines.find(l => l.appId === 'app-idle')!.message).toMatch(/^at=error code=H14 desc="No web processes running" .*status=503/)
  })
})
