// Route modules loaded on first use: their routes are registered at start (same methods, paths, options and order)
// and the module loads with the first request to one of them. An idle daemon thus carries neither the deploy
// pipeline and git smart-HTTP nor log-session streaming. test/platform/server/lazy-routes.test.ts checks every table
// against what its module really registers.
import type {PlatformContext} from '../context.js'
import type {Handler, RouteOptions} from './http.js'

import {Router} from './http.js'

export interface LazyRoute {
  method: 'DELETE' | 'GET' | 'PATCH' | 'POST' | 'PUT'
  options?: RouteOptions
  path: string
}

/** A route module: registers its routes on the router. */
export type RouteRegistrar = (router: Router, ctx: PlatformContext) => void

/** A router that only records what a route module registers. */
export class RecordingRouter extends Router {
  readonly recorded: Array<LazyRoute & {handler: Handler}> = []

  override add(method: string, path: string, handler: Handler, options?: RouteOptions): void {
    this.recorded.push({handler, method: method as LazyRoute['method'], options, path})
  }
}

/** Registers `routes` now; the first request to any of them loads the module (`load`) and registers it aside. */
export function lazyRoutes(router: Router, ctx: PlatformContext, routes: LazyRoute[], load: (ctx: PlatformContext) => Promise<RouteRegistrar>): void {
  const key = (method: string, path: string) => `${method} ${path}`
  let handlers: Promise<Map<string, Handler>> | undefined
  const loaded = (): Promise<Map<string, Handler>> => {
    handlers ??= load(ctx).then(
      register => {
        const recorder = new RecordingRouter()
        register(recorder, ctx)
        return new Map(recorder.recorded.map(r => [key(r.method, r.path), r.handler]))
      },
      error => {
        handlers = undefined
        throw error
      },
    )
    return handlers
  }

  for (const route of routes) {
    router.add(
      route.method,
      route.path,
      async c => {
        const handler = (await loaded()).get(key(route.method, route.path))
        if (!handler) throw new Error(`Route ${key(route.method, route.path)} is not registered by its module.`)
        return handler(c)
      },
      route.options,
    )
  }
}
