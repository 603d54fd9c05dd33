// Releases: list (Range on id/version), info (id or version), create from a slug, rollback.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {invalidParams, listReply} from '../http.js'
import {presentRelease} from '../present.js'
import {appParam} from '../support.js'
import {objectBody, optionalString} from '../validate.js'

export function registerReleaseRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx
  const plansAt = (appId: string) => ctx.addons.releasePlans(appId)

  router.get('/apps/:app/releases', async c => {
    const app = appParam(ctx, c.params.app)
    const plans = await plansAt(app.id)
    return listReply(c, store.listReleases(app.id).map(r => presentRelease(r, plans(r.createdAt))), {defaultField: 'version', fields: ['id', 'version']})
  })

  router.get('/apps/:app/releases/:release', async c => {
    const app = appParam(ctx, c.params.app)
    const release = store.getRelease(app.id, c.params.release)
    return {body: presentRelease(release, (await plansAt(app.id))(release.createdAt))}
  })

  router.post('/apps/:app/releases', async c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['description', 'release', 'slug'], {required: true})
    const slugId = optionalString(body, 'slug')
    const target = optionalString(body, 'release')
    const description = optionalString(body, 'description')
    if ((slugId === undefined) === (target === undefined)) {
      throw invalidParams('Send either "slug" (a slug id, to release it) or "release" (a release id or version, to roll back to it).')
    }

    let release
    if (target === undefined) {
      const slug = store.getSlug(app.id, slugId!)
      release = store.createRelease({appId: app.id, description: description ?? (slug.commit ? `Deploy ${slug.commit.slice(0, 8)}` : 'Deploy'), slugId: slug.id})
    } else {
      release = store.rollback(app.id, target)
    }

    // Answers at once with the release, pending while its release command runs (rollbacks too, like Heroku).
    ctx.releases.settleInBackground([release])
    release = store.getRelease(app.id, release.id)
    return {body: presentRelease(release, (await plansAt(app.id))(release.createdAt)), status: 201}
  })
}
