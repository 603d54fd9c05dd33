// The supervisor: converges each app's actual dyno processes to its desired state (current release + formation),
// keeps them running (crash restart with backoff), and stops them gracefully. Commands never start processes; they
// change the store and call converge().
//
// This class is the facade; each behaviour has its module: converge.ts (formation → dynos), lifecycle.ts (one
// dyno's life), one-offs.ts (`ferry run`, release phase), web-targets.ts (what the router sees), cgroups.ts (limits
// per dyno), release-files.ts (unpacked slugs, overlay fstabs, GC), runtable.ts (leftovers of a previous run),
// sandbox.ts / sandbox-probe.ts (how a dyno is launched, what this host's sandbox can do), state.ts (what they share).
import {join} from 'node:path'

import type {Dyno} from '../../api/types.js'
import type {DesiredApp, OneOffHandle, OneOffOptions, Supervisor, WebTarget} from '../context.js'
import type {IsolationInfo} from './sandbox.js'
import type {SlugCache} from './slugs.js'

import {DynoCgroups} from './cgroups.js'
import {Converger} from './converge.js'
import {DynoLifecycle} from './lifecycle.js'
import {OneOffs} from './one-offs.js'
import {ReleaseFiles} from './release-files.js'
import {RunTable, stopPreviousRun} from './runtable.js'
import {probeSandbox} from './sandbox-probe.js'
import {type DynoRecord, SupervisorState, type SupervisorDeps} from './state.js'

export {type IsolationInfo, type IsolationMode} from './sandbox.js'
export {SlugCache} from './slugs.js'
export {type SupervisorDeps} from './state.js'

export interface SupervisorOptions {
  /** Second crash in a row waits this long, then doubling (default: config.restartBackoffBaseMs, else 1 s). */
  backoffBaseMs?: number
  /** Cap of the crash backoff (default: config.restartBackoffMaxMs, else 5 min). */
  backoffMaxMs?: number
  /** Force an isolation mode ('none' / 'bwrap'); default: config.isolationForced, else the best this host supports. */
  isolation?: string
  /** Web dyno port probe interval (default 5 ms; one /proc/net/tcp read per tick for all starting dynos). */
  probeIntervalMs?: number
}

function matches(rec: DynoRecord, target: {name?: string; type?: string}): boolean {
  if (target.name) return rec.name === target.name || rec.id === target.name
  if (target.type) return rec.type === target.type && !rec.oneOff
  return true
}

export class DynoSupervisor implements Supervisor {
  readonly slugs: SlugCache
  private readonly cgroups: DynoCgroups
  private readonly converger: Converger
  private readonly files: ReleaseFiles
  private readonly lifecycle: DynoLifecycle
  private readonly oneOffs: OneOffs
  private readonly runTable: RunTable
  private readonly scratchMount: string
  private started?: Promise<void>
  private readonly state: SupervisorState

  constructor(
    private readonly deps: SupervisorDeps,
    private readonly options: SupervisorOptions = {},
  ) {
    const {config} = deps
    const state = new SupervisorState(deps)
    this.state = state
    this.scratchMount = join(config.dataDir, 'run', 'sandbox')
    this.runTable = new RunTable(join(config.dataDir, 'run'))
    this.cgroups = new DynoCgroups(config.dataDir)
    this.files = new ReleaseFiles(config.dataDir, this.scratchMount, () => this.releasesInUse())
    this.slugs = this.files.slugs
    this.lifecycle = new DynoLifecycle({
      backoff: {baseMs: options.backoffBaseMs ?? config.restartBackoffBaseMs ?? 1000, maxMs: options.backoffMaxMs ?? config.restartBackoffMaxMs ?? 5 * 60_000},
      cgroups: this.cgroups,
      config,
      files: this.files,
      probeIntervalMs: options.probeIntervalMs ?? 5,
      runTable: this.runTable,
      scratchMount: this.scratchMount,
      state,
    })
    const parts = {deps, files: this.files, lifecycle: this.lifecycle, state}
    this.converger = new Converger({...parts, ready: () => this.start()})
    this.oneOffs = new OneOffs(parts)
  }

  /** Resolved isolation (after start()). */
  get isolation(): IsolationInfo {
    return this.state.isolation
  }

  /** Probes what the dyno sandbox can do here and stops leftovers of a crashed daemon. Idempotent; converge calls it too. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const {config} = this.deps
      this.state.isolation = await probeSandbox(this.scratchMount, {forced: this.options.isolation ?? config.isolationForced, platform: config.isolation})
      this.files.forgetPreviousRun()
      this.cgroups.removeStale(this.state.isolation)
      await stopPreviousRun(this.runTable, config.dataDir, Math.min(config.stopGraceMs, 1000), (app, dyno, message) => this.state.log(app, dyno, message))
    })()
    return this.started
  }

  // ---- Supervisor interface ----

  converge(appId: string): Promise<void> {
    return this.converger.converge(appId)
  }

  async convergeAll(): Promise<void> {
    await this.start()
    const ids = new Set([...this.deps.appIds(), ...this.state.apps.keys()])
    await Promise.all([...ids].map(id => this.converge(id)))
    this.files.scheduleGc(0)
  }

  dynos(appId: string): Dyno[] {
    const app = this.state.apps.get(appId)
    if (!app) return []
    return [...app.dynos.values()].map(rec => this.state.toDyno(rec)).sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
  }

  restart(appId: string, target: {name?: string; type?: string} = {}): Promise<void> {
    return this.state.serial(appId, async () => {
      const app = this.state.apps.get(appId)
      if (!app) return
      const matched = [...app.dynos.values()].filter(rec => matches(rec, target))
      await Promise.all(matched.map(async rec => {
          if (rec.oneOff) return this.lifecycle.stop(rec)
          rec.failures = 0
          await this.lifecycle.replace(app, rec, rec.release, rec.command, rec.size, this.deps.preboot?.(appId) ?? false)
        }))
    })
  }

  async shutdown(): Promise<void> {
    this.state.shuttingDown = true
    this.files.stop()
    const all = [...this.state.apps.values()].flatMap(app => [...app.dynos.values()])
    await Promise.all([...all.map(rec => this.lifecycle.stop(rec)), ...this.state.draining])
    this.runTable.close()
  }

  async startOneOff(options: OneOffOptions & {release?: DesiredApp['release']}): Promise<OneOffHandle> {
    await this.start()
    return this.oneOffs.start(options)
  }

  stop(appId: string, target: {name?: string; type?: string}): Promise<void> {
    // A stopped formation dyno is replaced by the dyno manager (formation unchanged): for those, stop = restart.
    return this.restart(appId, target)
  }

  /** Calls `listener` (synchronously) whenever webTargets() may answer differently; returns the unsubscribe. */
  onWebChange(listener: () => void): () => void {
    return this.state.web.onChange(listener)
  }

  /**
   * The router calls this for every request: the answer is cached per app until a dyno state, a port, or an app's
   * dynos or retiring set changes. The returned array and its targets are frozen: callers must not modify them.
   */
  webTargets(appId: string): WebTarget[] {
    return this.state.web.of(this.state.apps.get(appId))
  }

  /** Unpacks a release's slug now (shared with its dynos later); throws SlugUnpackError with the reason. */
  async prepare(release: {id: string; slugPath: string}): Promise<void> {
    await this.slugs.ensure(release.id, release.slugPath)
  }

  /** Removes unpacked releases no dyno and no current release uses. */
  gcReleases(): Promise<string[]> {
    return this.files.gc()
  }

  /** Ids of the releases a dyno (running, retiring or being stopped) or an app's current release needs. */
  private releasesInUse(): Set<string> {
    const keep = new Set<string>()
    for (const app of this.state.apps.values()) for (const rec of [...app.dynos.values(), ...app.retiring]) keep.add(rec.release.id)
    for (const rec of this.state.replaced) keep.add(rec.release.id)
    for (const id of this.deps.appIds()) {
      const release = this.deps.desired(id)?.release
      if (release) keep.add(release.id)
    }

    return keep
  }
}

/** Wiring for the daemon: `createSupervisor(ctx)` with the platform context (or any object with the same parts). */
export function createSupervisor(ctx: {
  config: SupervisorDeps['config']
  desired(appId: string): DesiredApp | null
  logs: SupervisorDeps['logs']
  store: {feature?(appId: string, name: string): boolean; listApps(): Array<{id: string}>}
}, options?: SupervisorOptions): DynoSupervisor {
  return new DynoSupervisor(
    {
      appIds: () => ctx.store.listApps().map(a => a.id),
      config: ctx.config,
      desired: id => ctx.desired(id),
      logs: ctx.logs,
      preboot: id => ctx.store.feature?.(id, 'preboot') ?? false,
    },
    options,
  )
}
