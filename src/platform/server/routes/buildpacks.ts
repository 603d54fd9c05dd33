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

const STARTED = new Date().toISOString()

/** What `buildpacks:info` shows of a built-in buildpack (by any of the names BUILTINS knows). */
const BUILTIN_INFO: Record<string, {category: string; description: string}> = {
  'ferry/procfile': {category: 'languages', description: 'Runs the source as it is, with the process types of its Procfile.'},
  'heroku/nodejs': {category: 'languages', description: 'Node.js: npm install (npm ci with a lockfile), the build script, a cache of npm downloads, web: npm start.'},
  'ferry/static': {category: 'static', description: 'A static site (index.html or public/) served by a small Node file server.'},
}

async function builtinInfo(name: string): Promise<undefined | {category: string; description: string}> {
  // Loaded on the first registry request: the built-in buildpacks (every language's module) stay out of an idle daemon.
  const {BUILTINS} = await import('../../builder/buildpacks/builtin.js')
  const buildpack = BUILTINS.get(name)
  if (!buildpack) return undefined
  return BUILTIN_INFO[name] ?? BUILTIN_INFO[buildpack.name] ?? {category: 'languages', description: `Built-in buildpack ${buildpack.name}.`}
}

function registryEntry(name: string, info: {category: string; description: string}) {
  const [namespace, shortName] = name.split('/')
  return {
    category: info.category,
    description: info.description,
    name: shortName,
    namespace,
    source: {type: 'builtin'},
    support: {address: 'ferry: built into the local platform', method: 'website'},
  }
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
  // Any registry name resolves (buildpacks:add); the built-ins also describe themselves for `buildpacks:info`.
  router.get(
    '/buildpacks/:name',
    async c => {
      const name = c.params.name
      if (!REGISTRY_NAME_RE.test(name)) throw notFound(`Couldn't find that buildpack (${name}).`)
      const builtin = await builtinInfo(name)
      return {body: {blob_url: `urn:buildpack:${name}`, ...(builtin && registryEntry(name, builtin))}}
    },
    {auth: false},
  )
  router.get(
    '/buildpacks/:name/revisions',
    async c => {
      const name = c.params.name
      if (!(await builtinInfo(name))) throw notFound(`Couldn't find that buildpack (${name}): only the built-in buildpacks are in this registry.`)
      return {body: [{created_at: STARTED, id: name, license: 'MIT', published_by: 'ferry', release: 1, tarball: null}]}
    },
    {auth: false},
  )
  router.get(
    '/buildpacks/:name/readme',
    async c => {
      const info = await builtinInfo(c.params.name)
      if (!info) throw notFound(`Couldn't find that buildpack (${c.params.name}).`)
      return {body: {content: Buffer.from(`${info.description}\n`).toString('base64'), encoding: 'base64'}}
    },
    {auth: false},
  )
}
