// Slugs: create (metadata with process_types; the tarball lives at slugs/<id>.tgz) and info.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {PROCESS_TYPE_RE} from '../../store/index.js'
import {invalidParams} from '../http.js'
import {KNOWN_STACKS, presentSlug} from '../present.js'
import {appParam} from '../support.js'
import {objectBody, optionalString, stringMap} from '../validate.js'

const CHECKSUM_RE = /^SHA256:[\da-f]{64}$/

export function registerSlugRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx

  router.post('/apps/:app/slugs', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['buildpack_provided_description', 'checksum', 'commit', 'commit_description', 'process_types', 'stack'], {required: true})
    if (body.process_types === undefined) throw invalidParams('Missing required field "process_types" in request body.')
    const processTypes = stringMap(body.process_types, 'process_types')
    for (const type of Object.keys(processTypes)) {
      if (!PROCESS_TYPE_RE.test(type)) throw invalidParams(`Invalid process type "${type}": use letters, digits, "_" and "-" (at most 128).`)
    }

    const checksum = optionalString(body, 'checksum')
    if (checksum !== undefined && !CHECKSUM_RE.test(checksum)) throw invalidParams('Invalid field "checksum": expected "SHA256:" followed by 64 lowercase hex digits.')
    const stack = optionalString(body, 'stack')
    if (stack !== undefined && !KNOWN_STACKS.includes(stack)) throw invalidParams(`Invalid field "stack": unknown stack "${stack}".`)
    const slug = store.createSlug({
      appId: app.id,
      buildpackProvidedDescription: optionalString(body, 'buildpack_provided_description'),
      checksum,
      commit: optionalString(body, 'commit'),
      commitDescription: optionalString(body, 'commit_description'),
      processTypes,
      stack,
    })
    return {body: presentSlug(slug), status: 201}
  })

  router.get('/apps/:app/slugs/:slug', c => {
    const app = appParam(ctx, c.params.app)
    return {body: presentSlug(store.getSlug(app.id, c.params.slug))}
  })
}
