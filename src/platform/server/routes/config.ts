// Config vars: read, PATCH (merge, null removes; a change makes a release), and a release's snapshot.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {appParam} from '../support.js'
import {objectOf} from '../validate.js'

export function registerConfigRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx

  router.get('/apps/:app/config-vars', c => ({body: store.configVars(appParam(ctx, c.params.app).id)}))

  router.patch('/apps/:app/config-vars', c => {
    const app = appParam(ctx, c.params.app)
    const patch = objectOf(c.body, Object.keys((c.body as object) ?? {}), 'config vars body') as Record<string, null | string>
    const {config, release} = store.updateConfigVars(app.id, patch)
    // Answers at once: a release with a release command is pending until it ran (`releases` shows it executing).
    ctx.releases.settleInBackground([release], {followCurrentSlug: true})

    return {body: config}
  })

  router.get('/apps/:app/releases/:release/config-vars', c => {
    const app = appParam(ctx, c.params.app)
    return {body: store.getRelease(app.id, c.params.release).config}
  })
}
