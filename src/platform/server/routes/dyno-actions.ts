// Dyno actions (shared/platform-api.md §3.12): restart all / one type / one dyno, stop one dyno / one type → `202 {}`.
// The supervisor does the work after the reply (a graceful stop may take the whole grace period).
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {notFound} from '../http.js'
import {appParam} from '../support.js'

function inBackground(work: Promise<void>, what: string): void {
  work.catch(error => console.error(`[ferry] ${what} failed:`, error))
}

const accepted = {body: {}, status: 202}

export function registerDynoActionRoutes(router: Router, ctx: PlatformContext): void {
  const dynoName = (appId: string, nameOrId: string): string => {
    const dyno = ctx.supervisor.dynos(appId).find(d => d.name === nameOrId || d.id === nameOrId)
    if (!dyno) throw notFound("Couldn't find that dyno.")
    return dyno.name
  }

  const processType = (appId: string, type: string): string => {
    const formation = ctx.desired(appId)?.formation ?? []
    if (!formation.some(f => f.type === type)) throw notFound(`Couldn't find that process type (${type}).`)
    return type
  }

  router.delete('/apps/:app/dynos', c => {
    const app = appParam(ctx, c.params.app)
    inBackground(ctx.supervisor.restart(app.id), `restart of ${app.name}`)
    return accepted
  })

  router.delete('/apps/:app/dynos/:dyno', c => {
    const app = appParam(ctx, c.params.app)
    const name = dynoName(app.id, c.params.dyno)
    inBackground(ctx.supervisor.restart(app.id, {name}), `restart of ${app.name} ${name}`)
    return accepted
  })

  router.delete('/apps/:app/formations/:type', c => {
    const app = appParam(ctx, c.params.app)
    const type = processType(app.id, c.params.type)
    inBackground(ctx.supervisor.restart(app.id, {type}), `restart of ${app.name} ${type} dynos`)
    return accepted
  })

  router.post(
    '/apps/:app/dynos/:dyno/actions/stop',
    c => {
      const app = appParam(ctx, c.params.app)
      const name = dynoName(app.id, c.params.dyno)
      inBackground(ctx.supervisor.stop(app.id, {name}), `stop of ${app.name} ${name}`)
      return accepted
    },
    {body: 'none'},
  )

  router.post(
    '/apps/:app/formations/:type/actions/stop',
    c => {
      const app = appParam(ctx, c.params.app)
      const type = processType(app.id, c.params.type)
      inBackground(ctx.supervisor.stop(app.id, {type}), `stop of ${app.name} ${type} dynos`)
      return accepted
    },
    {body: 'none'},
  )
}
