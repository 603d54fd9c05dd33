// Builds: create from a source tarball URL, list, info, the output stream (capability URL), and the build cache.
import {createHash, randomUUID, timingSafeEqual} from 'node:crypto'
import {createReadStream, createWriteStream, mkdirSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'
import {Readable, Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'

import type {Build} from '../../../api/types.js'
import type {PlatformContext} from '../../context.js'
import type {BuildRecord} from '../../store/index.js'
import type {Ctx, Router} from '../http.js'
import type {OutputRegistry} from '../../deploy/output.js'

import {DeployBusyError} from '../../deploy/index.js'
import {buildOutputUrl, capabilitySecret} from '../../urls.js'
import {conflict, invalidParams, listReply, notFound, tooLarge} from '../http.js'
import {appParam} from '../support.js'
import {objectBody, objectOf, optionalArray, optionalString, requiredString} from '../validate.js'
import {normalizeBuildpack} from './buildpacks.js'
import {localSourcePath} from './sources.js'

function safeEqual(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}

export function presentBuild(ctx: PlatformContext, build: BuildRecord): Build {
  return {
    app: {id: build.appId},
    buildpacks: build.buildpacks,
    created_at: build.createdAt,
    id: build.id,
    output_stream_url: buildOutputUrl(ctx.config, build.id),
    release: build.releaseId ? {id: build.releaseId} : null,
    slug: build.slugId ? {id: build.slugId} : null,
    source_blob: build.sourceBlob,
    stack: build.stack,
    status: build.status,
    updated_at: build.updatedAt,
    user: {email: build.userEmail, id: build.userId},
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return `SHA256:${hash.digest('hex')}`
}

/** Downloads an http(s) source tarball into `path` with a size limit. */
async function download(url: string, path: string, limit: number): Promise<void> {
  let response: Response
  try {
    response = await fetch(url, {redirect: 'follow'})
  } catch (error) {
    throw invalidParams(`Could not fetch source_blob.url ${url}: ${(error as Error).message}.`)
  }

  if (!response.ok || !response.body) throw invalidParams(`Could not fetch source_blob.url ${url}: HTTP ${response.status}.`)
  let size = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      size += chunk.length
      if (size > limit) callback(tooLarge(`Source blob is larger than the limit of ${limit} bytes.`))
      else callback(null, chunk)
    },
  })
  try {
    await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(path))
  } catch (error) {
    await rm(path, {force: true})
    throw error
  }
}

export function registerBuildRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx
  // Builds interrupted by a restart were failed by the daemon at start (deploy/recover.ts), before this module loads.

  router.post('/apps/:app/builds', async c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['buildpacks', 'source_blob'], {required: true})
    if (body.source_blob === undefined) throw invalidParams('Missing required field "source_blob" in request body.')
    const blob = objectOf(body.source_blob, ['checksum', 'url', 'version', 'version_description'], 'source_blob')
    const url = requiredString(blob, 'url', 'source_blob')
    const version = optionalString(blob, 'version', 'source_blob')
    const checksum = optionalString(blob, 'checksum', 'source_blob')
    const versionDescription = optionalString(blob, 'version_description', 'source_blob')
    const buildpacks = optionalArray(body, 'buildpacks')?.map((b, i) => normalizeBuildpack(requiredString(objectOf(b, ['name', 'url'], `buildpacks[${i}]`), 'url', `buildpacks[${i}]`)).url)
    const deploy = await ctx.deploy()
    if (deploy.isBusy(app.id)) throw conflict(`A build is already running for ${app.name}; wait for it to finish and try again.`)

    let path = localSourcePath(ctx, url)
    if (!path && url.startsWith('file://')) path = fileURLToPath(url)
    if (!path) {
      if (!/^https?:\/\//.test(url)) throw invalidParams('Invalid source_blob.url: use the get_url from POST /sources, an http(s) URL or a file:// URL.')
      mkdirSync(ctx.paths.sources, {recursive: true})
      path = join(ctx.paths.sources, `${randomUUID()}.tgz`)
      await download(url, path, ctx.config.sourceMaxBytes)
    }

    let actual: string
    try {
      actual = await sha256(path)
    } catch {
      throw invalidParams(`Source blob ${url} does not exist; upload it to the put_url first.`)
    }

    if (checksum !== undefined && checksum !== actual) throw invalidParams(`source_blob.checksum ${checksum} does not match the blob (${actual}).`)
    try {
      const {build} = deploy.start({
        appId: app.id,
        buildpacks,
        source: {kind: 'tarball', path},
        sourceBlob: {checksum: actual, url, version: version ?? null, version_description: versionDescription ?? null},
      })
      return {body: presentBuild(ctx, build), status: 201}
    } catch (error) {
      if (error instanceof DeployBusyError) throw conflict(error.message)
      throw error
    }
  })

  router.get('/apps/:app/builds', c => {
    const app = appParam(ctx, c.params.app)
    return listReply(c, store.listBuilds(app.id).map(b => presentBuild(ctx, b)), {defaultField: 'created_at', fields: ['id', 'created_at']})
  })

  router.get('/apps/:app/builds/:build', c => {
    const app = appParam(ctx, c.params.app)
    return {body: presentBuild(ctx, store.getBuild(app.id, c.params.build))}
  })

  // Cancels a running build (409 when it already finished).
  router.delete('/apps/:app/builds/:build', async c => {
    const app = appParam(ctx, c.params.app)
    const build = store.getBuild(app.id, c.params.build)
    if (build.status !== 'pending' || !(await ctx.deploy()).cancel(build.id)) throw conflict(`Build ${build.id} is not running (status ${build.status}).`)
    return {body: presentBuild(ctx, store.getBuild(app.id, build.id)), status: 200}
  })

  router.delete('/apps/:app/build-cache', async c => {
    const app = appParam(ctx, c.params.app)
    await (await ctx.deploy()).purgeCache(app.id)
    return {body: {}, status: 202}
  })

  // The output streams: chunked text/plain, live while building (or running the release command), the full log once
  // done. Capability URLs (an HMAC of the id, checked before any lookup); bearer tolerated.
  router.get(
    '/ferry/build-output/:build/:secret',
    async c => {
      const valid = UUID.test(c.params.build) && safeEqual(c.params.secret, capabilitySecret(ctx.config, 'build', c.params.build))
      const build = valid ? store.findBuildById(c.params.build) : null
      if (!build) throw notFound("Couldn't find that build.")
      return serveOutput(c, (await ctx.deploy()).outputs, build.id, build.outputPath)
    },
    {auth: false},
  )
  router.get(
    '/ferry/release-output/:release/:secret',
    async c => {
      // A valid secret proves the id is a release's: its output file is named after it (no lookup needed).
      const valid = UUID.test(c.params.release) && safeEqual(c.params.secret, capabilitySecret(ctx.config, 'release', c.params.release))
      if (!valid) throw notFound("Couldn't find that release.")
      const {releases} = ctx
      return serveOutput(c, releases.outputs, c.params.release, releases.outputPath(c.params.release))
    },
    {auth: false},
  )
}

const UUID = /^[\da-f-]{36}$/

async function serveOutput(c: Ctx, outputs: OutputRegistry, key: string, path: string): Promise<undefined> {
  c.res.writeHead(200, {'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff'})
  if (c.method === 'HEAD') {
    c.res.end()
    return undefined
  }

  await new Promise<void>(resolve => {
    let unfollow = () => {}
    c.res.on('close', () => {
      unfollow()
      resolve()
    })
    void outputs
      .follow(key, path, {
        onEnd() {
          c.res.end()
          resolve()
        },
        onText: text => c.res.write(text),
      })
      .then(fn => {
        unfollow = fn
      })
  })
  return undefined
}
