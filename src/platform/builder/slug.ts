// Packs a built app directory into a slug: tar.gz with entries under ./app/, plus its sha256 and size.
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {rename, rm, stat} from 'node:fs/promises'
import {basename, dirname} from 'node:path'

import {BuildError, runStep} from './run.js'

export interface PackedSlug {
  checksum: string
  size: number
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Packs `appDir` (whose base name must be `app`) into `slugPath` with GNU tar (twice as fast as node-tar here:
 * shared/MEASUREMENTS.md §4). Consumers strip the first path component to get the app's files.
 */
export async function packSlug(appDir: string, slugPath: string, signal: AbortSignal): Promise<PackedSlug> {
  if (basename(appDir) !== 'app') throw new Error(`packSlug: the build dir must be named "app", got ${appDir}`)
  const partial = `${slugPath}.partial`
  const lines: string[] = []
  const status = await runStep('tar', ['-czf', partial, '-C', dirname(appDir), './app'], {
    cwd: dirname(appDir),
    env: {GZIP: '-6', PATH: process.env.PATH ?? '/usr/bin:/bin'},
    onLine: line => lines.push(line),
    signal,
  })
  if (status !== 0) {
    await rm(partial, {force: true})
    throw new BuildError(`Packing the slug failed: ${lines.slice(-3).join(' ') || `tar exited with status ${status}`}.`)
  }

  await rename(partial, slugPath)
  const {size} = await stat(slugPath)
  return {checksum: `SHA256:${await sha256File(slugPath)}`, size}
}

/** `12.3M` like Heroku's "Done: 12.3M". */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)}M`
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(1)}G`
}
