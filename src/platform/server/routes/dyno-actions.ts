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
  const processType = (appId: string, type: string): string => {
    const formation = ctx.desired(appId)?.formation ?? []
    if (!formation.some(f => f.type === type)) throw notFound(`Couldn't find that process type (${type}).`)
    return type
  }

  // Like Heroku, a name without a dot that is no dyno's names a process type: the official CLI's
  // `heroku ps:restart web` sends DELETE /apps/APP/dynos/web (and ps:stop web the stop action on dynos/web).
  const dynoOrType = (appId: string, nameOrId: string): {name: string} | {type: string} => {
    const dyno = ctx.supervisor.dynos(appId).find(d => d.name === nameOrId || d.id === nameOrId)
    if (dyno) return {name: dyno.name}
    if (!nameOrId.includes('.') && (ctx.desired(appId)?.formation ?? []).some(f => f.type === nameOrId)) return {type: nameOrId}
    throw notFound("Couldn't find that dyno.")
  }

  router.delete('/apps/:app/dynos', c => {
    const app = appParam(ctx, c.params.app)
    inBackground(ctx.supervisor.restart(app.id), `restart of ${app.name}`)
    return accepted
  })

  router.delete('/apps/:app/dynos/:dyno', c => {
    const app = appParam(ctx, c.params.app)
    const target = dynoOrType(app.id, c.params.dyno)
    inBackground(ctx.supervisor.restart(app.id, target), `restart of ${app.name} ${'name' in target ? target.name : `${target.type} dynos`}`)
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
      const target = dynoOrType(app.id, c.params.dyno)
      inBackground(ctx.supervisor.stop(app.id, target), `stop of ${app.name} ${'name' in target ? target.name : `${target.type} dynos`}`)
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
