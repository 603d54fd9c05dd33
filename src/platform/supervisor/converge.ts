// Convergence: an app's current release and formation → the dynos that should run (`web.1`…`web.N`). Starts the
// missing ones, stops the surplus (highest index first), replaces those of another release or command (preboot
// when the app has it). An app's calls run one at a time; calls made while one is queued coalesce into it.
import type {DynoLifecycle} from './lifecycle.js'
import type {ReleaseFiles} from './release-files.js'
import type {SupervisorDeps, SupervisorState} from './state.js'

function indexOf(name: string): number {
  return Number(name.slice(name.lastIndexOf('.') + 1)) || 0
}

export interface ConvergeParts {
  deps: Pick<SupervisorDeps, 'desired' | 'preboot'>
  files: ReleaseFiles
  lifecycle: DynoLifecycle
  /** Resolves once the supervisor has started (isolation known, leftovers of a previous run stopped). */
  ready: () => Promise<void>
  state: SupervisorState
}

export class Converger {
  constructor(private readonly parts: ConvergeParts) {}

  converge(appId: string): Promise<void> {
    const {state} = this.parts
    if (state.shuttingDown) return Promise.resolve()
    const app = state.runtime(appId)
    if (app.next) return app.next
    const next = state.serial(appId, async () => {
      if (app.next === next) app.next = undefined
      await this.convergeNow(appId)
    })
    app.next = next
    return next
  }

  private async convergeNow(appId: string): Promise<void> {
    const {deps, files, lifecycle, state} = this.parts
    await this.parts.ready()
    if (state.shuttingDown) return
    const desired = deps.desired(appId)
    const app = state.runtime(appId)
    if (!desired) {
      // App destroyed: everything stops, one-offs included.
      await Promise.all([...app.dynos.values()].map(rec => lifecycle.stop(rec)))
      state.apps.delete(appId)
      files.scheduleGc()
      return
    }

    app.appName = desired.appName
    const release = desired.release
    const wanted = new Map<string, {command: string; size: string; type: string}>()
    if (release) {
      for (const f of desired.formation) for (let i = 1; i <= f.quantity; i++) wanted.set(`${f.type}.${i}`, f)
    }

    if (release && wanted.size > 0) {
      try {
        await files.slugs.ensure(release.id, release.slugPath)
      } catch (error) {
        state.log(appId, 'api', `Error: could not unpack release v${release.version}: ${(error as Error).message}`)
        return
      }
    }

    const preboot = deps.preboot?.(appId) ?? false
    const formationDynos = [...app.dynos.values()].filter(rec => !rec.oneOff)
    const surplus = formationDynos.filter(rec => !wanted.has(rec.name)).sort((a, b) => indexOf(b.name) - indexOf(a.name))
    const jobs: Array<Promise<void>> = surplus.map(rec => lifecycle.stop(rec))
    for (const [name, f] of wanted) {
      const rec = app.dynos.get(name)
      if (!rec) {
        const fresh = state.newRecord(app, appId, name, f.type, f.command, f.size, release!)
        app.dynos.set(name, fresh)
        state.web.changed()
        jobs.push(lifecycle.launch(fresh))
      } else if (rec.release.id !== release!.id || rec.command !== f.command) {
        jobs.push(lifecycle.replace(app, rec, release!, f.command, f.size, preboot))
      } else {
        rec.size = f.size
      }
    }

    await Promise.all(jobs)
    if (surplus.length > 0 || jobs.length > surplus.length) files.scheduleGc()
  }
}
