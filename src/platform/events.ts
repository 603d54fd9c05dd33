// What follows a change of desired state, wherever it was made (an API route, the deploy pipeline, add-ons): the
// supervisor converges, and the app's log gets its `app[api]` lines. Neutral ground, so no part of the platform
// imports the API server for them.
import type {PlatformContext} from './context.js'
import type {ReleaseRecord} from './store/index.js'

/** Tells the supervisor to converge the app; never blocks the caller, failures are logged for the operator. */
export function converge(ctx: Pick<PlatformContext, 'supervisor'>, appId: string): void {
  let pending: Promise<void>
  try {
    pending = ctx.supervisor.converge(appId)
  } catch (error) {
    pending = Promise.reject(error)
  }

  pending.catch(error => console.error(`[ferry] converge of app ${appId} failed:`, error))
}

/** Writes an `app[api]` line to the app's log. */
export function apiLog(ctx: Pick<PlatformContext, 'logs'>, appId: string, message: string): void {
  try {
    ctx.logs.append(appId, {dyno: 'api', message, source: 'app'})
  } catch (error) {
    console.error('[ferry] log append failed:', error)
  }
}

/** Logs a new release: `<description> by user <email>` and `Release vN created by user <email>`. */
export function logRelease(ctx: Pick<PlatformContext, 'logs'>, release: ReleaseRecord): void {
  apiLog(ctx, release.appId, `${release.description} by user ${release.userEmail}`)
  apiLog(ctx, release.appId, `Release v${release.version} created by user ${release.userEmail}`)
}
