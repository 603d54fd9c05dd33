// Buildpack installations of an app and the buildpack "registry" the heroku CLI resolves `ns/name` through.
import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {invalidParams, notFound} from '../http.js'
import {presentBuildpackInstallation} from '../present.js'
import {appParam} from '../support.js'
import {objectBody, objectOf, optionalArray, requiredString} from '../validate.js'

const REGISTRY_NAME_RE = /^[^/\s]+\/[a-z0-9][a-z0-9_-]*$/i
const URL_RE = /^(https?|git|ssh|file):\/\/\S+$/i

/** Normalises one buildpack argument: `urn:buildpack:X` → X; URLs, absolute paths and `ns/name` are accepted. */
export function normalizeBuildpack(value: string): {name: string; url: string} {
  const text = value.trim().replace(/^urn:buildpack:/, '')
  if (text === '') throw invalidParams('Invalid buildpack: empty value.')
  if (REGISTRY_NAME_RE.test(text) || URL_RE.test(text) || text.startsWith('/')) return {name: text, url: text}
  throw invalidParams(`Invalid buildpack "${value}": use a registry name (heroku/nodejs), a URL (file://, https://…) or an absolute directory path.`)
}

export function registerBuildpackRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx

  router.get('/apps/:app/buildpack-installations', c => {
    const app = appParam(ctx, c.params.app)
    return {body: store.buildpackInstallations(app.id).map(b => presentBuildpackInstallation(b))}
  })

  router.put('/apps/:app/buildpack-installations', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['updates'], {required: true})
    const updates = optionalArray(body, 'updates')
    if (updates === undefined) throw invalidParams('Missing required field "updates" in request body.')
    const buildpacks = updates.map((u, i) => normalizeBuildpack(requiredString(objectOf(u, ['buildpack'], `updates[${i}]`), 'buildpack', `updates[${i}]`)))
    const seen = new Set<string>()
    for (const bp of buildpacks) {
      if (seen.has(bp.url)) throw invalidParams(`The buildpack ${bp.url} is listed twice.`)
      seen.add(bp.url)
    }

    return {body: store.setBuildpackInstallations(app.id, buildpacks).map(b => presentBuildpackInstallation(b))}
  })

  // heroku CLI: GET <HEROKU_BUILDPACK_REGISTRY_URL>/buildpacks/<ns>%2F<name>, no auth (shared/platform-api.md §3.17).
  router.get(
    '/buildpacks/:name',
    c => {
      const name = c.params.name
      if (!REGISTRY_NAME_RE.test(name)) throw notFound(`Couldn't find that buildpack (${name}).`)
      return {body: {blob_url: `urn:buildpack:${name}`}}
    },
    {auth: false},
  )
}
