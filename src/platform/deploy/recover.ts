// After a daemon restart: builds and release phases that were running can never finish. Kept apart from the deploy
// service so the daemon can run it at start without loading the deploy pipeline (it loads on the first build).
import {appendFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import type {PlatformContext} from '../context.js'

/**
 * Marks pending builds and release phases of apps without a running build as failed (the previous release stays
 * current) and removes their work dirs. Returns the number of builds marked.
 */
export function recoverInterruptedBuilds(ctx: Pick<PlatformContext, 'paths' | 'store'>, busy: (appId: string) => boolean = () => false): number {
  const {store} = ctx
  let count = 0
  for (const app of store.listApps()) {
    if (busy(app.id)) continue
    for (const build of store.listBuilds(app.id)) {
      if (build.status !== 'pending') continue
      store.updateBuild(build.id, {status: 'failed'})
      try {
        appendFileSync(build.outputPath, ' !     The build was interrupted by a platform restart.\n')
      } catch {}

      rmSync(join(ctx.paths.builds, build.id), {force: true, recursive: true})
      count++
    }

    for (const release of store.listReleases(app.id)) {
      if (release.status === 'pending') store.setReleaseStatus(release.id, 'failed', {restoreConfig: true})
    }
  }

  return count
}
