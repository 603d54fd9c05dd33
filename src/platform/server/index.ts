// The Platform API server: a factory that wires route modules to a Router and returns an http.Server not yet
// listening (the daemon calls listen; tests listen on port 0).
import {timingSafeEqual} from 'node:crypto'
import {createServer, type IncomingMessage, type Server} from 'node:http'

import type {PlatformContext} from '../context.js'

import {logSessionRoutes} from '../logs/sessions.js'
import {registerRunRoutes} from '../run/routes.js'
import {isoTimestamp} from '../time.js'
import {dispatch, Router} from './http.js'
import {registerAccountRoutes} from './routes/account.js'
import {registerAppRoutes} from './routes/apps.js'
import {registerBuildpackRoutes} from './routes/buildpacks.js'
import {registerBuildRoutes} from './routes/builds.js'
import {registerConfigRoutes} from './routes/config.js'
import {registerDynoActionRoutes} from './routes/dyno-actions.js'
import {registerDynoRoutes} from './routes/dynos.js'
import {registerFormationRoutes} from './routes/formation.js'
import {registerGitRoutes} from './routes/git.js'
import {registerReleaseRoutes} from './routes/releases.js'
import {registerSlugRoutes} from './routes/slugs.js'
import {registerSourceRoutes} from './routes/sources.js'
import {registerStubRoutes} from './routes/stubs.js'

export {type Ctx, type Handler, type Reply, Router} from './http.js'
export * from './present.js'
export {apiLog, appParam, converge, logRelease} from './support.js'

/** A route module: registers its routes on the router (C, D, E add theirs below). */
export type RouteModule = (router: Router, ctx: PlatformContext) => void

export interface BuiltServer {
  router: Router
  server: Server
}

export interface BuildServerOptions {
  /** Extra route modules (tests, experiments); registered after the built-in ones. */
  routes?: RouteModule[]
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

  // ---- Route modules of the other parts: register them HERE, one line each. --------------------------------
  // C (deploy): builds, sources, buildpack-installations, git smart-HTTP    e.g. registerBuildRoutes(router, ctx)
  registerBuildRoutes(router, ctx)
  registerSourceRoutes(router, ctx)
  registerBuildpackRoutes(router, ctx)
  registerGitRoutes(router, ctx)
  // D (supervisor): DELETE /apps/:app/dynos[/:dyno], /formations/:type, actions/stop
  registerDynoActionRoutes(router, ctx)
  // E (logs/run): log-sessions, log stream capability URLs, POST /apps/:app/dynos
  logSessionRoutes(router, ctx)
  registerRunRoutes(router, ctx)
  // ------------------------------------------------------------------------------------------------------------

  for (const register of options.routes ?? []) register(router, ctx)

  const authenticate = tokenAuthenticator(ctx.config.token)
  const server = createServer((req, res) => {
    void dispatch(req, res, {authenticate, router})
  })
  return {router, server}
}
