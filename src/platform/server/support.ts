// What route modules share: the app of a route's `:app` param. (Convergence and app[api] log lines live in
// ../events.ts, the platform's public URLs in ../urls.ts: other parts of the platform need them too.)
import type {PlatformContext} from '../context.js'
import type {AppRecord} from '../store/index.js'

/** The app named or identified by a route's `:app` param (404 "Couldn't find that app." otherwise). */
export function appParam(ctx: PlatformContext, nameOrId: string): AppRecord {
  return ctx.store.getApp(nameOrId)
}
