// POST /apps/:app/log-sessions and the capability stream GET /log-streams/:secret (Server-Sent Events): the API
// side of logs/sessions.ts.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {LOG_STREAM_PREFIX, LogSessions} from '../../logs/sessions.js'
import {notFound} from '../http.js'

export interface LogRoutesDeps {
  /** Resolves an app name or id; undefined when there is no such app. */
  findApp: (nameOrId: string) => undefined | {id: string; name: string}
  sessions: LogSessions
}

/** Registers POST /apps/:app/log-sessions and the capability stream GET /log-streams/:secret. */
export function registerLogRoutes(router: Router, deps: LogRoutesDeps): void {
  router.post('/apps/:app/log-sessions', ctx => {
    const app = deps.findApp(ctx.params.app)
    if (!app) throw notFound("Couldn't find that app.", 'app')
    return {body: deps.sessions.create(app.id, ctx.body), status: 201}
  })
  router.get(
    `${LOG_STREAM_PREFIX}:secret`,
    ctx => {
      deps.sessions.stream(ctx.params.secret, ctx.req, ctx.res)
      return undefined
    },
    {auth: false},
  )
}

/**
 * The route module for buildServer: log sessions of the context's log service; `logplex_url` points at the
 * API port (ctx.config.port, read when a session is created, i.e. after listen).
 */
export function logSessionRoutes(router: Router, ctx: PlatformContext): void {
  const sessions = new LogSessions({baseUrl: () => `http://${ctx.config.host}:${ctx.config.port}`, logs: ctx.logs, stopping: ctx.stopping})
  registerLogRoutes(router, {findApp: nameOrId => ctx.store.findApp(nameOrId) ?? undefined, sessions})
}
