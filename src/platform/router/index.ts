// The router: one listener on 127.0.0.1 for every app's web dynos, wired to the platform context. Two engines:
// the native one (native.ts: a C data plane with HttpRouter as its fallback) when dist/native/ferry-router is
// built, else the pure-Node HttpRouter (proxy.ts). FERRY_ROUTER_ENGINE=node forces the latter.
import type {PlatformContext} from '../context.js'

import {NativeRouter, nativeRouterBinary} from './native.js'
import {HttpRouter, type RouterOptions} from './proxy.js'

export {ChunkedTracker, findHeadEnd, HttpParseError, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead} from './http1.js'
export {NativeRouter, nativeRouterBinary, type NativeRouterOptions} from './native.js'
export {HttpRouter, routableTargets, type RouterOptions} from './proxy.js'

/** What both engines offer their callers. */
export interface Router {
  close(): Promise<void>
  /** Resolves with the bound (public) port. */
  listen(): Promise<number>
  readonly port: number
  /** Applies target/app changes now (the native engine otherwise re-checks every 50 ms). */
  refresh(): Promise<void>
}

/** The native engine when its binary is built and FERRY_ROUTER_ENGINE is not `node`, else HttpRouter. */
export function createRouter(options: RouterOptions, env: NodeJS.ProcessEnv = process.env): Router {
  const binary = env.FERRY_ROUTER_ENGINE === 'node' ? undefined : nativeRouterBinary()
  return binary ? new NativeRouter({...options, binary}) : new HttpRouter(options)
}

/** How long a Host → app lookup is cached (renames and destroys take effect within this time). */
const APP_CACHE_MS = 1000

/**
 * Starts the router on ctx.config.routerPort (0 = a free port) and writes the bound port back to the config,
 * so `web_url` and platform status show it. Every request is logged as `heroku[router]` in the app's log.
 */
export async function startRouter(ctx: PlatformContext): Promise<Router> {
  const cache = new Map<string, {app: undefined | {id: string; name: string}; at: number}>()
  const router = createRouter({
    host: ctx.config.host,
    log(appId, message) {
      ctx.logs.append(appId, {dyno: 'router', message, source: 'heroku'})
    },
    // Web dynos starting (restart, deploy, scale from 0): hold requests for them like Heroku's router.
    pending: appId => ctx.supervisor.dynos(appId).some(d => d.type === 'web' && d.state === 'starting'),
    port: ctx.config.routerPort,
    resolveApp(name) {
      const now = Date.now()
      const hit = cache.get(name)
      if (hit && now - hit.at < APP_CACHE_MS) return hit.app
      const record = /^[a-z][\da-z-]{1,28}[\da-z]$/.test(name) ? ctx.store.findApp(name) : null
      const app = record && record.name === name ? {id: record.id, name: record.name} : undefined
      if (cache.size > 10_000) cache.clear()
      cache.set(name, {app, at: now})
      return app
    },
    targets: appId => ctx.supervisor.webTargets(appId),
  })
  ctx.config.routerPort = await router.listen()
  ctx.config.routerEngine = router instanceof NativeRouter ? 'native' : 'node'
  if (!(router instanceof NativeRouter)) return router
  // Dyno changes reach the native engine's child at once (coalesced per event-loop turn), not at its next 50 ms check.
  let queued = false
  const unsubscribe = ctx.supervisor.onWebChange?.(() => {
    if (queued) return
    queued = true
    setImmediate(() => {
      queued = false
      router.refresh().catch(() => {})
    })
  })
  return {
    async close() {
      unsubscribe?.()
      await router.close()
    },
    listen: () => router.listen(),
    get port() {
      return router.port
    },
    refresh: () => router.refresh(),
  }
}
