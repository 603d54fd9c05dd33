// The release phase, in one place for every new release: deploys, config changes, rollbacks, POST /releases and
// add-on attach/detach. Heroku runs the `release` process type of the new release's slug, with the new release's
// config, in a one-off `release.N` dyno; only when it succeeds does the release become current (then the dynos
// restart on it); when it fails the release is marked failed and the previous release stays current — and for a
// config change or a rollback the config vars go back to the current release's (Store.setReleaseStatus restoreConfig).
// Release phases of an app run one at a time, in version order. A release's output stream holds only its release
// command's output, which also goes to the app's log as `app[release.N]` lines.
import {join} from 'node:path'

import type {PlatformContext} from '../context.js'
import type {ReleaseRecord} from '../store/index.js'

import {OutputRegistry} from '../deploy/output.js'
import {apiLog, logRelease} from '../events.js'
import {apiUrl, capabilitySecret} from '../urls.js'

export interface SettleOptions {
  /**
   * A config change (or add-on change): "the current code with new config". When it waited behind a release that
   * became current meanwhile (a deploy), it takes that release's slug, so it never brings back the older code.
   */
  followCurrentSlug?: boolean
  /** Where the release command's lines also go (the git push / build output); indented like build output. */
  out?: (line: string) => void
  /** On failure, put the config vars the release changed back (config changes, rollbacks). Default true. */
  restoreConfig?: boolean
  /** Wait (up to 30 s) for the dynos to converge on the new release before resolving (deploys). */
  waitForDynos?: boolean
}

const CONVERGE_WAIT_MS = 30_000

/** What the release service needs of the platform (it is part of the PlatformContext, so it cannot take all of it). */
export type ReleaseDeps = Pick<PlatformContext, 'config' | 'logs' | 'paths' | 'store' | 'supervisor'>

/** One per platform: the daemon builds it with the context (PlatformContext.releases). */
export class ReleaseService {
  readonly outputs = new OutputRegistry()
  private readonly queues = new Map<string, Promise<unknown>>()

  constructor(private readonly ctx: ReleaseDeps) {}

  outputPath(releaseId: string): string {
    return join(this.ctx.paths.builds, `release-${releaseId}.log`)
  }

  /** Capability URL of a release's output (live while its release command runs, replayed afterwards). */
  outputStreamUrl(releaseId: string): string {
    return `${apiUrl(this.ctx.config)}/ferry/release-output/${releaseId}/${capabilitySecret(this.ctx.config, 'release', releaseId)}`
  }

  /**
   * Finishes a just-created release: a succeeded one is announced and the dynos converge on it; a pending one
   * (its slug has a release command, or a deploy's slug still to unpack) runs its release phase first, in the
   * background of the caller unless awaited. Resolves with the release as it ended up.
   */
  settle(release: ReleaseRecord, options: SettleOptions = {}): Promise<ReleaseRecord> {
    if (release.status !== 'pending') return this.announce(release, options)
    // Readers of the output stream wait (live) from now on, while an earlier release phase still runs.
    this.openOutput(release)

    // One release phase per app at a time: a config change made while a deploy's release command runs waits for it.
    const previous = this.queues.get(release.appId) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(() => this.runPhase(release, options)).finally(() => this.outputs.finish(release.id))
    this.queues.set(release.appId, next)
    void next.finally(() => {
      if (this.queues.get(release.appId) === next) this.queues.delete(release.appId)
    }).catch(() => {})
    return next
  }

  /** settle() without waiting: failures are in the release's status and the app's log. */
  settleInBackground(releases: Array<null | ReleaseRecord>, options: SettleOptions = {}): void {
    for (const release of releases) {
      if (release) this.settle(release, options).catch(error => console.error(`[ferry] release v${release.version} failed unexpectedly:`, error))
    }
  }

  /** A release whose slug has a release command gets its output stream (once). */
  private openOutput(release: ReleaseRecord): void {
    const slug = release.slugId ? this.ctx.store.findSlug(release.appId, release.slugId) : null
    if (slug?.processTypes.release === undefined || this.outputs.get(release.id)) return
    this.outputs.create(release.id, this.outputPath(release.id))
    this.ctx.store.setReleaseOutputStreamUrl(release.id, this.outputStreamUrl(release.id))
  }

  private async runPhase(queued: ReleaseRecord, options: SettleOptions): Promise<ReleaseRecord> {
    const {store, supervisor} = this.ctx
    let release = queued
    const current = store.currentRelease(release.appId)
    if (options.followCurrentSlug && current && current.version < release.version && current.slugId !== release.slugId) {
      store.setPendingReleaseSlug(release.id, current.slugId)
      release = store.getRelease(release.appId, release.id)
      this.openOutput(release)
    }

    const out = options.out ?? (() => {})
    const fail = (message: string, logMessage: string): ReleaseRecord => {
      const failed = store.setReleaseStatus(release.id, 'failed', {restoreConfig: options.restoreConfig ?? true})
      out(` !     ${message}`)
      apiLog(this.ctx, release.appId, logMessage)
      return failed
    }

    const slug = release.slugId ? store.findSlug(release.appId, release.slugId) : null
    if (slug) {
      try {
        await supervisor.prepare?.({id: release.id, slugPath: slug.blobPath, version: release.version})
      } catch (error) {
        out(` !     ${(error as Error).message}`)
        return fail(
          `Release v${release.version} cannot run, so it failed; the previous release stays current. Free disk space under the data dir and push again.`,
          `Release v${release.version} failed: its slug could not be unpacked`,
        )
      }

      const command = slug.processTypes.release
      if (command !== undefined) {
        out('-----> Running release command...')
        const status = await this.releaseCommand(release, command, slug.blobPath, out)
        if (status !== 0) {
          return fail(
            `Release command failed (exit status ${status}): v${release.version} failed and the previous release stays current.`,
            `Release v${release.version} command failed by user ${release.userEmail}`,
          )
        }
      }
    }

    return this.announce(store.setReleaseStatus(release.id, 'succeeded'), options)
  }

  private async announce(release: ReleaseRecord, options: SettleOptions): Promise<ReleaseRecord> {
    logRelease(this.ctx, release)
    const converging = Promise.resolve()
      .then(() => this.ctx.supervisor.converge(release.appId))
      .catch(error => console.error(`[ferry] converge of app ${release.appId} failed:`, error))
    if (options.waitForDynos) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([converging, new Promise(resolve => {
        timer = setTimeout(resolve, CONVERGE_WAIT_MS)
      })])
      clearTimeout(timer)
    }

    return release
  }

  /** Runs the command in a one-off `release.N` dyno of the release; its exit status (124 on timeout). */
  private async releaseCommand(release: ReleaseRecord, command: string, slugPath: string, out: (line: string) => void): Promise<number> {
    const output = this.outputs.get(release.id)
    let dyno = 'release'
    const line = (text: string) => {
      out(`       ${text}`)
      output?.line(text)
      this.ctx.logs.append(release.appId, {dyno, message: text, source: 'app'})
    }

    try {
      const handle = await this.ctx.supervisor.startOneOff({
        appId: release.appId,
        attach: true,
        command,
        release: {env: release.config, id: release.id, slugPath, version: release.version},
        type: 'release',
      })
      dyno = handle.dyno.name
      handle.stdin.end()
      // Loaded here: the builder's module stays out of an idle daemon (config routes import this one).
      const {lineSplitter} = await import('../builder/run.js')
      const splitter = lineSplitter(line)
      handle.output.on('data', (chunk: Buffer | string) => splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)))
      const timeoutMs = this.ctx.config.releaseTimeoutMs
      let timer: NodeJS.Timeout | undefined
      const status = await Promise.race([
        handle.exit,
        new Promise<number>(resolve => {
          timer = setTimeout(() => {
            line(`Release command timed out after ${Math.round(timeoutMs / 1000)} seconds.`)
            void handle.stop()
            resolve(124)
          }, timeoutMs)
        }),
      ])
      clearTimeout(timer)
      // Let the last output chunks arrive before the status line.
      await new Promise(resolve => setImmediate(resolve))
      splitter.flush()
      return status
    } catch (error) {
      line(`Release command could not start: ${(error as Error).message}`)
      return 1
    }
  }
}
