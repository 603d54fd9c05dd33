// Reading and writing files of a build dir without ever leaving it. The daemon reads Procfile, app.json,
// package.json, .slugignore… and writes .profile.d scripts in a directory the pushed repository (and the build
// itself) controls: a symlink `Procfile -> $FERRY_HOME/run/token` must not put the token into the build output, and
// `.profile.d -> /etc/cron.d` must not make the daemon write on the host.
//
// Each path is walked one component at a time from an open descriptor of the build dir, through
// /proc/self/fd/<dir>/<name>, with O_NOFOLLOW on every open: a component swapped for a link between the check and
// the open fails instead of being followed, so there is no check-then-use race. A symlink is followed only when
// it is relative and its target stays inside the build dir (a `Procfile -> config/Procfile.prod` keeps working,
// as it does in the dyno); absolute links and links out of the build dir are refused with a message naming them.
import {constants} from 'node:fs'
import {type FileHandle, lstat, mkdir, open, readlink, unlink} from 'node:fs/promises'

import {BuildError, MB} from './run.js'

const {O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY} = constants

/** Links followed in one lookup before giving up (the kernel's own limit is 40). */
const MAX_LINKS = 40

export class ConfinedPathError extends BuildError {
  constructor(message: string) {
    super(message)
    this.name = 'ConfinedPathError'
  }
}

type Found = {handle: FileHandle; kind: 'dir' | 'file'} | {kind: 'missing' | 'other'}

/**
 * Opens `rel` inside `root` following only links that stay inside. Missing → {kind: 'missing'}; a FIFO, socket or
 * device → {kind: 'other'} (never opened: opening a FIFO would block the daemon).
 */
async function openInside(root: string, rel: string, what: string): Promise<Found> {
  const dirs: FileHandle[] = [await open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)]
  const pending = rel.split('/').reverse()
  let links = 0
  /** The components looked up so far (for messages). */
  const walked: string[] = []
  try {
    while (pending.length > 0) {
      const name = pending.pop()!
      if (name === '' || name === '.') continue
      if (name === '..') {
        if (dirs.length === 1) throw new ConfinedPathError(`${what} points outside the app's directory; ferry does not follow links out of the build.`)
        await dirs.pop()!.close()
        continue
      }

      const path = `/proc/self/fd/${dirs.at(-1)!.fd}/${name}`
      let info
      try {
        info = await lstat(path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return {kind: 'missing'}
        throw error
      }

      walked.push(name)
      if (info.isSymbolicLink()) {
        const target = await readlink(path)
        if (target.startsWith('/')) {
          const link = walked.join('/') === rel ? rel : `${what}: ${walked.join('/')}`
          throw new ConfinedPathError(`${link} is a symbolic link to an absolute path (${clip(target)}); ferry follows only relative links that stay inside the app. Commit the file itself.`)
        }

        if (++links > MAX_LINKS) throw new ConfinedPathError(`${what}: too many levels of symbolic links.`)
        // The target replaces this component; `..` in it is checked against the build dir as the walk goes on.
        pending.push(...target.split('/').reverse())
        what = `${what} (via ${clip(target)})`
        continue
      }

      const last = pending.every(p => p === '' || p === '.')
      if (info.isDirectory()) {
        const handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        if (last) return {handle, kind: 'dir'}

        dirs.push(handle)
        continue
      }

      if (!last) return {kind: 'missing'}
      if (!info.isFile()) return {kind: 'other'}
      const handle = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
      // Swapped for something else between lstat and open: refuse rather than guess.
      if (!(await handle.stat()).isFile()) {
        await handle.close()
        return {kind: 'other'}
      }

      return {handle, kind: 'file'}
    }

    return {handle: dirs.pop()!, kind: 'dir'}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new ConfinedPathError(`${what} changed into a symbolic link while ferry was reading it.`)
    throw error
  } finally {
    for (const dir of dirs) await dir.close()
  }
}

/** What `rel` is inside `root` (links followed only inside): 'file', 'dir', or undefined (missing or unusable). */
export async function confinedKind(root: string, rel: string): Promise<'dir' | 'file' | undefined> {
  const found = await openInside(root, rel, rel)
  if ('handle' in found) {
    await found.handle.close()
    return found.kind
  }

  return undefined
}

/**
 * The text of `rel` inside `root`, or undefined when it does not exist. Throws ConfinedPathError (a BuildError, so
 * the build fails with its message) for links out of the build dir, non-regular files and files over `maxBytes`.
 */
export async function readConfined(root: string, rel: string, maxBytes = MB): Promise<string | undefined> {
  const found = await openInside(root, rel, rel)
  if (found.kind === 'missing') return undefined
  if (!('handle' in found)) throw new ConfinedPathError(`${rel} is not a regular file.`)
  try {
    if (found.kind === 'dir') throw new ConfinedPathError(`${rel} is a directory, not a file.`)
    const {size} = await found.handle.stat()
    if (size > maxBytes) throw new ConfinedPathError(`${rel} is too large (${size} bytes; at most ${maxBytes} are read).`)
    return await found.handle.readFile('utf8')
  } finally {
    await found.handle.close()
  }
}

/**
 * Writes `text` to `rel` inside `root`, creating missing directories. Never writes through a link: an existing link
 * at the file's place is replaced by the file; a linked directory on the way fails the build.
 */
export async function writeConfined(root: string, rel: string, text: string): Promise<void> {
  const names = rel.split('/').filter(n => n !== '' && n !== '.')
  const file = names.pop()
  if (!file || names.includes('..') || file === '..') throw new Error(`writeConfined: bad path ${rel}`)
  const dirs: FileHandle[] = [await open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)]
  try {
    for (const name of names) {
      const path = `/proc/self/fd/${dirs.at(-1)!.fd}/${name}`
      let handle: FileHandle
      try {
        handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT') {
          await mkdir(path)
          handle = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        } else if (code === 'ELOOP' || code === 'ENOTDIR') {
          throw new ConfinedPathError(`${names.slice(0, names.indexOf(name) + 1).join('/')} must be a directory of the app (it is a link or a file); ferry does not write through links.`)
        } else {
          throw error
        }
      }

      dirs.push(handle)
    }

    const path = `/proc/self/fd/${dirs.at(-1)!.fd}/${file}`
    const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    })
    if (existing?.isSymbolicLink()) await unlink(path)
    else if (existing && !existing.isFile()) throw new ConfinedPathError(`${rel} is in the app but is not a regular file; remove it and push again.`)

    let handle: FileHandle
    try {
      handle = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A regular file of the same name: truncate it in place (O_NOFOLLOW still refuses a link raced in).
      handle = await open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_TRUNC)
    }

    try {
      if (!(await handle.stat()).isFile()) throw new ConfinedPathError(`${rel} is not a regular file.`)
      await handle.writeFile(text)
    } finally {
      await handle.close()
    }
  } finally {
    for (const dir of dirs) await dir.close()
  }
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
