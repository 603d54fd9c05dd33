// Unpacked slugs: each release's slug tarball is extracted ONCE into `<dataDir>/releases/<releaseId>/` and shared
// read-only by every dyno of that release (copying per dyno costs seconds: shared/MEASUREMENTS.md §4).
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, readdir, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

export class SlugUnpackError extends Error {
  readonly kind = 'SlugUnpack'
}

/** GNU tar is about 2× faster than node-tar on this disk; the slug is ours (built by the builder), not user input. */
function untar(tarball: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('tar', ['-xzf', tarball, '-C', dir, '--no-same-owner'], {maxBuffer: 1024 * 1024}, (error, _stdout, stderr) => {
      if (error) reject(new SlugUnpackError(`Could not unpack slug ${tarball}: ${String(stderr).trim() || error.message}`))
      else resolve()
    })
  })
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export class SlugCache {
  private readonly pending = new Map<string, Promise<string>>()
  readonly root: string

  constructor(dataDir: string) {
    this.root = join(dataDir, 'releases')
  }

  dirFor(releaseId: string): string {
    return join(this.root, releaseId)
  }

  /**
   * The unpacked release directory, extracting the slug first when needed. Concurrent calls for one release share
   * one extraction; the directory appears atomically (extract into a temp dir, then rename).
   */
  ensure(releaseId: string, slugPath: string): Promise<string> {
    if (!/^[\w-]+$/.test(releaseId)) return Promise.reject(new SlugUnpackError(`Invalid release id ${releaseId}`))
    const running = this.pending.get(releaseId)
    if (running) return running
    const job = this.unpack(releaseId, slugPath).finally(() => this.pending.delete(releaseId))
    this.pending.set(releaseId, job)
    return job
  }

  /** Removes unpacked releases not in `keep` (and leftovers of interrupted extractions). Returns the removed ids. */
  async gc(keep: Iterable<string>): Promise<string[]> {
    const wanted = new Set(keep)
    for (const id of this.pending.keys()) wanted.add(id)
    let entries: string[]
    try {
      entries = await readdir(this.root)
    } catch {
      return []
    }

    const removed: string[] = []
    await Promise.all(entries.map(async name => {
        if (wanted.has(name)) return
        if (name.startsWith('.tmp-') && [...this.pending.keys()].some(id => name.startsWith(`.tmp-${id}-`))) return
        await rm(join(this.root, name), {force: true, recursive: true})
        if (!name.startsWith('.tmp-')) removed.push(name)
      }))
    return removed
  }

  private async unpack(releaseId: string, slugPath: string): Promise<string> {
    const dir = this.dirFor(releaseId)
    if (await exists(dir)) return dir
    if (!(await exists(slugPath))) throw new SlugUnpackError(`Slug ${slugPath} not found`)
    await mkdir(this.root, {recursive: true})
    const tmp = join(this.root, `.tmp-${releaseId}-${randomBytes(4).toString('hex')}`)
    await mkdir(tmp, {mode: 0o755})
    try {
      await untar(slugPath, tmp)
      // Slugs hold the app under `./app/` (Heroku layout); older or foreign ones may hold it at the root.
      const top = await readdir(tmp)
      const source = top.length === 1 && top[0] === 'app' ? join(tmp, 'app') : tmp
      try {
        await rename(source, dir)
      } catch (error) {
        // Another process (an earlier daemon) may have won the race: theirs is as good as ours.
        if (!(await exists(dir))) throw error
      }
    } finally {
      await rm(tmp, {force: true, recursive: true})
    }

    return dir
  }
}
