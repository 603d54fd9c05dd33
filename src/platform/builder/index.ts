// Builds a slug from an app's source: .slugignore, buildpack selection, compile, release, Procfile, packing.
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {ProcessTypes} from '../../api/types.js'
import type {BuildResult} from '../context.js'

import {type Buildpack, resolveBuildpack, sourceExport, type StepContext} from './buildpack.js'
import {BUILTINS, DETECTION_ORDER} from './buildpacks/builtin.js'
import {readConfined, writeConfined} from './confined.js'
import {parseProcfile, ProcfileError} from './procfile.js'
import {applySlugignore} from './slugignore.js'
import {buildEnv, BuildError, MB} from './run.js'
import {hostFiles, refusedBuildpackDir, type Sandbox} from './sandbox.js'
import {humanSize, packSlug} from './slug.js'

export {BUILTINS} from './buildpacks/builtin.js'
export {parseProcfile, ProcfileError} from './procfile.js'
export {BuildError, MB} from './run.js'

export interface BuildOptions {
  /** The app's buildpack installation URLs in order; empty → detection (DETECTION_ORDER). */
  buildpacks: string[]
  /** Per-app cache dir kept between builds (created when missing). */
  cacheDir: string
  /** Config vars: written to ENV_DIR, one file per var, never put into the build's environment. */
  configVars: Record<string, string>
  /** The platform data dir (the token lives there): never mounted into build steps (isolation 'bwrap'). */
  hideDir?: string
  isolation: 'bwrap' | 'none'
  /** Receives each output line (`-----> …` headings, 7-space detail). */
  onOutput: (line: string) => void
  /** Environment the build's base env is filtered from (default process.env). */
  parentEnv?: NodeJS.ProcessEnv
  /** Values that must never reach a build (the platform token): variables containing them are dropped. */
  secrets?: string[]
  signal?: AbortSignal
  /** Refuse slugs above this size (default 1 GB). */
  slugMaxBytes?: number
  slugPath: string
  /** Warn above this size (default 300 MB). */
  slugWarnBytes?: number
  sourceVersion?: string
  stack?: string
  timeoutMs: number
  /** A fresh dir owned by this build: `app/` holds the source (becomes the slug), `env/` and `buildpacks/` are made here. */
  workDir: string
}

export interface BuildOutcome extends BuildResult {
  buildpacks: Array<{name: string; url: string}>
}

export const NO_BUILDPACK_MESSAGE =
  'No default language could be detected for this app. Add a Gemfile, package.json, project.clj, requirements.txt, pom.xml, go.mod, an index.html (or public/) or a Procfile, or set a buildpack with "ferry buildpacks:set URL|PATH".'

/** Runs the whole build; throws BuildError (its message is already printed as ` !     …`) on failure. */
export async function buildSlug(options: BuildOptions): Promise<BuildOutcome> {
  const out = options.onOutput
  const timeout = new AbortController()
  const timer = setTimeout(
    () => timeout.abort(new BuildError(`Build timed out after ${Math.round(options.timeoutMs / 1000)} seconds.`)),
    options.timeoutMs,
  )
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal
  try {
    return await runBuild(options, signal)
  } catch (error) {
    const reason = signal.aborted && signal.reason instanceof BuildError ? signal.reason : error
    const message = reason instanceof BuildError || reason instanceof ProcfileError ? reason.message : `Internal build error: ${(reason as Error).message}`
    out(` !     ${message}`)
    throw reason instanceof BuildError ? reason : new BuildError(message)
  } finally {
    clearTimeout(timer)
  }
}

async function runBuild(options: BuildOptions, signal: AbortSignal): Promise<BuildOutcome> {
  const out = options.onOutput
  const stack = options.stack ?? 'heroku-24'
  const appDir = join(options.workDir, 'app')
  const envDir = join(options.workDir, 'env')
  await mkdir(envDir, {recursive: true})
  await mkdir(options.cacheDir, {recursive: true})
  for (const [key, value] of Object.entries(options.configVars)) {
    if (/^\w+$/.test(key)) await writeFile(join(envDir, key), value)
  }

  out('-----> Building on the ferry platform')
  const removed = await applySlugignore(appDir, signal)
  if (removed.length > 0) out(`-----> Deleting ${removed.length} files matching .slugignore patterns.`)

  const sandbox: Sandbox | undefined =
    options.isolation === 'bwrap'
      ? {cacheDir: options.cacheDir, dataDir: options.hideDir ?? '', readOnly: [], workDir: options.workDir, ...hostFiles(options.parentEnv ?? process.env, options.hideDir ?? '')}
      : undefined
  let env = buildEnv(options.parentEnv ?? process.env, {SOURCE_VERSION: options.sourceVersion ?? '', STACK: stack}, options.secrets)
  const ctx = (): StepContext => ({buildDir: appDir, cacheDir: options.cacheDir, env, envDir, log: out, sandbox, signal, workDir: options.workDir})

  // As Heroku: with buildpacks set, each one's bin/detect runs after the earlier ones have compiled (a buildpack may
  // detect what an earlier one produced); with none set, the first built-in that detects the app is used.
  const selected: Array<{buildpack: Buildpack; description: string}> = []
  const compile = async (buildpack: Buildpack, description: string): Promise<void> => {
    selected.push({buildpack, description})
    out(`-----> ${description} app detected`)
    await buildpack.compile(ctx())
    env = await sourceExport(buildpack.exportFile, env, signal, sandbox)
  }

  if (options.buildpacks.length > 0) {
    out(`-----> Using buildpack${options.buildpacks.length > 1 ? 's' : ''}: ${options.buildpacks.map(u => u.replace(/^urn:buildpack:/, '')).join(', ')}`)
    for (const [i, url] of options.buildpacks.entries()) {
      const cloneDir = join(options.workDir, 'buildpacks', String(i))
      await mkdir(join(options.workDir, 'buildpacks'), {recursive: true})
      const buildpack = await resolveBuildpack(url, {builtins: BUILTINS, cloneDir, refuseDir: dir => (sandbox ? refusedBuildpackDir(sandbox, dir) : undefined), env, log: out, signal})
      const description = await buildpack.detect(ctx())
      if (description === null) throw new BuildError(`App not compatible with buildpack: ${url} (bin/detect failed).`)
      await compile(buildpack, description)
    }
  } else {
    let found = false
    for (const buildpack of DETECTION_ORDER) {
      const description = await buildpack.detect(ctx())
      if (description !== null) {
        await compile(buildpack, description)
        found = true
        break
      }
    }

    if (!found) throw new BuildError(NO_BUILDPACK_MESSAGE)
  }

  const defaults: ProcessTypes = {}
  const configVars: Record<string, string> = {}
  for (const {buildpack} of selected) {
    const info = await buildpack.release(ctx())
    Object.assign(defaults, info.default_process_types)
    Object.assign(configVars, info.config_vars)
  }

  if (Object.keys(configVars).length > 0) await writeBuildpackConfig(appDir, configVars)

  out('-----> Discovering process types')
  let procfileTypes: ProcessTypes = {}
  const procfileText = await readConfined(appDir, 'Procfile')

  if (procfileText !== undefined) {
    try {
      procfileTypes = parseProcfile(procfileText)
    } catch (error) {
      if (error instanceof ProcfileError) throw new BuildError(`Invalid Procfile: ${error.message}`)
      throw error
    }
  }

  const processTypes: ProcessTypes = {...procfileTypes}
  for (const [type, command] of Object.entries(defaults)) if (!(type in processTypes)) processTypes[type] = command
  if (procfileText !== undefined) out(`       Procfile declares types     -> ${Object.keys(procfileTypes).join(', ') || '(none)'}`)
  const defaultsUsed = Object.keys(defaults).filter(t => !(t in procfileTypes))
  if (defaultsUsed.length > 0) out(`       Default types for buildpack -> ${defaultsUsed.join(', ')}`)
  if (Object.keys(processTypes).length === 0) out('       No process types: add a Procfile to run dynos')

  out('-----> Compressing...')
  const {checksum, size} = await packSlug(appDir, options.slugPath, signal)
  const maxBytes = options.slugMaxBytes ?? 1024 * MB
  const warnBytes = options.slugWarnBytes ?? 300 * MB
  if (size > maxBytes) {
    throw new BuildError(`Compiled slug size ${humanSize(size)} is too large (max is ${humanSize(maxBytes)}). Add large files to .slugignore.`)
  }

  out(`       Done: ${humanSize(size)}`)
  if (size > warnBytes) out(` !     Warning: Your slug size (${humanSize(size)}) exceeds the soft limit (${humanSize(warnBytes)}), which may affect boot time.`)
  return {
    buildpackDescription: selected.map(s => s.description).join(', '),
    buildpacks: selected.map(s => ({name: s.buildpack.name, url: s.buildpack.url})),
    checksum,
    defaultProcessTypes: defaults,
    processTypes,
    size,
    slugPath: options.slugPath,
  }
}

/** Buildpack `config_vars` become runtime defaults (an app's own config vars win). */
async function writeBuildpackConfig(appDir: string, vars: Record<string, string>): Promise<void> {
  const quote = (v: string) => `'${v.replaceAll("'", String.raw`'\''`)}'`
  const lines = Object.entries(vars)
    .filter(([key]) => /^[A-Za-z_]\w*$/.test(key))
    .map(([key, value]) => `if [ -z "\${${key}+x}" ]; then export ${key}=${quote(value)}; fi`)
  await writeConfined(appDir, '.profile.d/000-buildpack-config.sh', `${lines.join('\n')}\n`)
}
