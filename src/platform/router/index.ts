// The router: one listener on 127.0.0.1 for every app's web dynos (see proxy.ts), wired to the platform context.
import type {PlatformContext} from '../context.js'

import {HttpRouter} from './proxy.js'

export {ChunkedTracker, findHeadEnd, HttpParseError, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead} from './http1.js'
export {HttpRouter, type RouterOptions} from './proxy.js'

/** How long a Host → app lookup is cached (renames and destroys take effect within this time). */
const APP_CACHE_MS = 1000

/**
 * Starts the router on ctx.config.routerPort (0 = a free port) and writes the bound port back to the config,
 * so `web_url` and platform status show it. Every request is logged as `heroku[router]` in the app's log.
 */
export async function startRouter(ctx: PlatformContext): Promise<HttpRouter> {
  const cache = new Map<string, {app: undefined | {id: string; name: string}; at: number}>()
  const router = new HttpRouter({
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
  return router
}
