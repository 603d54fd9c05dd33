// The supervisor: converges each app's actual dyno processes to its desired state (current release + formation),
// keeps them running (crash restart with backoff), and stops them gracefully. Commands never start processes; they
// change the store and call converge().
import {randomInt, randomUUID} from 'node:crypto'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough, type Readable} from 'node:stream'

import type {Dyno, DynoState} from '../../api/types.js'
import type {DesiredApp, LogService, OneOffHandle, OneOffOptions, PlatformConfig, Supervisor, WebTarget} from '../context.js'

import {type DynoProcess, freePort, ListenWatcher, processStartTime, readLines, spawnDyno} from './dyno.js'
import {findStrays, killStrays, RunTable, stopLeftovers} from './runtable.js'
import {cgroupPrefix, makePidsCgroup, PIDS_CGROUP_ROOT, removeCgroupLater} from '../bwrap.js'
import {APP_DIR, detectIsolation, dynoEnv, fstabSafe, type IsolationInfo, launchPlan, MEMORY_CGROUP_ROOT, memoryLimitBytes, overlayFstab, pidsLimit} from './sandbox.js'
import {SlugCache} from './slugs.js'

export {type IsolationInfo, type IsolationMode} from './sandbox.js'
export {SlugCache} from './slugs.js'

type Release = NonNullable<DesiredApp['release']>
type State = 'complete' | DynoState

export interface SupervisorDeps {
  /** Ids of every app in the store (daemon start converges them all). */
  appIds(): string[]
  /** `isolation` (when given) is corrected to 'none' if the dyno sandbox turns out unusable, so status never over-reports. */
  config: Partial<Pick<PlatformConfig, 'isolation'>> & Pick<PlatformConfig, 'bootTimeoutMs' | 'dataDir' | 'stopGraceMs'>
  desired(appId: string): DesiredApp | null
  logs: Pick<LogService, 'append'>
  /** true when the app has the `preboot` feature: new web dynos start beside the old ones, which stop once they are up. */
  preboot?(appId: string): boolean
}

export interface SupervisorOptions {
  /** Second crash in a row waits this long, then doubling (default 1 s; env FERRY_RESTART_BACKOFF_BASE_MS). */
  backoffBaseMs?: number
  /** Cap of the crash backoff (default 5 min; env FERRY_RESTART_BACKOFF_MAX_MS). */
  backoffMaxMs?: number
  /** Force an isolation mode ('none' / 'bwrap' / 'bwrap-overlay'); default: the best this host supports (env FERRY_ISOLATION). */
  isolation?: string
  /** Web dyno port probe interval (default 5 ms; one /proc/net/tcp read per tick for all starting dynos). */
  probeIntervalMs?: number
}

interface DynoRecord {
  appId: string
  appName: string
  /** Waiting for the dyno to leave `starting` (preboot). */
  onSettled?: Array<() => void>
  /** Stopped before its process was spawned: launch() must not spawn it. */
  cancelled?: boolean
  /** Memory cgroup (limit per size, R15). */
  cgroup?: string
  command: string
  createdAt: Date
  /** Crashes since the last release change / manual restart (drives the backoff). */
  failures: number
  id: string
  name: string
  /** pids cgroup (process limit per size). */
  pidsCgroup?: string
  oneOff?: {
    attach: boolean
    env: Record<string, string>
    exit: (status: number) => void
    output: PassThrough
  }
  port: number
  proc?: DynoProcess
  release: Release
  restartTimer?: NodeJS.Timeout
  size: string
  state: State
  stopping?: Promise<void>
  type: string
  updatedAt: Date
}

interface AppRuntime {
  appName: string
  dynos: Map<string, DynoRecord>
  /** Web dynos replaced under preboot: still serving until their successor is up. */
  retiring: Set<DynoRecord>
  /** A converge queued behind the running one (calls coalesce into it). */
  next?: Promise<void>
  /** Tail of this app's serialized operations. */
  tail: Promise<void>
  /** The last webTargets() answer, valid while the supervisor's webEpoch is unchanged. */
  webCache?: {epoch: number; targets: WebTarget[]}
}

const NO_TARGETS: WebTarget[] = Object.freeze([]) as unknown as WebTarget[]

function servesWeb(rec: DynoRecord): boolean {
  return rec.type === 'web' && rec.state === 'up' && !rec.oneOff
}

const CGROUP_ROOT = MEMORY_CGROUP_ROOT

/** OOM kills recorded by a cgroup v1 memory controller. */
function oomKills(cgroup: string): number {
  try {
    return Number(/oom_kill (\d+)/.exec(readFileSync(join(cgroup, 'memory.oom_control'), 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

function indexOf(name: string): number {
  return Number(name.slice(name.lastIndexOf('.') + 1)) || 0
}

export class DynoSupervisor implements Supervisor {
  /** Resolved isolation (after start()). */
  isolation: IsolationInfo = {detail: 'not started', memoryLimits: false, mode: 'none', pidsLimits: false}
  readonly slugs: SlugCache
  private readonly apps = new Map<string, AppRuntime>()
  /** onWebChange() listeners (the router). */
  private readonly webListeners = new Set<() => void>()
  /** Bumped (webChanged()) on every change webTargets() depends on (dyno states, ports, dynos and retiring sets): invalidates its caches. */
  private webEpoch = 0
  private readonly backoffBaseMs: number
  private readonly backoffMaxMs: number
  /** Old dynos being stopped after they were replaced (shutdown waits for them). */
  private readonly draining = new Set<Promise<void>>()
  /** Their records (their release dirs must survive a GC until they are gone). */
  private readonly replaced = new Set<DynoRecord>()
  private gcTimer?: NodeJS.Timeout
  private readonly listenWatcher: ListenWatcher
  private recovered?: Promise<void>
  /** Prefix of this daemon's memory cgroups (one per dyno process): `/sys/fs/cgroup/memory/ferry/<hash of the data dir>-<dyno id>`. */
  private readonly cgroupPrefix: string
  private readonly runTable: RunTable
  private readonly scratchMount: string
  /** fstabs of the overlay launcher (`<dataDir>/run/fstab/<release id>`), and the release dirs written this run. */
  private readonly fstabDir: string
  private readonly fstabs = new Map<string, string>()
  private shuttingDown = false
  private started?: Promise<void>

  constructor(
    private readonly deps: SupervisorDeps,
    private readonly options: SupervisorOptions = {},
  ) {
    const env = process.env
    this.backoffBaseMs = options.backoffBaseMs ?? (Number(env.FERRY_RESTART_BACKOFF_BASE_MS) || 1000)
    this.backoffMaxMs = options.backoffMaxMs ?? (Number(env.FERRY_RESTART_BACKOFF_MAX_MS) || 5 * 60_000)
    this.listenWatcher = new ListenWatcher(options.probeIntervalMs ?? 5)
    this.slugs = new SlugCache(deps.config.dataDir)
    this.runTable = new RunTable(join(deps.config.dataDir, 'run'))
    this.scratchMount = join(deps.config.dataDir, 'run', 'sandbox')
    this.fstabDir = join(deps.config.dataDir, 'run', 'fstab')
    this.cgroupPrefix = cgroupPrefix(deps.config.dataDir)
  }

  /** Detects the isolation mode and stops leftovers of a crashed daemon. Idempotent; called by converge too. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.isolation = await detectIsolation(this.scratchMount, this.options.isolation ?? process.env.FERRY_ISOLATION)
      if (this.isolation.mode === 'none' && this.deps.config.isolation === 'bwrap') {
        console.error(`[ferry] dynos run without a sandbox: ${this.isolation.detail}`)
        this.deps.config.isolation = 'none'
      }

      this.recovered ??= this.recover()
      await this.recovered
    })()
    return this.started
  }

  // ---- Supervisor interface ----

  converge(appId: string): Promise<void> {
    if (this.shuttingDown) return Promise.resolve()
    const app = this.runtime(appId)
    if (app.next) return app.next
    const next = this.serial(appId, async () => {
      if (app.next === next) app.next = undefined
      await this.convergeNow(appId)
    })
    app.next = next
    return next
  }

  async convergeAll(): Promise<void> {
    await this.start()
    const ids = new Set([...this.apps.keys(), ...this.deps.appIds()])
    await Promise.all([...ids].map(id => this.converge(id)))
    this.scheduleGc(0)
  }

  dynos(appId: string): Dyno[] {
    const app = this.apps.get(appId)
    if (!app) return []
    return [...app.dynos.values()].map(rec => this.toDyno(rec)).sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
  }

  restart(appId: string, target: {name?: string; type?: string} = {}): Promise<void> {
    return this.serial(appId, async () => {
      const app = this.apps.get(appId)
      if (!app) return
      const matched = [...app.dynos.values()].filter(rec => this.matches(rec, target))
      await Promise.all(matched.map(async rec => {
          if (rec.oneOff) return this.stopDyno(rec)
          rec.failures = 0
          await this.replace(app, rec, rec.release, rec.command, rec.size, this.deps.preboot?.(appId) ?? false)
        }))
    })
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true
    clearTimeout(this.gcTimer)
    const all = [...this.apps.values()].flatMap(app => [...app.dynos.values()])
    await Promise.all([...all.map(rec => this.stopDyno(rec)), ...this.draining])
    this.runTable.close()
  }

  async startOneOff(options: OneOffOptions & {release?: DesiredApp['release']}): Promise<OneOffHandle> {
    await this.start()
    if (this.shuttingDown) throw Object.assign(new Error('The platform is shutting down.'), {kind: 'Unavailable'})
    const desired = this.deps.desired(options.appId)
    if (!desired) throw Object.assign(new Error("Couldn't find that app."), {kind: 'NotFound'})
    const release = options.release ?? desired.release
    if (!release) throw Object.assign(new Error('App has no release with a slug yet: deploy it first.'), {kind: 'Conflict'})
    const app = this.runtime(options.appId, desired.appName)
    const type = options.type ?? 'run'
    let name: string
    do name = `${type}.${randomInt(1000, 10_000)}`
    while (app.dynos.has(name))
    let exit!: (status: number) => void
    const exitPromise = new Promise<number>(resolve => {
      exit = resolve
    })
    const output = new PassThrough()
    if (!options.attach) output.resume()
    const rec = this.newRecord(app, options.appId, name, type, options.command, 'Basic', release)
    rec.oneOff = {attach: options.attach, env: options.env ?? {}, exit, output}
    app.dynos.set(name, rec)
    this.webChanged()
    await this.slugs.ensure(release.id, release.slugPath).catch(error => {
      app.dynos.delete(name)
      this.webChanged()
      throw error
    })
    await this.launch(rec)
    const child = rec.proc?.child
    const stdin = child?.stdin ?? new PassThrough()
    stdin.on('error', () => {})
    return {
      dyno: this.toDyno(rec),
      exit: exitPromise,
      output,
      stdin,
      stop: () => this.stopDyno(rec),
    }
  }

  stop(appId: string, target: {name?: string; type?: string}): Promise<void> {
    // A stopped formation dyno is replaced by the dyno manager (formation unchanged): for those, stop = restart.
    return this.restart(appId, target)
  }

  /** Calls `listener` (synchronously) whenever webTargets() may answer differently; returns the unsubscribe. */
  onWebChange(listener: () => void): () => void {
    this.webListeners.add(listener)
    return () => this.webListeners.delete(listener)
  }

  /** Something webTargets() depends on changed: its caches are stale, and the onWebChange() listeners are told. */
  private webChanged(): void {
    this.webEpoch++
    for (const listener of this.webListeners) {
      try {
        listener()
      } catch {}
    }
  }

  /**
   * The router calls this for every request: the answer is cached per app until `webEpoch` changes (every dyno
   * state change, port, and change of an app's dynos or retiring set bumps it). The returned array and its targets
   * are frozen: callers must not modify them.
   */
  webTargets(appId: string): WebTarget[] {
    const app = this.apps.get(appId)
    if (!app) return NO_TARGETS
    const cache = app.webCache
    if (cache && cache.epoch === this.webEpoch) return cache.targets
    const targets = [...app.retiring, ...app.dynos.values()]
      .filter(rec => servesWeb(rec))
      .map(rec => Object.freeze({dyno: rec.name, port: rec.port, release: rec.release.version}))
    Object.freeze(targets)
    app.webCache = {epoch: this.webEpoch, targets}
    return targets
  }

  /** Unpacks a release's slug now (shared with its dynos later); throws SlugUnpackError with the reason. */
  async prepare(release: {id: string; slugPath: string}): Promise<void> {
    await this.slugs.ensure(release.id, release.slugPath)
  }

  /** Removes unpacked releases no dyno and no current release uses. */
  async gcReleases(): Promise<string[]> {
    const keep = new Set<string>()
    for (const app of this.apps.values()) for (const rec of [...app.dynos.values(), ...app.retiring]) keep.add(rec.release.id)
    for (const rec of this.replaced) keep.add(rec.release.id)
    for (const id of this.deps.appIds()) {
      const release = this.deps.desired(id)?.release
      if (release) keep.add(release.id)
    }

    return this.slugs.gc(keep)
  }

  // ---- convergence ----

  private async convergeNow(appId: string): Promise<void> {
    await this.start()
    if (this.shuttingDown) return
    const desired = this.deps.desired(appId)
    const app = this.runtime(appId)
    if (!desired) {
      // App destroyed: everything stops, one-offs included.
      await Promise.all([...app.dynos.values()].map(rec => this.stopDyno(rec)))
      this.apps.delete(appId)
      this.scheduleGc()
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
        await this.slugs.ensure(release.id, release.slugPath)
      } catch (error) {
        this.log(appId, 'api', `Error: could not unpack release v${release.version}: ${(error as Error).message}`)
        return
      }
    }

    const preboot = this.deps.preboot?.(appId) ?? false
    const formationDynos = [...app.dynos.values()].filter(rec => !rec.oneOff)
    const surplus = formationDynos.filter(rec => !wanted.has(rec.name)).sort((a, b) => indexOf(b.name) - indexOf(a.name))
    const jobs: Array<Promise<void>> = surplus.map(rec => this.stopDyno(rec))
    for (const [name, f] of wanted) {
      const rec = app.dynos.get(name)
      if (!rec) {
        const fresh = this.newRecord(app, appId, name, f.type, f.command, f.size, release!)
        app.dynos.set(name, fresh)
        this.webChanged()
        jobs.push(this.launch(fresh))
      } else if (rec.release.id !== release!.id || rec.command !== f.command) {
        jobs.push(this.replace(app, rec, release!, f.command, f.size, preboot))
      } else {
        rec.size = f.size
      }
    }

    await Promise.all(jobs)
    if (surplus.length > 0 || jobs.length > surplus.length) this.scheduleGc()
  }

  /** Stops `old` (SIGTERM sent first) and starts a fresh dyno with the same name, without waiting for the old one. */
  /**
   * Replaces `old` by a fresh dyno with the same name. Default (Heroku without preboot): SIGTERM to the old one and
   * start the new one at once. Preboot (app feature, web dynos that are up): the old one keeps serving (it stays in
   * webTargets) until the new one is up or has failed, then it is stopped — in the background, so a slow boot does
   * not hold up the app's other operations.
   */
  private async replace(app: AppRuntime, old: DynoRecord, release: Release, command: string, size: string, preboot = false): Promise<void> {
    const fresh = this.newRecord(app, old.appId, old.name, old.type, command, size, release)
    fresh.failures = old.release.id === release.id ? old.failures : 0
    if (old.restartTimer) clearTimeout(old.restartTimer)
    app.dynos.set(old.name, fresh)
    const overlap = preboot && old.type === 'web' && old.state === 'up' && old.proc !== undefined
    if (overlap) app.retiring.add(old)
    this.webChanged()
    this.replaced.add(old)
    const stopping = (overlap ? this.settled(fresh).then(() => this.stopDyno(old, false)) : this.stopDyno(old, false)).finally(() => {
      app.retiring.delete(old)
      this.webChanged()
      this.replaced.delete(old)
      this.draining.delete(stopping)
    })
    this.draining.add(stopping)
    const starting = this.slugs.ensure(release.id, release.slugPath).then(() => this.launch(fresh))
    await (overlap ? starting : Promise.all([stopping, starting]))
  }

  /** Resolves once the dyno has left `starting` (up, crashed, down). */
  private settled(rec: DynoRecord): Promise<void> {
    if (rec.state !== 'starting' || rec.cancelled) return Promise.resolve()
    return new Promise(resolve => {
      rec.onSettled = [...(rec.onSettled ?? []), resolve]
    })
  }

  private newRecord(app: AppRuntime, appId: string, name: string, type: string, command: string, size: string, release: Release): DynoRecord {
    const now = new Date()
    return {
      appId,
      appName: app.appName,
      command,
      createdAt: now,
      failures: 0,
      id: randomUUID(),
      name,
      port: 0,
      release,
      size,
      state: 'starting',
      type,
      updatedAt: now,
    }
  }

  // ---- one dyno's life ----

  private async launch(rec: DynoRecord): Promise<void> {
    if (this.shuttingDown) return
    const {isolation} = this
    rec.port = await freePort()
    this.webChanged()
    if (rec.cancelled || this.shuttingDown) return
    rec.id = randomUUID()
    rec.createdAt = new Date()
    const releaseDir = this.slugs.dirFor(rec.release.id)
    const sandboxed = isolation.mode !== 'none'
    const env = dynoEnv({
      config: rec.release.env,
      dyno: rec.name,
      extra: rec.oneOff?.env,
      home: sandboxed ? APP_DIR : releaseDir,
      port: rec.port,
      size: rec.size,
    })
    rec.cgroup = sandboxed && isolation.memoryLimits ? this.makeCgroup(rec) : undefined
    rec.pidsCgroup = sandboxed && isolation.pidsLimits ? makePidsCgroup(this.cgroupPrefix + rec.id, pidsLimit(rec.size)) : undefined
    const {overlayLauncher} = isolation
    const fstab = overlayLauncher === 'fstab' ? this.fstabFor(rec.release.id, releaseDir) : undefined
    const spec = {cgroupDirs: [rec.cgroup, rec.pidsCgroup].filter(d => d !== undefined), command: rec.command, dyno: rec.name, fstab, overlayLauncher, releaseDir, scratchMount: this.scratchMount}
    const plan = launchPlan(isolation.mode, spec, env)
    this.setState(rec, 'starting')
    this.log(rec.appId, rec.name, `Starting process with command \`${rec.command}\``)
    let proc: DynoProcess
    try {
      proc = spawnDyno(plan, {stdin: Boolean(rec.oneOff)})
    } catch (error) {
      this.log(rec.appId, rec.name, `Error: could not start the dyno: ${(error as Error).message}`)
      this.onExit(rec, undefined, 127)
      return
    }

    rec.proc = proc
    const key = `${rec.appId}/${rec.name}/${rec.id}`
    this.runTable.add(key, {app: rec.appId, dyno: rec.name, pid: proc.pid})
    void proc.innerPid.then(inner => inner && this.runTable.setInner(key, inner))
    this.pipeOutput(rec, proc)
    void proc.exited.then(({status}) => {
      this.runTable.remove(key)
      this.onExit(rec, proc, status)
    })
    if (rec.type === 'web' && !rec.oneOff) void this.waitForPort(rec, proc)
    else this.setState(rec, 'up')
  }

  private pipeOutput(rec: DynoRecord, proc: DynoProcess): void {
    const {stderr, stdout} = proc.child as {stderr: Readable; stdout: Readable}
    const one = rec.oneOff
    if (one) {
      let open = 2
      for (const stream of [stdout, stderr]) {
        stream.on('data', (chunk: Buffer) => {
          if (!one.output.write(chunk) && one.attach) {
            stream.pause()
            one.output.once('drain', () => stream.resume())
          }
        })
        stream.on('close', () => {
          if (--open === 0) one.output.end()
        })
        stream.on('error', () => {})
      }

      if (one.attach) return
      readLines(one.output, line => this.deps.logs.append(rec.appId, {dyno: rec.name, message: line, source: 'app'}))
      return
    }

    // Read continuously (never block the dyno); the log service is synchronous, so nothing needs dropping here.
    const onLine = (line: string) => this.deps.logs.append(rec.appId, {dyno: rec.name, message: line, source: 'app'})
    readLines(stdout, onLine)
    readLines(stderr, onLine)
  }

  private async waitForPort(rec: DynoRecord, proc: DynoProcess): Promise<void> {
    const listening = this.listenWatcher.wait(rec.port)
    const timeoutMs = this.deps.config.bootTimeoutMs
    const timer = setTimeout(() => listening.cancel(), timeoutMs)
    void proc.exited.then(() => listening.cancel())
    const ok = await listening.promise
    clearTimeout(timer)
    if (rec.proc !== proc || rec.state !== 'starting' || rec.stopping) return
    if (ok) {
      this.setState(rec, 'up')
      return
    }

    const seconds = timeoutMs % 1000 === 0 ? timeoutMs / 1000 : (timeoutMs / 1000).toFixed(1)
    this.log(rec.appId, rec.name, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds} seconds of launch`)
    this.log(rec.appId, rec.name, 'Stopping process with SIGKILL')
    proc.kill()
  }

  private onExit(rec: DynoRecord, proc: DynoProcess | undefined, status: number): void {
    if (rec.proc !== proc) return
    rec.proc = undefined
    if (rec.cgroup) {
      if (oomKills(rec.cgroup) > 0) this.log(rec.appId, rec.name, `Error R15 (Memory quota vastly exceeded) -> killed at the ${rec.size} limit (${memoryLimitBytes(rec.size) / 1024 / 1024} MB)`)
      removeCgroupLater(rec.cgroup)
    }

    if (rec.pidsCgroup) removeCgroupLater(rec.pidsCgroup)

    this.log(rec.appId, rec.name, `Process exited with status ${status}`)
    const app = this.apps.get(rec.appId)
    if (rec.oneOff) {
      this.setState(rec, 'complete')
      if (app?.dynos.get(rec.name) === rec) app.dynos.delete(rec.name)
      this.webChanged()
      rec.oneOff.exit(status)
      return
    }

    if (rec.stopping || this.shuttingDown) {
      this.setState(rec, 'down')
      return
    }

    this.setState(rec, 'crashed')
    if (app?.dynos.get(rec.name) !== rec) return
    rec.failures++
    const delay = rec.failures <= 1 ? 0 : Math.min(this.backoffBaseMs * (2 ** (rec.failures - 2)), this.backoffMaxMs)
    rec.restartTimer = setTimeout(() => {
      rec.restartTimer = undefined
      if (this.shuttingDown || rec.stopping || app.dynos.get(rec.name) !== rec || rec.state !== 'crashed') return
      void this.launch(rec)
    }, delay)
    rec.restartTimer.unref()
  }

  /** SIGTERM to every process of the dyno, SIGKILL after the grace period; resolves once its processes are gone. */
  private stopDyno(rec: DynoRecord, remove = true): Promise<void> {
    if (rec.restartTimer) clearTimeout(rec.restartTimer)
    rec.restartTimer = undefined
    const app = this.apps.get(rec.appId)
    const forget = () => {
      if (remove && app?.dynos.get(rec.name) === rec) app.dynos.delete(rec.name)
      this.webChanged()
    }

    if (rec.stopping) return rec.stopping.then(forget)
    const proc = rec.proc
    if (!proc) {
      rec.cancelled = true
      if (rec.state !== 'down' && rec.state !== 'complete') this.setState(rec, 'down')
      forget()
      return Promise.resolve()
    }

    rec.stopping = (async () => {
      this.log(rec.appId, rec.name, 'Stopping all processes with SIGTERM')
      await proc.terminate()
      const grace = this.deps.config.stopGraceMs
      const timer = setTimeout(() => {
        const seconds = grace % 1000 === 0 ? grace / 1000 : (grace / 1000).toFixed(1)
        this.log(rec.appId, rec.name, `Error R12 (Exit timeout) -> At least one process failed to exit within ${seconds} seconds of SIGTERM`)
        this.log(rec.appId, rec.name, 'Stopping remaining processes with SIGKILL')
        proc.kill()
      }, grace)
      await proc.exited
      clearTimeout(timer)
      // onExit (same tick as `exited`) has logged and set the state by now.
    })()
    return rec.stopping.then(forget)
  }

  // ---- helpers ----

  private matches(rec: DynoRecord, target: {name?: string; type?: string}): boolean {
    if (target.name) return rec.name === target.name || rec.id === target.name
    if (target.type) return rec.type === target.type && !rec.oneOff
    return true
  }

  private setState(rec: DynoRecord, state: State): void {
    if (rec.state === state) return
    const from = rec.state
    rec.state = state
    this.webChanged()
    rec.updatedAt = new Date()
    // A brand-new dyno has no previous state to report.
    if (!(from === 'starting' && state === 'starting')) this.log(rec.appId, rec.name, `State changed from ${from} to ${state}`)
    if (state !== 'starting' && rec.onSettled) {
      const waiting = rec.onSettled
      rec.onSettled = undefined
      for (const resolve of waiting) resolve()
    }
  }

  private log(appId: string, dyno: string, message: string): void {
    try {
      this.deps.logs.append(appId, {dyno, message, source: 'heroku'})
    } catch {}
  }

  private runtime(appId: string, appName?: string): AppRuntime {
    let app = this.apps.get(appId)
    if (!app) {
      app = {appName: appName ?? this.deps.desired(appId)?.appName ?? appId, dynos: new Map(), retiring: new Set(), tail: Promise.resolve()}
      this.apps.set(appId, app)
    }

    return app
  }

  /** Runs `fn` after the app's previous operations (converge/restart/stop never interleave for one app). */
  private serial(appId: string, fn: () => Promise<void>): Promise<void> {
    const app = this.runtime(appId)
    const run = app.tail.then(fn)
    app.tail = run.catch(() => {})
    return run
  }

  private toDyno(rec: DynoRecord): Dyno {
    return {
      // The app may have been renamed since the dyno started.
      app: {id: rec.appId, name: this.apps.get(rec.appId)?.appName ?? rec.appName},
      attach_url: null,
      command: rec.command,
      created_at: rec.createdAt.toISOString(),
      id: rec.id,
      name: rec.name,
      release: {id: rec.release.id, version: rec.release.version},
      size: rec.size,
      state: rec.state === 'complete' ? 'down' : rec.state,
      type: rec.type,
      updated_at: rec.updatedAt.toISOString(),
    }
  }

  private async recover(): Promise<void> {
    // fstabs of releases a previous run used (rewritten on demand).
    rmSync(this.fstabDir, {force: true, recursive: true})
    // Empty cgroups of a previous run of this daemon (non-empty ones hold leftovers: rmdir refuses them).
    for (const root of [this.isolation.memoryLimits && CGROUP_ROOT, this.isolation.pidsLimits && PIDS_CGROUP_ROOT]) {
      try {
        if (root) for (const name of readdirSync(root)) if (name.startsWith(this.cgroupPrefix)) removeCgroupLater(join(root, name))
      } catch {}
    }

    const leftovers = this.runTable.readLeftovers()
    if (leftovers.length > 0) {
      const found = await stopLeftovers(leftovers, Math.min(this.deps.config.stopGraceMs, 1000))
      for (const e of found) this.log(e.app, e.dyno, 'Stopped a leftover process of a previous platform run (pid ' + e.pid + ')')
      this.runTable.flush()
    }

    // Dynos the table does not know (spawned just before a crash, or launchers that outlived it): found in /proc.
    const strays = findStrays(this.deps.config.dataDir, processStartTime(process.pid))
    if (strays.length === 0) return
    console.error(`[ferry] killing ${strays.length} leftover dyno process(es) of a previous platform run: ${strays.join(' ')}`)
    killStrays(strays)
  }

  private scheduleGc(delayMs = 30_000): void {
    if (this.shuttingDown) return
    clearTimeout(this.gcTimer)
    this.gcTimer = setTimeout(() => void this.gcReleases().catch(() => {}), delayMs)
    this.gcTimer.unref()
  }

  /** The overlay launcher's fstab for a release (written once per daemon run), or undefined to mount the classic way. */
  private fstabFor(releaseId: string, releaseDir: string): string | undefined {
    const known = this.fstabs.get(releaseDir)
    if (known) return known
    if (!fstabSafe(this.scratchMount, releaseDir) || !/^[\w.-]+$/.test(releaseId)) return undefined
    const path = join(this.fstabDir, releaseId)
    try {
      mkdirSync(this.fstabDir, {recursive: true})
      writeFileSync(path, overlayFstab(this.scratchMount, releaseDir, '1g'))
    } catch {
      return undefined
    }

    this.fstabs.set(releaseDir, path)
    return path
  }

  private makeCgroup(rec: DynoRecord): string | undefined {
    const dir = join(CGROUP_ROOT, this.cgroupPrefix + rec.id)
    try {
      mkdirSync(dir, {recursive: true})
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(memoryLimitBytes(rec.size)))
      return dir
    } catch {
      return undefined
    }
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
