// What every part of the supervisor shares: each app's dyno records, the isolation in use, whether it is shutting
// down, and what every change of a dyno's state does (the router's view goes stale, the app's log says so).
import {randomUUID} from 'node:crypto'
import type {Readable} from 'node:stream'

import type {Dyno, DynoState} from '../../api/types.js'
import type {DesiredApp, LogService, PlatformConfig} from '../context.js'
import type {DynoProcess} from './dyno.js'
import type {IsolationInfo} from './sandbox.js'

import {WebTargets} from './web-targets.js'

export type Release = NonNullable<DesiredApp['release']>
export type State = 'complete' | DynoState

export interface SupervisorDeps {
  /** Ids of every app in the store (daemon start converges them all). */
  appIds(): string[]
  /**
   * The platform's decisions: `isolation` 'none' (FERRY_ISOLATION=none, or no usable bubblewrap) runs dynos without a
   * sandbox, 'bwrap' sandboxes them; absent (a supervisor outside a platform), the supervisor tries bubblewrap itself.
   */
  config: Partial<Pick<PlatformConfig, 'isolation' | 'isolationForced' | 'restartBackoffBaseMs' | 'restartBackoffMaxMs'>> & Pick<PlatformConfig, 'bootTimeoutMs' | 'dataDir' | 'stopGraceMs'>
  desired(appId: string): DesiredApp | null
  logs: Pick<LogService, 'append'>
  /** true when the app has the `preboot` feature: new web dynos start beside the old ones, which stop once they are up. */
  preboot?(appId: string): boolean
}

/** A one-off dyno's side of its record: where its output goes and who waits for its exit. */
export interface OneOffIo {
  /** Takes the process's output streams (called once it is spawned). */
  connect(stdout: Readable, stderr: Readable): void
  /** Extra env (the release phase's, `ferry run`'s terminal size). */
  env: Record<string, string>
  exit: (status: number) => void
}

export interface DynoRecord {
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
  oneOff?: OneOffIo
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

export interface AppRuntime {
  appName: string
  dynos: Map<string, DynoRecord>
  /** Web dynos replaced under preboot: still serving until their successor is up. */
  retiring: Set<DynoRecord>
  /** A converge queued behind the running one (calls coalesce into it). */
  next?: Promise<void>
  /** Tail of this app's serialized operations. */
  tail: Promise<void>
  /** The last web targets answer (see web-targets.ts). */
  webCache?: {epoch: number; targets: Array<{dyno: string; port: number; release?: number}>}
}

export class SupervisorState {
  readonly apps = new Map<string, AppRuntime>()
  /** Old dynos being stopped after they were replaced (shutdown waits for them). */
  readonly draining = new Set<Promise<void>>()
  /** Resolved isolation (after the supervisor's start()). */
  isolation: IsolationInfo = {detail: 'not started', memoryLimits: false, mode: 'none', pidsLimits: false}
  /** Records of the replaced dynos (their release dirs must survive a GC until they are gone). */
  readonly replaced = new Set<DynoRecord>()
  shuttingDown = false
  readonly web = new WebTargets()

  constructor(private readonly deps: Pick<SupervisorDeps, 'desired' | 'logs'>) {}

  /** A `heroku` line in the app's log (`State changed from up to down`); never throws. */
  log(appId: string, dyno: string, message: string): void {
    try {
      this.deps.logs.append(appId, {dyno, message, source: 'heroku'})
    } catch {}
  }

  /** A line the dyno's process wrote, for the app's log. */
  appLine(rec: DynoRecord, line: string): void {
    this.deps.logs.append(rec.appId, {dyno: rec.name, message: line, source: 'app'})
  }

  newRecord(app: AppRuntime, appId: string, name: string, type: string, command: string, size: string, release: Release): DynoRecord {
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

  runtime(appId: string, appName?: string): AppRuntime {
    let app = this.apps.get(appId)
    if (!app) {
      app = {appName: appName ?? this.deps.desired(appId)?.appName ?? appId, dynos: new Map(), retiring: new Set(), tail: Promise.resolve()}
      this.apps.set(appId, app)
    }

    return app
  }

  /** Runs `fn` after the app's previous operations (converge/restart/stop never interleave for one app). */
  serial(appId: string, fn: () => Promise<void>): Promise<void> {
    const app = this.runtime(appId)
    const run = app.tail.then(fn)
    app.tail = run.catch(() => {})
    return run
  }

  setState(rec: DynoRecord, state: State): void {
    if (rec.state === state) return
    const from = rec.state
    rec.state = state
    this.web.changed()
    rec.updatedAt = new Date()
    // A brand-new dyno has no previous state to report.
    if (!(from === 'starting' && state === 'starting')) this.log(rec.appId, rec.name, `State changed from ${from} to ${state}`)
    if (state !== 'starting' && rec.onSettled) {
      const waiting = rec.onSettled
      rec.onSettled = undefined
      for (const resolve of waiting) resolve()
    }
  }

  toDyno(rec: DynoRecord): Dyno {
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
}
