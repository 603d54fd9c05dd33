// The add-ons as the rest of the platform holds them: the manager (and the store, catalog and backups modules it
// brings) loads with the first add-on request, or at start when add-ons exist, so a daemon without add-ons never
// carries it (~0.3 MB of an idle daemon's RSS, measured). The server modules load later still (manager.ts).
import type {Addons, PlatformContext} from '../context.js'
import type {AddonManager} from './manager.js'

export class LazyAddons implements Addons {
  loaded: AddonManager | undefined
  private loading: Promise<AddonManager> | undefined

  constructor(private readonly ctx: Pick<PlatformContext, 'config' | 'paths' | 'releases' | 'store'>) {}

  /** Whether any add-on exists (one indexed query; nothing is loaded). */
  any(): boolean {
    return this.loaded !== undefined || this.ctx.store.sql('SELECT 1 FROM addons LIMIT 1').get() !== undefined
  }

  manager(): Promise<AddonManager> {
    this.loading ??= import('./manager.js').then(
      ({AddonManager}) => {
        this.loaded ??= new AddonManager(this.ctx)
        return this.loaded
      },
      error => {
        this.loading = undefined
        throw error
      },
    )
    return this.loading
  }

  async releasePlans(appId: string): Promise<(at: string) => string[]> {
    if (!this.any()) return () => []
    const [manager, {addonPlansAt}] = await Promise.all([this.manager(), import('./present.js')])
    return addonPlansAt(manager.records, appId)
  }
}
