// The single local account: GET /account, /users/~ (and by id or email); its features (labs): none on a local platform.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {listReply, notFound} from '../http.js'
import {presentAccount} from '../present.js'

export function registerAccountRoutes(router: Router, ctx: PlatformContext): void {
  router.get('/account', () => ({body: presentAccount(ctx.store.account())}))
  // `heroku labs` lists account features next to the app's: a local account has none (an empty list, not a 404).
  router.get('/account/features', c => listReply(c, [], {fields: ['id', 'name']}))
  router.get('/account/features/:feature', c => {
    throw notFound(`Couldn't find that feature (${c.params.feature}).`)
  })
  router.get('/users/:user', c => {
    const account = ctx.store.account()
    if (![account.email, account.id, '~'].includes(c.params.user)) throw notFound("Couldn't find that user.")
    return {body: presentAccount(account)}
  })
}
