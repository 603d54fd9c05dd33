import http from 'node:http'
import {afterEach, describe, expect, it, vi} from 'vitest'

import type {PlatformContext} from '../../../src/platform/context.js'

import {createRouter, HttpRouter, NativeRouter, nativeRouterBinary, routerEngine, startRouter} from '../../../src/platform/router/index.js'
import {harness, type Harness, waitFor} from '../supervisor/helpers.js'

const binary = nativeRouterBinary()

function get(port: number, path: string): Promise<{body: string; status: number}> {
  return new Promise((resolve, reject) => {
    const r = http.get({agent: false, headers: {host: 'demo.localhost'}, host: '127.0.0.1', path, port}, res => {
      let body = ''
      res.on('data', d => {
        body += d
      })
      res.on('end', () => resolve({body, status: res.statusCode!}))
    })
    r.on('error', reject)
  })
}

describe('router engine choice', () => {
  const options = {log() {}, port: 0, resolveApp: () => undefined, targets: () => []}

  it('uses HttpRouter when FERRY_ROUTER_ENGINE=node', () => {
    expect(createRouter(options, routerEngine({FERRY_ROUTER_ENGINE: 'node'}))).toBeInstanceOf(HttpRouter)
  })

  it('refuses an engine it cannot honour, with a one-line message', () => {
    expect(() => routerEngine({FERRY_ROUTER_ENGINE: 'Node'})).toThrow('FERRY_ROUTER_ENGINE must be "native" or "node", got "Node".')
    expect(() => routerEngine({FERRY_ROUTER_BINARY: '/nonexistent/ferry-router'})).toThrow('FERRY_ROUTER_BINARY must name an executable ferry-router build, got "/nonexistent/ferry-router".')
    // A directory is not a build either.
    expect(() => routerEngine({FERRY_ROUTER_BINARY: '/usr'})).toThrow(/^FERRY_ROUTER_BINARY must name an executable/)
  })

  it.skipIf(!binary && !process.env.CI)('uses the native engine when its binary is built', () => {
    expect(createRouter(options, routerEngine({}))).toBeInstanceOf(NativeRouter)
  })
})

describe.skipIf(!binary && !process.env.CI)('startRouter (native engine)', () => {
  let h: Harness | undefined
  afterEach(async () => {
    vi.restoreAllMocks()
    await h?.cleanup()
    h = undefined
  })

  it('pushes the supervisor\'s web dyno changes to the child at once (refresh), and routes to the new dyno', async () => {
    h = harness({isolation: 'none'})
    const app = h.app
    const refresh = vi.spyOn(NativeRouter.prototype, 'refresh')
    const lines: string[] = []
    const ctx = {
      config: {host: '127.0.0.1', routerBinary: binary, routerEngine: 'native', routerPort: 0},
      logs: {append: (_: string, line: {message: string}) => lines.push(line.message)},
      store: {findApp: (name: string) => (name === 'demo' ? {id: app.appId, name: 'demo'} : null)},
      supervisor: h.supervisor,
    } as unknown as PlatformContext
    const router = await startRouter(ctx)
    try {
      // The child learns about the app (no dyno yet: H14 from the fallback).
      expect((await get(router.port, '/')).status).toBe(503)
      await router.refresh()
      refresh.mockClear()
      app.release = h.release()
      app.formation = [{command: 'node server.js', quantity: 1, size: 'Basic', type: 'web'}]
      await h.supervisor.converge(app.appId)
      await waitFor(() => h!.supervisor.webTargets(app.appId).length === 1, 'web up')
      await waitFor(() => refresh.mock.calls.length > 0, 'refresh pushed')
      await router.refresh()
      const r = await get(router.port, '/x')
      expect(r).toEqual({body: 'ok web.1', status: 200})
      await router.refresh()
      expect(lines.at(-1)).toMatch(/^at=info method=GET path="\/x" host=demo\.localhost .*dyno=web\.1 .*status=200/)
    } finally {
      await router.close()
    }

    // Unsubscribed on close: later changes call nothing.
    refresh.mockClear()
    app.formation = []
    await h.supervisor.converge(app.appId)
    await waitFor(() => h!.supervisor.webTargets(app.appId).length === 0, 'web gone')
    await new Promise(resolve => setImmediate(resolve))
    expect(refresh).not.toHaveBeenCalled()
  })
})

// Issue 16: a web process that exits at once (crash loop) gets H10 "App crashed", not H14, on both engines.
for (const engine of ['node', 'native'] as const) describe.skipIf(engine === 'native' && !binary && !process.env.CI)(`startRouter crash loop (${engine})`, () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.cleanup()
    h = undefined
  })

  it('answers 503 H10 while the web dynos crash, and H14 once the formation has web=0', async () => {
    h = harness({isolation: 'none'})
    const app = h.app
    const lines: string[] = []
    const ctx = {
      config: {host: '127.0.0.1', routerBinary: binary, routerEngine: engine, routerPort: 0},
      logs: {append: (_: string, line: {message: string}) => lines.push(line.message)},
      store: {findApp: (name: string) => (name === 'demo' ? {id: app.appId, maintenance: false, name: 'demo'} : null)},
      supervisor: h.supervisor,
    } as unknown as PlatformContext
    const router = await startRouter(ctx)
    try {
      app.release = h.release()
      app.formation = [{command: 'exit 1', quantity: 1, size: 'Basic', type: 'web'}]
      await h.supervisor.converge(app.appId)
      await waitFor(() => h!.supervisor.dynos(app.appId).some(d => d.state === 'crashed'), 'web crashed')
      const r = await get(router.port, '/')
      expect(r.status).toBe(503)
      expect(r.body).toContain('(H10)')
      await router.refresh()
      expect(lines.at(-1)).toMatch(/^at=error code=H10 desc="App crashed" method=GET path="\/" host=demo\.localhost .*status=503/)
      app.formation = []
      await h.supervisor.converge(app.appId)
      await waitFor(() => h!.supervisor.dynos(app.appId).length === 0, 'web gone')
      expect((await get(router.port, '/')).status).toBe(503)
      await router.refresh()
      expect(lines.at(-1)).toMatch(/^at=error code=H14 desc="No web processes running" /)
    } finally {
      await router.close()
    }
  })
})
