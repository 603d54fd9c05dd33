import {describe, expect, it} from 'vitest'

import type {PlatformContext} from '../../../src/platform/context.js'

import {Router} from '../../../src/platform/server/http.js'
import {LAZY_ROUTES} from '../../../src/platform/server/index.js'
import {lazyRoutes, RecordingRouter} from '../../../src/platform/server/lazy.js'

// addons.manager(): the add-on routes' load waits for the manager first (server/index.ts).
const ctx = {addons: {manager: async () => ({})}, config: {host: '127.0.0.1', port: 0, token: 'x'}, logs: {}, paths: {}, store: {}} as unknown as PlatformContext

describe('lazily loaded route modules', () => {
  for (const [name, table] of Object.entries(LAZY_ROUTES)) {
    it(`${name}: the table lists exactly the routes its module registers (methods, paths, options, order)`, async () => {
      const recorder = new RecordingRouter()
      const register = await table.load(ctx)
      register(recorder, ctx)
      const registered = recorder.recorded.map(r => ({method: r.method, options: r.options ?? {}, path: r.path}))
      expect(table.routes.map(r => ({method: r.method, options: 'options' in r ? r.options : {}, path: r.path}))).toEqual(registered)
    })
  }

  it('loads the module once, on the first request, and calls the handler it registers for that route', async () => {
    let loads = 0
    const router = new Router()
    lazyRoutes(router, ctx, [{method: 'GET', path: '/a/:x'}, {method: 'POST', options: {auth: false}, path: '/b'}], async () => {
      loads++
      return r => {
        r.get('/a/:x', c => ({body: {a: c.params.x}}))
        r.post('/b', () => ({body: 'b', status: 201}), {auth: false})
      }
    })
    expect(loads).toBe(0)
    const a = router.match('GET', '/a/1')
    expect(a.route?.options.auth).toBe(true)
    expect(await a.route!.handler({params: a.params} as never)).toEqual({body: {a: '1'}})
    const b = router.match('POST', '/b')
    expect(b.route?.options).toEqual({auth: false, body: 'json'})
    expect(await b.route!.handler({params: {}} as never)).toEqual({body: 'b', status: 201})
    expect(loads).toBe(1)
  })

  it('tries again after a failed load', async () => {
    let loads = 0
    const router = new Router()
    lazyRoutes(router, ctx, [{method: 'GET', path: '/a'}], async () => {
      loads++
      if (loads === 1) throw new Error('boom')
      return r => r.get('/a', () => ({body: 'ok'}))
    })
    const {route} = router.match('GET', '/a')
    await expect(route!.handler({params: {}} as never)).rejects.toThrow('boom')
    expect(await route!.handler({params: {}} as never)).toEqual({body: 'ok'})
  })
})
