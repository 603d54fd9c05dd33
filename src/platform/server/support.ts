// Helpers every route module uses: app lookup, convergence after a desired-state change, app[api] log lines.
import type {PlatformContext} from '../context.js'
import type {AppRecord, ReleaseRecord} from '../store/index.js'

/** The app named or identified by a route's `:app` param (404 "Couldn't find that app." otherwise). */
export function appParam(ctx: PlatformContext, nameOrId: string): AppRecord {
  return ctx.store.getApp(nameOrId)
}

/** Tells the supervisor to converge the app; never blocks the API reply, failures are logged for the operator. */
export function converge(ctx: PlatformContext, appId: string): void {
  let pending: Promise<void>
  try {
    pending = ctx.supervisor.converge(appId)
  } catch (error) {
    pending = Promise.reject(error)
  }

  pending.catch(error => console.error(`[ferry] converge of app ${appId} failed:`, error))
}

/** Writes an `app[api]` line to the app's log. */
export function apiLog(ctx: PlatformContext, appId: string, message: string): void {
  try {
    ctx.logs.append(appId, {dyno: 'api', message, source: 'app'})
  } catch (error) {
    console.error('[ferry] log append failed:', error)
  }
}

/** Logs a new release: `<description> by user <email>` and `Release vN created by user <email>`. */
export function logRelease(ctx: PlatformContext, release: ReleaseRecord): void {
  apiLog(ctx, release.appId, `${release.description} by user ${release.userEmail}`)
  apiLog(ctx, release.appId, `Release v${release.version} created by user ${release.userEmail}`)
}
