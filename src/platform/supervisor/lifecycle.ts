// One dyno's life: launch (port, cgroups, sandbox plan, spawn, output to the log), `up` once a web dyno accepts on
// $PORT (R10 boot timeout otherwise), crash restart with backoff, graceful stop (SIGTERM, then R12 and SIGKILL after
// the grace period), and replacement by a fresh dyno of the same name (restart, new release; preboot overlaps them).
import {randomUUID} from 'node:crypto'
import type {Readable} from 'node:stream'

import type {DynoCgroups} from './cgroups.js'
import type {ReleaseFiles} from './release-files.js'
import type {RunTable} from './runtable.js'
import type {AppRuntime, DynoRecord, Release, SupervisorState} from './state.js'

import {type DynoProcess, freePort, ListenWatcher, readLines, spawnDyno} from './dyno.js'
import {APP_DIR, dynoEnv, launchPlan, memoryLimitBytes} from './sandbox.js'

export interface LifecycleParts {
  /** Second crash in a row waits `baseMs`, then doubling, at most `maxMs`. */
  backoff: {baseMs: number; maxMs: number}
  cgroups: DynoCgroups
  config: {bootTimeoutMs: number; stopGraceMs: number}
  files: ReleaseFiles
  /** Web dyno port probe interval (one /proc/net/tcp read per tick for all starting dynos). */
  probeIntervalMs: number
  runTable: RunTable
  /** Where the overlay launchers mount each dyno's private tmpfs. */
  scratchMount: string
  state: SupervisorState
}

/** `30` or `2.5`: seconds for the R10/R12 log lines. */
function seconds(ms: number): number | string {
  return ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)
}

export class DynoLifecycle {
  private readonly listenWatcher: ListenWatcher

  constructor(private readonly parts: LifecycleParts) {
    this.listenWatcher = new ListenWatcher(parts.probeIntervalMs)
  }

  async launch(rec: DynoRecord): Promise<void> {
    const {cgroups, files, runTable, scratchMount, state} = this.parts
    if (state.shuttingDown) return
    const {isolation} = state
    rec.port = await freePort()
    state.web.changed()
    if (rec.cancelled || state.shuttingDown) return
    rec.id = randomUUID()
    rec.createdAt = new Date()
    const releaseDir = files.slugs.dirFor(rec.release.id)
    const sandboxed = isolation.mode !== 'none'
    const env = dynoEnv({
      config: rec.release.env,
      dyno: rec.name,
      extra: rec.oneOff?.env,
      home: sandboxed ? APP_DIR : releaseDir,
      port: rec.port,
      size: rec.size,
    })
    Object.assign(rec, cgroups.create(rec.id, rec.size, isolation))
    const {overlayLauncher} = isolation
    const fstab = overlayLauncher === 'fstab' ? files.fstabFor(rec.release.id) : undefined
    const spec = {cgroupDirs: [rec.cgroup, rec.pidsCgroup].filter(d => d !== undefined), command: rec.command, dyno: rec.name, fstab, overlayLauncher, releaseDir, scratchMount}
    const plan = launchPlan(isolation.mode, spec, env)
    state.setState(rec, 'starting')
    state.log(rec.appId, rec.name, `Starting process with command \`${rec.command}\``)
    let proc: DynoProcess
    try {
      proc = spawnDyno(plan, {stdin: Boolean(rec.oneOff)})
    } catch (error) {
      state.log(rec.appId, rec.name, `Error: could not start the dyno: ${(error as Error).message}`)
      this.onExit(rec, undefined, 127)
      return
    }

    rec.proc = proc
    const key = `${rec.appId}/${rec.name}/${rec.id}`
    runTable.add(key, {app: rec.appId, dyno: rec.name, pid: proc.pid})
    void proc.innerPid.then(inner => inner && runTable.setInner(key, inner))
    this.pipeOutput(rec, proc)
    void proc.exited.then(({status}) => {
      runTable.remove(key)
      this.onExit(rec, proc, status)
    })
    if (rec.type === 'web' && !rec.oneOff) void this.waitForPort(rec, proc)
    else state.setState(rec, 'up')
  }

  /**
   * Replaces `old` by a fresh dyno with the same name. Default (Heroku without preboot): SIGTERM to the old one and
   * start the new one at once. Preboot (app feature, web dynos that are up): the old one keeps serving (it stays in
   * webTargets) until the new one is up or has failed, then it is stopped — in the background, so a slow boot does
   * not hold up the app's other operations.
   */
  async replace(app: AppRuntime, old: DynoRecord, release: Release, command: string, size: string, preboot = false): Promise<void> {
    const {files, state} = this.parts
    const fresh = state.newRecord(app, old.appId, old.name, old.type, command, size, release)
    fresh.failures = old.release.id === release.id ? old.failures : 0
    if (old.restartTimer) clearTimeout(old.restartTimer)
    app.dynos.set(old.name, fresh)
    const overlap = preboot && old.type === 'web' && old.state === 'up' && old.proc !== undefined
    if (overlap) app.retiring.add(old)
    state.web.changed()
    state.replaced.add(old)
    const stopping = (overlap ? this.settled(fresh).then(() => this.stop(old, false)) : this.stop(old, false)).finally(() => {
      app.retiring.delete(old)
      state.web.changed()
      state.replaced.delete(old)
      state.draining.delete(stopping)
    })
    state.draining.add(stopping)
    const starting = files.slugs.ensure(release.id, release.slugPath).then(() => this.launch(fresh))
    await (overlap ? starting : Promise.all([stopping, starting]))
  }

  /** SIGTERM to every process of the dyno, SIGKILL after the grace period; resolves once its processes are gone. */
  stop(rec: DynoRecord, remove = true): Promise<void> {
    const {state} = this.parts
    if (rec.restartTimer) clearTimeout(rec.restartTimer)
    rec.restartTimer = undefined
    const app = state.apps.get(rec.appId)
    const forget = () => {
      if (remove && app?.dynos.get(rec.name) === rec) app.dynos.delete(rec.name)
      state.web.changed()
    }

    if (rec.stopping) return rec.stopping.then(forget)
    const proc = rec.proc
    if (!proc) {
      rec.cancelled = true
      if (rec.state !== 'down' && rec.state !== 'complete') state.setState(rec, 'down')
      forget()
      return Promise.resolve()
    }

    rec.stopping = (async () => {
      state.log(rec.appId, rec.name, 'Stopping all processes with SIGTERM')
      await proc.terminate()
      const grace = this.parts.config.stopGraceMs
      const timer = setTimeout(() => {
        state.log(rec.appId, rec.name, `Error R12 (Exit timeout) -> At least one process failed to exit within ${seconds(grace)} seconds of SIGTERM`)
        state.log(rec.appId, rec.name, 'Stopping remaining processes with SIGKILL')
        proc.kill()
      }, grace)
      await proc.exited
      clearTimeout(timer)
      // onExit (same tick as `exited`) has logged and set the state by now.
    })()
    return rec.stopping.then(forget)
  }

  private onExit(rec: DynoRecord, proc: DynoProcess | undefined, status: number): void {
    const {backoff, cgroups, state} = this.parts
    if (rec.proc !== proc) return
    rec.proc = undefined
    if (cgroups.release(rec)) state.log(rec.appId, rec.name, `Error R15 (Memory quota vastly exceeded) -> killed at the ${rec.size} limit (${memoryLimitBytes(rec.size) / 1024 / 1024} MB)`)
    state.log(rec.appId, rec.name, `Process exited with status ${status}`)
    const app = state.apps.get(rec.appId)
    if (rec.oneOff) {
      state.setState(rec, 'complete')
      if (app?.dynos.get(rec.name) === rec) app.dynos.delete(rec.name)
      state.web.changed()
      rec.oneOff.exit(status)
      return
    }

    if (rec.stopping || state.shuttingDown) {
      state.setState(rec, 'down')
      return
    }

    state.setState(rec, 'crashed')
    if (app?.dynos.get(rec.name) !== rec) return
    rec.failures++
    const delay = rec.failures <= 1 ? 0 : Math.min(backoff.baseMs * (2 ** (rec.failures - 2)), backoff.maxMs)
    rec.restartTimer = setTimeout(() => {
      rec.restartTimer = undefined
      if (state.shuttingDown || rec.stopping || app.dynos.get(rec.name) !== rec || rec.state !== 'crashed') return
      void this.launch(rec)
    }, delay)
    rec.restartTimer.unref()
  }

  /** Formation dynos: every line to the app's log, read continuously (never blocking the dyno). One-offs: theirs. */
  private pipeOutput(rec: DynoRecord, proc: DynoProcess): void {
    const {stderr, stdout} = proc.child as {stderr: Readable; stdout: Readable}
    if (rec.oneOff) {
      rec.oneOff.connect(stdout, stderr)
      return
    }

    // The log service is synchronous, so nothing needs dropping here.
    const onLine = (line: string) => this.parts.state.appLine(rec, line)
    readLines(stdout, onLine)
    readLines(stderr, onLine)
  }

  /** Resolves once the dyno has left `starting` (up, crashed, down). */
  private settled(rec: DynoRecord): Promise<void> {
    if (rec.state !== 'starting' || rec.cancelled) return Promise.resolve()
    return new Promise(resolve => {
      rec.onSettled = [...(rec.onSettled ?? []), resolve]
    })
  }

  private async waitForPort(rec: DynoRecord, proc: DynoProcess): Promise<void> {
    const {config, state} = this.parts
    const listening = this.listenWatcher.wait(rec.port)
    const timeoutMs = config.bootTimeoutMs
    const timer = setTimeout(() => listening.cancel(), timeoutMs)
    void proc.exited.then(() => listening.cancel())
    const ok = await listening.promise
    clearTimeout(timer)
    if (rec.proc !== proc || rec.state !== 'starting' || rec.stopping) return
    if (ok) {
      state.setState(rec, 'up')
      return
    }

    state.log(rec.appId, rec.name, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${seconds(timeoutMs)} seconds of launch`)
    state.log(rec.appId, rec.name, 'Stopping process with SIGKILL')
    proc.kill()
  }
}
