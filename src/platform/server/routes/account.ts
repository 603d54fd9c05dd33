// The single local account: GET /account, /users/~ (and by id or email).
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {notFound} from '../http.js'
import {presentAccount} from '../present.js'

export function registerAccountRoutes(router: Router, ctx: PlatformContext): void {
  router.get('/account', () => ({body: presentAccount(ctx.store.account())}))
  router.get('/users/:user', c => {
    const account = ctx.store.account()
    if (![account.email, account.id, '~'].includes(c.params.user)) throw notFound("Couldn't find that user.")
    return {body: presentAccount(account)}
  })
}
