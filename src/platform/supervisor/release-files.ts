// The files a release's dynos share: the unpacked slug (`<dataDir>/releases/<id>/`, once per release, see slugs.ts)
// and the overlay launcher's fstab (`<dataDir>/run/fstab/<id>`, once per release per daemon run), and their garbage
// collection once no dyno and no current release uses them.
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {fstabSafe, overlayFstab} from './sandbox.js'
import {SlugCache} from './slugs.js'

export class ReleaseFiles {
  readonly slugs: SlugCache
  private readonly fstabDir: string
  /** fstabs written this run, by release dir. */
  private readonly fstabs = new Map<string, string>()
  private gcTimer?: NodeJS.Timeout
  private stopped = false

  /** `inUse`: ids of the releases some dyno or some app's current release still needs (kept by gc()). */
  constructor(dataDir: string, private readonly scratchMount: string, private readonly inUse: () => Set<string>) {
    this.slugs = new SlugCache(dataDir)
    this.fstabDir = join(dataDir, 'run', 'fstab')
  }

  /** The overlay launcher's fstab for a release (written once per daemon run), or undefined to mount the classic way. */
  fstabFor(releaseId: string): string | undefined {
    const releaseDir = this.slugs.dirFor(releaseId)
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

  /** Removes the fstabs of releases a previous run used (rewritten on demand). */
  forgetPreviousRun(): void {
    rmSync(this.fstabDir, {force: true, recursive: true})
  }

  /** Removes unpacked releases no dyno and no current release uses; returns their ids. */
  gc(): Promise<string[]> {
    return this.slugs.gc(this.inUse())
  }

  /** A gc() in `delayMs` (one pending at a time: a later call moves it). */
  scheduleGc(delayMs = 30_000): void {
    if (this.stopped) return
    clearTimeout(this.gcTimer)
    this.gcTimer = setTimeout(() => void this.gc().catch(() => {}), delayMs)
    this.gcTimer.unref()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.gcTimer)
  }
}
