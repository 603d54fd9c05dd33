// What the builds* and buildpacks* commands share: the source tarball, build durations, buildpack names.
import {existsSync, statSync} from 'node:fs'
import {resolve} from 'node:path'

import type {Api} from '../api/client.js'
import type {Build} from '../api/types.js'

import {InputError} from './errors.js'
import {workTreeFiles} from './git.js'

/** Files of `dir` to upload: git's tracked + untracked-not-ignored files in a repository, else everything but .git. */
async function sourceFiles(dir: string): Promise<string[] | undefined> {
  // A tracked file deleted in the work tree is listed by git but cannot be packed.
  return (await workTreeFiles(dir))?.filter(f => existsSync(resolve(dir, f)))
}

/** A gzipped tarball of an app directory (without .git and VCS-ignored files), entries relative to the dir. */
export async function packSource(dir: string): Promise<Buffer> {
  const root = resolve(dir)
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError(`${dir} is not a directory. Pass the app's source directory with --dir.`)
  const tar = await import('tar')
  const files = await sourceFiles(root)
  const chunks: Buffer[] = []
  const stream = tar.c(
    {cwd: root, filter: path => !/(^|\/)\.git(\/|$)/.test(path.replace(/^\.\//, '')), gzip: true, portable: true},
    files && files.length > 0 ? files : ['.'],
  )
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export function buildDuration(build: Build): string {
  if (build.status === 'pending') return ''
  const seconds = Math.max(0, Math.round((Date.parse(build.updated_at) - Date.parse(build.created_at)) / 1000))
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`
}

/** How a buildpack is shown: without `urn:buildpack:`, registry tarball URLs as `ns/name`. */
export function buildpackDisplayName(url: string): string {
  const m = /^https:\/\/buildpack-registry\.s3\.amazonaws\.com\/buildpacks\/([^/]+\/[^/]+)\.tgz$/.exec(url)
  return m ? m[1] : url.replace(/^urn:buildpack:/, '')
}

export const REGISTRY_NAME_RE = /^[^/]+\/[a-z0-9][a-z0-9_-]*$/i

/** A buildpack argument as sent to the API: existing local dirs become absolute paths, `ns/name` a registry urn. */
export function buildpackArgument(value: string, cwd = process.cwd()): string {
  const local = resolve(cwd, value)
  if (!/^[a-z][\w+.-]*:\/\//i.test(value) && existsSync(local) && statSync(local).isDirectory()) return local
  if (REGISTRY_NAME_RE.test(value)) return `urn:buildpack:${value}`
  if (/^[a-z][\w+.-]*:\/\//i.test(value) || value.startsWith('/') || value.startsWith('urn:buildpack:')) return value
  throw new InputError(`Buildpack ${value} is not a directory, a URL or a registry name (like heroku/nodejs).`)
}

/** The build `id`, or the app's latest; undefined when the app has none. */
export async function buildOrLatest(api: Api, app: string, id?: string): Promise<Build | undefined> {
  return id ? api.builds.info(app, id) : (await api.builds.list(app, 1))[0]
}
