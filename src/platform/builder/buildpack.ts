// Buildpacks: one interface for the built-in ones (TypeScript) and classic ones (bin/detect, bin/compile, bin/release).
import {access, constants, cp, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {parseReleaseYaml, type ReleaseInfo, ReleaseYamlError} from './release-yaml.js'
import {BuildError, captureStep, runStep, type Sandbox} from './run.js'

export interface StepContext {
  buildDir: string
  cacheDir: string
  /** Current build environment (base env plus `export` files of earlier buildpacks). */
  env: NodeJS.ProcessEnv
  envDir: string
  /** Writes one line of build output verbatim. */
  log: (line: string) => void
  sandbox?: Sandbox
  signal: AbortSignal
  /** Where a buildpack may keep temporary files (inside the build's work dir). */
  workDir: string
}

export interface Buildpack {
  /** Path of an `export` file to source before later buildpacks (classic buildpacks). */
  readonly exportFile?: string
  readonly name: string
  readonly url: string
  compile(ctx: StepContext): Promise<void>
  /** The description (`Node.js`) when the buildpack applies to the app, else null. */
  detect(ctx: StepContext): Promise<null | string>
  release(ctx: StepContext): Promise<ReleaseInfo>
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** A buildpack directory with `bin/detect`, `bin/compile` and `bin/release`. */
export class ClassicBuildpack implements Buildpack {
  readonly exportFile: string

  constructor(
    readonly dir: string,
    readonly url: string,
    readonly name: string = url,
  ) {
    this.exportFile = join(dir, 'export')
  }

  async compile(ctx: StepContext): Promise<void> {
    const compile = join(this.dir, 'bin', 'compile')
    if (!(await isExecutable(compile))) throw new BuildError(`Buildpack ${this.name} has no executable bin/compile.`)
    const status = await runStep(compile, [ctx.buildDir, ctx.cacheDir, ctx.envDir], {cwd: ctx.buildDir, env: ctx.env, onLine: ctx.log, sandbox: ctx.sandbox, signal: ctx.signal})
    if (status !== 0) throw new BuildError(`Buildpack ${this.name}: bin/compile exited with status ${status}.`)
  }

  async detect(ctx: StepContext): Promise<null | string> {
    const detect = join(this.dir, 'bin', 'detect')
    if (!(await isExecutable(detect))) throw new BuildError(`Buildpack ${this.name} has no executable bin/detect.`)
    const {status, stdout} = await captureStep(detect, [ctx.buildDir], {cwd: ctx.buildDir, env: ctx.env, onLine: ctx.log, sandbox: ctx.sandbox, signal: ctx.signal})
    if (status !== 0) return null
    return stdout.split('\n')[0].trim() || this.name
  }

  async release(ctx: StepContext): Promise<ReleaseInfo> {
    const release = join(this.dir, 'bin', 'release')
    if (!(await isExecutable(release))) return {addons: [], config_vars: {}, default_process_types: {}}
    const {status, stdout} = await captureStep(release, [ctx.buildDir], {cwd: ctx.buildDir, env: ctx.env, onLine: ctx.log, sandbox: ctx.sandbox, signal: ctx.signal})
    if (status !== 0) throw new BuildError(`Buildpack ${this.name}: bin/release exited with status ${status}.`)
    try {
      return parseReleaseYaml(stdout)
    } catch (error) {
      if (error instanceof ReleaseYamlError) throw new BuildError(`Buildpack ${this.name}: bin/release printed ${error.message}`)
      throw error
    }
  }
}

export const REGISTRY_NAME_RE = /^[^/]+\/[a-z0-9][a-z0-9_-]*$/i

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/** True for a git repository directory (bare or with a work tree). */
async function isGitRepo(dir: string): Promise<boolean> {
  if (await isDir(join(dir, '.git'))) return true
  return (await isDir(join(dir, 'objects'))) && isDir(join(dir, 'refs'))
}

export interface ResolveContext {
  /** Built-in buildpacks by registry name (`heroku/nodejs`). */
  builtins: Map<string, Buildpack>
  env: NodeJS.ProcessEnv
  log: (line: string) => void
  signal: AbortSignal
  /** Empty directory a git buildpack is cloned, or a local directory buildpack copied, into. */
  cloneDir: string
  /** Why a local directory may not be used (inside the platform's data dir), or undefined. */
  refuseDir?: (dir: string) => string | undefined
}

/**
 * Turns a buildpack URL into a buildpack: a built-in name (`heroku/nodejs`, `urn:buildpack:heroku/nodejs`),
 * a local directory, or a git URL reachable from this machine (file://, a local repository path; `#ref` picks a branch/tag).
 */
export async function resolveBuildpack(url: string, ctx: ResolveContext): Promise<Buildpack> {
  const name = url.replace(/^urn:buildpack:/, '')
  const builtin = ctx.builtins.get(name)
  if (builtin) return builtin
  let location = name
  let ref: string | undefined
  const hash = location.lastIndexOf('#')
  if (hash > 0 && !location.startsWith('/')) {
    ref = location.slice(hash + 1)
    location = location.slice(0, hash)
  }

  const localPath = location.startsWith('file://') ? fileURLToPath(location) : location.startsWith('/') ? location : undefined
  if (localPath !== undefined) {
    if (!(await isDir(localPath))) throw new BuildError(`Buildpack ${url} not found: ${localPath} is not a directory.`)
    const git = await isGitRepo(localPath)
    if (!git || (!ref && (await isDir(join(localPath, 'bin'))))) {
      // Copied per build, as Heroku fetches a buildpack per build: its scripts may write into their own dir (an
      // `export` file, caches), and the user's directory must not change.
      const refused = ctx.refuseDir?.(localPath)
      if (refused) throw new BuildError(refused)
      await cp(localPath, ctx.cloneDir, {errorOnExist: false, preserveTimestamps: true, recursive: true, verbatimSymlinks: true})
      return new ClassicBuildpack(ctx.cloneDir, url)
    }
  } else if (REGISTRY_NAME_RE.test(name) && !/^[a-z+]+:/.test(name)) {
    throw new BuildError(`Buildpack ${name} is not available locally. Use heroku/ruby, heroku/nodejs, heroku/clojure, heroku/python, heroku/java, heroku/go, ferry/static, ferry/procfile, a local directory, or a git URL.`)
  }

  const lines: string[] = []
  const args = ['clone', '--quiet', '--depth', '1', ...(ref ? ['--branch', ref] : []), localPath === undefined ? location : `file://${localPath}`, ctx.cloneDir]
  const status = await runStep('git', args, {cwd: '/', env: {...ctx.env, GIT_TERMINAL_PROMPT: '0'}, onLine: line => lines.push(line), signal: ctx.signal})
  if (status !== 0) {
    for (const line of lines) ctx.log(`       ${line}`)
    throw new BuildError(`Could not fetch buildpack ${url} (git clone exited with status ${status}).`)
  }

  return new ClassicBuildpack(ctx.cloneDir, url)
}

/**
 * The environment after sourcing a buildpack's `export` file (unchanged when there is none). The file is build
 * output (bin/compile writes it, and a build can write a cloned buildpack's dir), so it runs in the build sandbox.
 */
export async function sourceExport(exportFile: string | undefined, env: NodeJS.ProcessEnv, signal: AbortSignal, sandbox?: Sandbox): Promise<NodeJS.ProcessEnv> {
  if (!exportFile) return env
  try {
    await access(exportFile, constants.R_OK)
  } catch {
    return env
  }

  const {status, stdout} = await captureStep('bash', ['-c', 'set -a; . "$1" >&2; env -0', 'export', exportFile], {cwd: '/', env, sandbox, signal})
  if (status !== 0) throw new BuildError(`Sourcing ${exportFile} failed with status ${status}.`)
  const next: NodeJS.ProcessEnv = {}
  for (const entry of stdout.split('\0')) {
    const eq = entry.indexOf('=')
    if (eq > 0) next[entry.slice(0, eq)] = entry.slice(eq + 1)
  }

  delete next._
  delete next.SHLVL
  delete next.PWD
  delete next.OLDPWD
  return next
}
