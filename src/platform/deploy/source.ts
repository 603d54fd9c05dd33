// Putting source into a build dir: `git archive` of a pushed commit, or a validated tarball (no path escapes).
import {spawn} from 'node:child_process'
import {mkdir} from 'node:fs/promises'
import {isAbsolute, normalize, posix} from 'node:path'
import * as tar from 'tar'

import {spawnGit} from '../git/run.js'

export class SourceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SourceError'
  }
}

/**
 * Extracts commit `sha` of a repository into `dir` (git archive | tar -x). `gitEnv` carries push quarantine paths;
 * `gitHome` is the platform's git home (PlatformPaths.gitHome, git/run.ts).
 */
export async function extractCommit(repoDir: string, sha: string, dir: string, gitHome: string, gitEnv: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, {recursive: true})
  await new Promise<void>((resolve, reject) => {
    const archive = spawnGit(['archive', '--format=tar', sha], {env: {...gitEnv, GIT_DIR: repoDir}, home: gitHome})
    const untar = spawn('tar', ['-x', '-C', dir], {stdio: ['pipe', 'ignore', 'pipe']})
    let errors = ''
    archive.stderr.on('data', (d: Buffer) => {
      errors += d.toString()
    })
    untar.stderr.on('data', (d: Buffer) => {
      errors += d.toString()
    })
    archive.stdout.pipe(untar.stdin)
    let pending = 2
    let failed = false
    const done = (what: string) => (code: null | number) => {
      if (code !== 0) failed = true
      if (code !== 0 && !errors) errors = `${what} exited with status ${code}`
      if (--pending === 0) {
        if (failed) reject(new SourceError(`Could not check out ${sha}: ${errors.trim()}`))
        else resolve()
      }
    }

    archive.on('error', reject)
    untar.on('error', reject)
    archive.on('close', done('git archive'))
    untar.on('close', done('tar'))
  })
}

export interface TarballLimits {
  /** Largest total size of the unpacked files. */
  maxUnpackedBytes: number
}

function escapes(path: string): boolean {
  const norm = posix.normalize(path)
  return norm === '..' || norm.startsWith('../') || posix.isAbsolute(norm)
}

/**
 * Checks every entry of a (gzipped) source tarball before anything is written: no absolute paths, no `..`,
 * links that stay inside, regular files/dirs/links only, and a total unpacked size under the limit.
 */
export async function validateTarball(file: string, limits: TarballLimits): Promise<void> {
  let total = 0
  let problem: string | undefined
  await tar.t({
    file,
    onReadEntry(entry) {
      if (problem) return
      const path = entry.path
      if (path.startsWith('/') || isAbsolute(path) || /^[A-Za-z]:/.test(path)) problem = `absolute path "${path}"`
      else if (escapes(path) || path.split('/').includes('..')) problem = `path "${path}" leaves the source directory`
      else if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        const target = entry.linkpath ?? ''
        const resolved = entry.type === 'Link' ? target : posix.join(posix.dirname(path), target)
        if (target.startsWith('/') || escapes(resolved)) problem = `link "${path}" points outside the source directory (${target})`
      } else if (!['ContiguousFile', 'Directory', 'File', 'OldFile'].includes(entry.type)) {
        if (!['ExtendedHeader', 'GlobalExtendedHeader', 'NextFileHasLongLinkpath', 'NextFileHasLongPath'].includes(entry.type)) {
          problem = `unsupported entry type ${entry.type} for "${path}"`
        }
      }

      total += entry.size ?? 0
      if (!problem && total > limits.maxUnpackedBytes) problem = `unpacked size exceeds the limit of ${limits.maxUnpackedBytes} bytes`
      entry.resume()
    },
    strict: true,
  }).catch((error: Error) => {
    problem ??= `not a valid tar.gz archive (${error.message})`
  })
  if (problem) throw new SourceError(`Source tarball rejected: ${problem}.`)
}

/** Validates, then extracts a source tarball into `dir` (node-tar's own path protections stay on too). */
export async function extractTarball(file: string, dir: string, limits: TarballLimits): Promise<void> {
  await validateTarball(file, limits)
  await mkdir(dir, {recursive: true})
  try {
    await tar.x({cwd: normalize(dir), file, preservePaths: false, strict: true})
  } catch (error) {
    throw new SourceError(`Source tarball could not be extracted: ${(error as Error).message}.`)
  }
}
