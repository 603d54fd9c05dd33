// Dynos: list and info from the supervisor's actual state. (Restart/stop: D; POST /dynos: E.)
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {listReply, notFound} from '../http.js'
import {appParam} from '../support.js'

export function registerDynoRoutes(router: Router, ctx: PlatformContext): void {
  router.get('/apps/:app/dynos', c => {
    const app = appParam(ctx, c.params.app)
    return listReply(c, ctx.supervisor.dynos(app.id), {defaultField: 'name', fields: ['id', 'name', 'created_at']})
  })

  router.get('/apps/:app/dynos/:dyno', c => {
    const app = appParam(ctx, c.params.app)
    const dyno = ctx.supervisor.dynos(app.id).find(d => d.name === c.params.dyno || d.id === c.params.dyno)
    if (!dyno) throw notFound("Couldn't find that dyno.")
    return {body: dyno}
  })
}
