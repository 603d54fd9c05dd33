// Endpoints the official heroku CLI calls along the way (apps:info, auth:token) and ferry's own status.
import type {Collaborator, PlatformStatus} from '../../../api/types.js'
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {listReply, notFound} from '../http.js'
import {apiUrl} from '../../urls.js'
import {appParam} from '../support.js'

export function registerStubRoutes(router: Router, ctx: PlatformContext, startedAt: string): void {
  router.get('/apps/:app/collaborators', c => {
    const app = appParam(ctx, c.params.app)
    const account = ctx.store.account()
    const owner: Collaborator = {
      app: {id: app.id, name: app.name},
      created_at: app.createdAt,
      id: account.id,
      role: 'owner',
      updated_at: app.updatedAt,
      user: {email: account.email, id: account.id},
    }
    return listReply(c, [owner], {fields: ['id', 'email']})
  })

  router.get('/apps/:app/pipeline-couplings', c => {
    appParam(ctx, c.params.app)
    throw notFound('This app is not in a pipeline.')
  })

  router.get('/oauth/authorizations', c => listReply(c, [], {fields: ['id']}))

  router.get('/ferry/status', () => {
    const apps = ctx.store.listApps()
    const status: PlatformStatus = {
      apps: apps.length,
      dataDir: ctx.paths.dataDir,
      dynos: apps.reduce((n, app) => n + ctx.supervisor.dynos(app.id).length, 0),
      isolation: ctx.config.isolation,
      pid: process.pid,
      port: ctx.config.port,
      routerEngine: ctx.config.routerEngine,
      routerPort: ctx.config.routerPort,
      routerUrl: `http://${ctx.config.host}:${ctx.config.routerPort}`,
      startedAt,
      url: apiUrl(ctx.config),
      version: ctx.config.version,
    }
    return {body: status}
  })
}
