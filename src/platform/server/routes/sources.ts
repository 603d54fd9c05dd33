// Source blobs for `builds:create`: POST /sources hands out one-time capability URLs to PUT a tarball and GET it back.
import {randomUUID, timingSafeEqual} from 'node:crypto'
import {createReadStream, createWriteStream, mkdirSync} from 'node:fs'
import {readdir, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {Transform} from 'node:stream'

import type {Source} from '../../../api/types.js'
import type {PlatformContext} from '../../context.js'
import type {Ctx, Router} from '../http.js'

import {notFound, tooLarge} from '../http.js'
import {apiUrl, capabilitySecret} from '../../urls.js'

const ID_RE = /^[\da-f-]{36}$/

/** Path of an uploaded source blob, when `id`/`secret` name one (the secret is checked). */
export function sourceBlobPath(ctx: PlatformContext, id: string, secret: string): string | undefined {
  if (!ID_RE.test(id)) return undefined
  const expected = Buffer.from(capabilitySecret(ctx.config, 'source', id))
  const given = Buffer.from(secret)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
  return join(ctx.paths.sources, `${id}.tgz`)
}

/** Resolves one of our own source URLs (`…/ferry/sources/<id>/<secret>`) to its file. */
export function localSourcePath(ctx: PlatformContext, url: string): string | undefined {
  const m = /\/ferry\/sources\/([^/]+)\/([^/?#]+)$/.exec(url)
  return m ? sourceBlobPath(ctx, m[1], m[2]) : undefined
}

/** Streams a request body to a file, refusing more than `limit` bytes (413, partial file removed). */
export async function receiveBody(c: Ctx, path: string, limit: number): Promise<number> {
  const declared = Number(c.req.headers['content-length'])
  const refuse = () => tooLarge(`Source blob is larger than the limit of ${limit} bytes; set FERRY_SOURCE_MAX_BYTES to allow more.`)
  if (Number.isFinite(declared) && declared > limit) {
    c.req.resume()
    throw refuse()
  }

  let size = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      size += chunk.length
      if (size > limit) callback(refuse())
      else callback(null, chunk)
    },
  })
  try {
    await pipeline(c.req, counter, createWriteStream(path))
  } catch (error) {
    await rm(path, {force: true})
    c.req.resume()
    throw error
  }

  return size
}

const SOURCE_TTL_MS = 60 * 60 * 1000

/** Source blobs live an hour (like Heroku's); older ones are removed when new ones are handed out. */
async function sweepSources(dir: string): Promise<void> {
  const cutoff = Date.now() - SOURCE_TTL_MS
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name)
    const info = await stat(path).catch(() => null)
    if (info && info.mtimeMs < cutoff) await rm(path, {force: true})
  }
}

export function registerSourceRoutes(router: Router, ctx: PlatformContext): void {
  router.post('/sources', () => {
    void sweepSources(ctx.paths.sources)
    const id = randomUUID()
    const url = `${apiUrl(ctx.config)}/ferry/sources/${id}/${capabilitySecret(ctx.config, 'source', id)}`
    const body: Source = {source_blob: {get_url: url, put_url: url}}
    return {body, status: 201}
  })

  router.put(
    '/ferry/sources/:id/:secret',
    async c => {
      const path = sourceBlobPath(ctx, c.params.id, c.params.secret)
      if (!path) throw notFound("Couldn't find that source blob.")
      mkdirSync(ctx.paths.sources, {recursive: true})
      await receiveBody(c, path, ctx.config.sourceMaxBytes)
      c.res.writeHead(200, {'Content-Length': 0})
      c.res.end()
      return undefined
    },
    {auth: false, body: 'raw'},
  )

  router.get(
    '/ferry/sources/:id/:secret',
    async c => {
      const path = sourceBlobPath(ctx, c.params.id, c.params.secret)
      const info = path ? await stat(path).catch(() => null) : null
      if (!path || !info) throw notFound("Couldn't find that source blob.")
      c.res.writeHead(200, {'Content-Length': info.size, 'Content-Type': 'application/octet-stream'})
      if (c.method === 'HEAD') {
        c.res.end()
        return undefined
      }

      await pipeline(createReadStream(path), c.res)
      return undefined
    },
    {auth: false},
  )
}
