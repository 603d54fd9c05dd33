// The deploy pipeline: source → build (buildpacks) → slug → release (release phase) → converge.
// One build per app at a time; output goes to a file and to live readers (git push, output_stream_url).
import {randomUUID} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {PlatformContext} from '../context.js'
import type {BuildRecord, ReleaseRecord} from '../store/index.js'

import {BuildError} from '../builder/run.js'
import {buildOutputUrl, capabilitySecret, webUrl} from '../urls.js'
import {apiLog} from '../events.js'
import {DEFAULT_OUTPUT_LIMITS, OutputRegistry} from './output.js'
import {recoverInterruptedBuilds} from './recover.js'

export {BuildOutput, OutputRegistry} from './output.js'

export type DeploySource =
  | {gitEnv?: Record<string, string>; kind: 'git'; repoDir: string; sha: string}
  | {kind: 'tarball'; path: string}

export interface DeployRequest {
  appId: string
  /** Buildpacks for this build only (POST /builds `buildpacks`); default: the app's installations. */
  buildpacks?: string[]
  /** Release description; default `Deploy <version>` (first 8 chars of a commit). */
  description?: string
  source: DeploySource
  sourceBlob: {checksum?: null | string; url: string; version?: null | string; version_description?: null | string}
}

export interface DeployOutcome {
  build: BuildRecord
  /** false when the build, the release phase or packing failed (the previous release stays current). */
  ok: boolean
  release?: ReleaseRecord
}

export interface DeployHandle {
  build: BuildRecord
  done: Promise<DeployOutcome>
}

export class DeployBusyError extends Error {
  constructor(appName: string) {
    super(`A build is already running for ${appName}; wait for it to finish and try again.`)
    this.name = 'DeployBusyError'
  }
}

export interface DeployOptions {
  /** Environment the builds' base env is filtered from (default process.env). */
  parentEnv?: NodeJS.ProcessEnv
}

/** One per platform, loaded with the first build, source upload or push (PlatformContext.deploy(), load-once.ts). */
export class DeployService {
  readonly outputs: OutputRegistry
  private readonly busy = new Set<string>()
  private readonly running = new Map<string, AbortController>()

  constructor(
    private readonly ctx: PlatformContext,
    private readonly options: DeployOptions = {},
  ) {
    const {config} = ctx
    this.outputs = new OutputRegistry({
      maxBytes: config.buildOutputMaxBytes ?? DEFAULT_OUTPUT_LIMITS.maxBytes,
      memoryBytes: config.buildOutputMemoryBytes ?? DEFAULT_OUTPUT_LIMITS.memoryBytes,
    })
  }

  isBusy(appId: string): boolean {
    return this.busy.has(appId)
  }

  /** Capability URL of a build's output (live while building, replayed afterwards). */
  outputStreamUrl(buildId: string): string {
    return buildOutputUrl(this.ctx.config, buildId)
  }

  /** An unguessable secret for a capability URL, derived from the platform token (nothing to store). */
  secretFor(kind: string, id: string): string {
    return capabilitySecret(this.ctx.config, kind, id)
  }

  /** Starts a build; throws DeployBusyError when the app already has one running. */
  start(request: DeployRequest): DeployHandle {
    const {store} = this.ctx
    const app = store.getApp(request.appId)
    if (this.busy.has(app.id)) throw new DeployBusyError(app.name)
    this.busy.add(app.id)
    try {
      const buildpacks = request.buildpacks ?? store.buildpackInstallations(app.id).map(b => b.url)
      const build = store.createBuild({
        appId: app.id,
        buildpacks: buildpacks.length > 0 ? buildpacks.map(url => ({name: url.replace(/^urn:buildpack:/, ''), url})) : null,
        sourceBlob: request.sourceBlob,
      })
      mkdirSync(this.ctx.paths.builds, {recursive: true})
      const output = this.outputs.create(build.id, build.outputPath)
      const abort = new AbortController()
      this.running.set(build.id, abort)
      apiLog(this.ctx, app.id, `Build started by user ${build.userEmail}`)
      const done = this.run(request, build, buildpacks, line => output.line(line), abort.signal).finally(async () => {
        this.busy.delete(app.id)
        this.running.delete(build.id)
        await this.outputs.finish(build.id)
        await this.pruneOutputs(app.id)
      })
      return {build, done}
    } catch (error) {
      this.busy.delete(app.id)
      throw error
    }
  }

  /**
   * After a daemon restart: builds and release phases that were running can never finish — mark them failed
   * (the previous release stays current) and remove their work dirs.
   */
  recoverInterrupted(): number {
    return recoverInterruptedBuilds(this.ctx, appId => this.busy.has(appId))
  }

  /** Cancels a running build (its compile step is killed; the build fails). false when it is not running. */
  cancel(buildId: string): boolean {
    const abort = this.running.get(buildId)
    if (!abort) return false
    abort.abort(new BuildError('The build was cancelled.'))
    return true
  }

  /** Deletes the output files of an app's builds but the latest `buildLogsKept` (the build records stay). */
  private async pruneOutputs(appId: string): Promise<void> {
    const keep = this.ctx.config.buildLogsKept ?? 20
    try {
      const builds = this.ctx.store.listBuilds(appId)
      const old = builds.slice(0, Math.max(0, builds.length - keep)).filter(b => !this.outputs.get(b.id))
      await Promise.all(old.map(b => rm(b.outputPath, {force: true})))
    } catch (error) {
      console.error(`[ferry] pruning build output of app ${appId} failed:`, error)
    }
  }

  /** Empties an app's build cache. */
  async purgeCache(appId: string): Promise<void> {
    await rm(this.ctx.paths.cacheFor(appId), {force: true, recursive: true})
  }

  private async run(request: DeployRequest, build: BuildRecord, buildpacks: string[], out: (line: string) => void, signal: AbortSignal): Promise<DeployOutcome> {
    const {ctx} = this
    const {store} = ctx
    const app = store.getApp(request.appId)
    const workDir = join(ctx.paths.builds, build.id)
    const appDir = join(workDir, 'app')
    const fail = (message?: string): DeployOutcome => {
      if (message) out(` !     ${message}`)
      out(' !     Build failed; the current release is unchanged.')
      apiLog(ctx, app.id, 'Build failed')
      return {build: store.updateBuild(build.id, {status: 'failed'}), ok: false}
    }

    try {
      // The builder and the source extraction (tar) load on the first build: an idle daemon does not carry them.
      const [{buildSlug}, {extractCommit, extractTarball, SourceError}] = await Promise.all([import('../builder/index.js'), import('./source.js')])
      try {
        if (request.source.kind === 'git') await extractCommit(request.source.repoDir, request.source.sha, appDir, ctx.paths.gitHome, request.source.gitEnv)
        else await extractTarball(request.source.path, appDir, {maxUnpackedBytes: 4 * ctx.config.sourceMaxBytes})
      } catch (error) {
        if (error instanceof SourceError) return fail(error.message)
        throw error
      }

      if (signal.aborted) return fail('The build was cancelled.')
      let initialQuantities
      try {
        initialQuantities = await readAppJsonFormation(appDir, out)
      } catch (error) {
        if (error instanceof BuildError) return fail(error.message)
        throw error
      }

      const slugId = randomUUID()
      const slugPath = ctx.paths.slugFor(slugId)
      mkdirSync(ctx.paths.slugs, {recursive: true})
      let result
      try {
        result = await buildSlug({
          buildpacks,
          cacheDir: ctx.paths.cacheFor(app.id),
          configVars: store.configVars(app.id),
          hideDir: ctx.paths.dataDir,
          isolation: ctx.config.isolation,
          onOutput: out,
          parentEnv: this.options.parentEnv,
          secrets: [ctx.config.token],
          signal,
          slugMaxBytes: ctx.config.slugMaxBytes,
          slugPath,
          slugWarnBytes: ctx.config.slugWarnBytes,
          sourceVersion: request.sourceBlob.version ?? '',
          stack: app.buildStack,
          timeoutMs: ctx.config.buildTimeoutMs,
          workDir,
        })
      } catch (error) {
        await rm(slugPath, {force: true})
        if (error instanceof BuildError) return fail()
        throw error
      }

      if (signal.aborted) {
        await rm(slugPath, {force: true})
        return fail('The build was cancelled.')
      }

      const version = request.sourceBlob.version ?? ''
      const slug = store.createSlug({
        appId: app.id,
        blobPath: slugPath,
        buildpackProvidedDescription: result.buildpackDescription,
        checksum: result.checksum,
        commit: version || null,
        commitDescription: request.sourceBlob.version_description ?? null,
        id: slugId,
        processTypes: result.processTypes,
        size: result.size,
        stack: app.buildStack,
      })
      store.setAppBuildInfo(app.id, {buildpackProvidedDescription: result.buildpackDescription})
      let current = store.updateBuild(build.id, {slugId: slug.id, status: 'succeeded'})
      apiLog(ctx, app.id, 'Build succeeded')

      const description = request.description ?? (version ? `Deploy ${version.slice(0, 8)}` : 'Deploy')
      // Pending until its slug is unpacked and its release command, if any, succeeded (the release service): the
      // previous release stays current, and the push says done only for a release the dynos can run.
      const pending = store.createRelease({appId: app.id, description, initialQuantities, slugId: slug.id, status: 'pending'})
      current = store.updateBuild(build.id, {releaseId: pending.id})
      const release = await ctx.releases.settle(pending, {out, waitForDynos: true})
      if (release.status !== 'succeeded') return {build: current, ok: false, release}
      out(`-----> Launching... done, v${release.version}`)
      out(`       ${webUrl(ctx.config, store.getApp(app.id).name)} deployed to ferry`)
      return {build: current, ok: true, release}
    } catch (error) {
      console.error(`[ferry] build ${build.id} failed unexpectedly:`, error)
      return fail(`Internal error: ${(error as Error).message}`)
    } finally {
      await rm(workDir, {force: true, recursive: true}).catch(() => {})
    }
  }
}

/** app.json `formation`: quantities for process types when they first appear. */
async function readAppJsonFormation(appDir: string, out: (line: string) => void): Promise<Record<string, number> | undefined> {
  // The builder is loaded by now (run() imports it first); a link out of the build dir throws a BuildError.
  const {readConfined} = await import('../builder/confined.js')
  const text = await readConfined(appDir, 'app.json')
  if (text === undefined) return undefined
  try {
    const formation = (JSON.parse(text) as {formation?: unknown}).formation
    if (!formation || typeof formation !== 'object') return undefined
    const quantities: Record<string, number> = {}
    for (const [type, value] of Object.entries(formation as Record<string, unknown>)) {
      const quantity = (value as {quantity?: unknown})?.quantity
      if (typeof quantity === 'number' && Number.isInteger(quantity) && quantity >= 0) quantities[type] = quantity
    }

    return quantities
  } catch (error) {
    out(` !     Warning: app.json is not valid JSON (${(error as Error).message}); its formation is ignored.`)
    return undefined
  }
}
