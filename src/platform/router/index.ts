// The router: one listener on 127.0.0.1 for every app's web dynos, wired to the platform context. Two engines:
// the native one (native.ts: a C data plane with HttpRouter as its fallback) when dist/native/ferry-router is
// built, else the pure-Node HttpRouter (proxy.ts). FERRY_ROUTER_ENGINE and FERRY_ROUTER_BINARY choose (routerEngine()).
import {readFileSync} from 'node:fs'

import type {PlatformContext} from '../context.js'

import {NativeRouter, nativeRouterBinary} from './native.js'
import {HttpRouter, type RouterOptions} from './proxy.js'
import {APP_NAME} from './rules.js'
import {findBwrap} from './sandbox.js'

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

export interface RouterEngine {
  /** The ferry-router executable (native engine only). */
  binary?: string
  engine: 'native' | 'node'
}

/**
 * The engine the environment asks for: FERRY_ROUTER_ENGINE `node`, `native`, or unset (native when ferry-router is
 * built, else node); FERRY_ROUTER_BINARY another build. Throws a one-line Error for a value that cannot be honoured.
 */
export function routerEngine(env: NodeJS.ProcessEnv = process.env): RouterEngine {
  const wanted = env.FERRY_ROUTER_ENGINE ?? ''
  if (wanted !== '' && wanted !== 'native' && wanted !== 'node') throw new Error(`FERRY_ROUTER_ENGINE must be "native" or "node", got "${wanted}".`)
  const binary = nativeRouterBinary(env)
  if (env.FERRY_ROUTER_BINARY && !binary) throw new Error(`FERRY_ROUTER_BINARY must name an executable ferry-router build, got "${env.FERRY_ROUTER_BINARY}".`)
  if (wanted === 'native' && !binary) {
    throw new Error('FERRY_ROUTER_ENGINE=native, but ferry-router is not built (dist/native/ferry-router): run `npm run build` with a C compiler installed, or unset FERRY_ROUTER_ENGINE.')
  }

  return wanted === 'node' || !binary ? {engine: 'node'} : {binary, engine: 'native'}
}

/** A router of the chosen engine (see routerEngine()). */
export function createRouter(options: RouterOptions, choice: RouterEngine & {bwrap?: string}): Router {
  return choice.engine === 'native' ? new NativeRouter({...options, binary: choice.binary, bwrap: choice.bwrap}) : new HttpRouter(options)
}

/**
 * How many router client connections the daemon may hold: a quarter of its descriptor limit (each costs one, and
 * one more to a dyno; the API, dynos' pipes, logs and the database need the rest), at least 64, at most 16384.
 */
export function routerConnectionLimit(limits = '/proc/self/limits'): number {
  let soft = 1024
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limits, 'utf8'))
    if (m) soft = m[1] === 'unlimited' ? 1 << 20 : Number(m[1])
  } catch {}

  return Math.max(64, Math.min(16_384, Math.floor(soft / 4)))
}

/** How long a Host → app lookup is cached (renames and destroys take effect within this time). */
const APP_CACHE_MS = 1000

/**
 * Starts the router on ctx.config.routerPort (the daemon reserves a concrete port first, so `web_url` and platform
 * status know it before the router listens; 0 = a free port, for tests: read `router.port`). Every request is logged
 * as `heroku[router]` in the app's log.
 */
export async function startRouter(ctx: PlatformContext): Promise<Router> {
  const cache = new Map<string, {app: undefined | {id: string; maintenance: boolean; name: string}; at: number}>()
  const router = createRouter({
    headTimeoutMs: ctx.config.headTimeoutMs,
    host: ctx.config.host,
    log(appId, message) {
      ctx.logs.append(appId, {dyno: 'router', message, source: 'heroku'})
    },
    // The formation's web dynos exited and none is up or starting: H10 "App crashed" (H14 is for web=0).
    crashed(appId) {
      const web = ctx.supervisor.dynos(appId).filter(d => d.type === 'web')
      return web.some(d => d.state === 'crashed') && !web.some(d => d.state === 'up' || d.state === 'starting')
    },
    // Web dynos starting (restart, deploy, scale from 0): hold requests for them like Heroku's router.
    pending: appId => ctx.supervisor.dynos(appId).some(d => d.type === 'web' && d.state === 'starting'),
    maxConnections: ctx.config.routerMaxConnections,
    port: ctx.config.routerPort,
    // key: an app name, or a custom domain's host name (routeKey()).
    resolveApp(key) {
      const now = Date.now()
      const hit = cache.get(key)
      if (hit && now - hit.at < APP_CACHE_MS) return hit.app
      const record = key.includes('.') ? ctx.store.findAppByDomain(key) : APP_NAME.test(key) ? ctx.store.findApp(key) : null
      const app = record && (record.name === key || key.includes('.')) ? {id: record.id, maintenance: record.maintenance, name: record.name} : undefined
      if (cache.size > 10_000) cache.clear()
      cache.set(key, {app, at: now})
      return app
    },
    targets: appId => ctx.supervisor.webTargets(appId),
  }, {binary: ctx.config.routerBinary, bwrap: ctx.config.isolation === 'bwrap' ? findBwrap() : undefined, engine: ctx.config.routerEngine})
  // The daemon hands over a reserved, concrete port (ctx.config.routerPort): the config is never written back.
  await router.listen()
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
