// The Platform API server: a factory that wires route modules to a Router and returns an http.Server not yet
// listening (the daemon calls listen; tests listen on port 0).
import {timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import type {PlatformContext} from '../context.js'

import {registerRunRoutes} from './routes/one-off-dynos.js'
import {isoTimestamp} from '../time.js'
import {dispatch, Router} from './http.js'
import {type LazyRoute, lazyRoutes} from './lazy.js'
import {registerAccountRoutes} from './routes/account.js'
import {registerAppRoutes} from './routes/apps.js'
import {registerBuildpackRoutes} from './routes/buildpacks.js'
import {registerConfigRoutes} from './routes/config.js'
import {registerDynoActionRoutes} from './routes/dyno-actions.js'
import {registerDomainRoutes} from './routes/domains.js'
import {registerDynoRoutes} from './routes/dynos.js'
import {registerFormationRoutes} from './routes/formation.js'
import {registerReleaseRoutes} from './routes/releases.js'
import {registerSlugRoutes} from './routes/slugs.js'
import {registerStubRoutes} from './routes/stubs.js'

export {type Ctx, type Handler, type Reply, Router} from './http.js'
export * from './present.js'
export {appParam} from './support.js'

/** A route module: registers its routes on the router (C, D, E add theirs below). */
export type RouteModule = (router: Router, ctx: PlatformContext) => void

/**
 * Route modules loaded on the first request to one of their routes (see lazy.ts): the routes as each module
 * registers them, in order. test/platform/server/lazy-routes.test.ts keeps these tables honest.
 */
export const LAZY_ROUTES = {
  // Add-ons: the manager loads before the module registers (addons/lazy.ts); a daemon without add-ons carries neither.
  addons: {
    async load(ctx: PlatformContext) {
      await ctx.addons.manager()
      return (await import('./routes/addons.js')).registerAddonRoutes
    },
    routes: [
      {method: 'GET', path: '/apps/:app/addons'},
      {method: 'GET', path: '/apps/:app/addons/:addon'},
      {method: 'GET', path: '/addons'},
      {method: 'GET', path: '/addons/:addon'},
      {method: 'POST', path: '/apps/:app/addons'},
      {method: 'DELETE', path: '/apps/:app/addons/:addon'},
      {method: 'GET', path: '/addon-attachments'},
      {method: 'GET', path: '/addon-attachments/:id'},
      {method: 'GET', path: '/addons/:addon/addon-attachments'},
      {method: 'GET', path: '/apps/:app/addon-attachments'},
      {method: 'GET', path: '/apps/:app/addon-attachments/:attachment'},
      {method: 'POST', path: '/addon-attachments'},
      {method: 'DELETE', path: '/addon-attachments/:id'},
      {method: 'GET', path: '/addon-services'},
      {method: 'GET', path: '/addon-services/:service'},
      {method: 'GET', path: '/addon-services/:service/plans'},
      {method: 'GET', path: '/addon-services/:service/plans/:plan'},
      {method: 'POST', path: '/actions/addons/resolve'},
      {method: 'POST', path: '/actions/addon-attachments/resolve'},
      {method: 'GET', path: '/client/v11/databases/:addon'},
      {method: 'GET', path: '/ferry/apps/:app/pg-backups'},
      {method: 'POST', path: '/ferry/apps/:app/pg-backups'},
      {method: 'POST', path: '/ferry/apps/:app/pg-backups/restore'},
      {method: 'GET', path: '/ferry/addons/:addon/info'},
      {method: 'POST', path: '/ferry/addons/:addon/reset'},
    ],
  },
  builds: {
    load: async () => (await import('./routes/builds.js')).registerBuildRoutes,
    routes: [
      {method: 'POST', path: '/apps/:app/builds'},
      {method: 'GET', path: '/apps/:app/builds'},
      {method: 'GET', path: '/apps/:app/builds/:build'},
      {method: 'DELETE', path: '/apps/:app/builds/:build'},
      {method: 'DELETE', path: '/apps/:app/build-cache'},
      {method: 'GET', options: {auth: false}, path: '/ferry/build-output/:build/:secret'},
      {method: 'GET', options: {auth: false}, path: '/ferry/release-output/:release/:secret'},
    ],
  },
  git: {
    load: async () => (await import('./routes/git.js')).registerGitRoutes,
    routes: [
      {method: 'GET', options: {auth: false, body: 'raw'}, path: '/:repo/info/refs'},
      {method: 'POST', options: {auth: false, body: 'raw'}, path: '/:repo/git-receive-pack'},
      {method: 'POST', options: {auth: false, body: 'raw'}, path: '/:repo/git-upload-pack'},
      {method: 'POST', options: {auth: false}, path: '/ferry/git-hook/pre-receive'},
    ],
  },
  logSessions: {
    load: async () => (await import('./routes/log-sessions.js')).logSessionRoutes,
    routes: [
      {method: 'POST', path: '/apps/:app/log-sessions'},
      {method: 'GET', options: {auth: false}, path: '/log-streams/:secret'},
    ],
  },
  sources: {
    load: async () => (await import('./routes/sources.js')).registerSourceRoutes,
    routes: [
      {method: 'POST', path: '/sources'},
      {method: 'PUT', options: {auth: false, body: 'raw'}, path: '/ferry/sources/:id/:secret'},
      {method: 'GET', options: {auth: false}, path: '/ferry/sources/:id/:secret'},
    ],
  },
} satisfies Record<string, {load: (ctx: PlatformContext) => Promise<RouteModule>; routes: LazyRoute[]}>

export interface BuiltServer {
  router: Router
  server: Server
}

export interface BuildServerOptions {
  /** Extra route modules (tests, experiments); registered after the built-in ones. */
  routes?: RouteModule[]
  /** Serve on this server (the daemon's, already listening) instead of a new one. */
  server?: Server
  /** Reported by GET /ferry/status (the daemon passes the time it writes to daemon.json). */
  startedAt?: string
}

/** Accepts `Authorization: Bearer <token>` or Basic with the token as password (any username). */
export function tokenAuthenticator(token: string): (req: IncomingMessage) => boolean {
  const expected = Buffer.from(token)
  const same = (given: string) => {
    const buf = Buffer.from(given)
    return buf.length === expected.length && timingSafeEqual(buf, expected)
  }

  return req => {
    const header = req.headers.authorization ?? ''
    const [scheme, value = ''] = header.trim().split(/\s+/, 2)
    if (/^bearer$/i.test(scheme)) return same(value)
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      return colon !== -1 && same(decoded.slice(colon + 1))
    }

    return false
  }
}

/** Builds the API server: the routes on a router, the request handler on the server. Nothing else (no listen, no recovery). */
export function buildServer(ctx: PlatformContext, options: BuildServerOptions = {}): BuiltServer {
  const router = new Router()
  const startedAt = options.startedAt ?? isoTimestamp()

  registerAccountRoutes(router, ctx)
  registerAppRoutes(router, ctx)
  registerConfigRoutes(router, ctx)
  registerReleaseRoutes(router, ctx)
  registerFormationRoutes(router, ctx)
  registerSlugRoutes(router, ctx)
  registerDynoRoutes(router, ctx)
  registerStubRoutes(router, ctx, startedAt)
  lazyRoutes(router, ctx, LAZY_ROUTES.addons.routes, LAZY_ROUTES.addons.load)
  registerDomainRoutes(router, ctx)

  // ---- Route modules of the other parts: register them HERE, one line each. --------------------------------
  // C (deploy): builds, sources, buildpack-installations, git smart-HTTP    e.g. registerBuildRoutes(router, ctx)
  // Builds, sources and git load the deploy pipeline on first use (builds interrupted by a restart: the daemon's start).
  lazyRoutes(router, ctx, LAZY_ROUTES.builds.routes, LAZY_ROUTES.builds.load)
  lazyRoutes(router, ctx, LAZY_ROUTES.sources.routes, LAZY_ROUTES.sources.load)
  registerBuildpackRoutes(router, ctx)
  lazyRoutes(router, ctx, LAZY_ROUTES.git.routes, LAZY_ROUTES.git.load)
  // D (supervisor): DELETE /apps/:app/dynos[/:dyno], /formations/:type, actions/stop
  registerDynoActionRoutes(router, ctx)
  // E (logs/run): log-sessions, log stream capability URLs, POST /apps/:app/dynos
  lazyRoutes(router, ctx, LAZY_ROUTES.logSessions.routes, LAZY_ROUTES.logSessions.load)
  registerRunRoutes(router, ctx)
  // ------------------------------------------------------------------------------------------------------------

  for (const register of options.routes ?? []) register(router, ctx)

  const authenticate = tokenAuthenticator(ctx.config.token)
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void dispatch(req, res, {authenticate, router})
  }

  const server = options.server ?? createServer()
  server.on('request', handle)
  return {router, server}
}
