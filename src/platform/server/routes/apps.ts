// Apps: list, create, info, update/rename, delete; app features (preboot …).
import {rm} from 'node:fs/promises'

import type {PlatformContext} from '../../context.js'
import type {Router} from '../http.js'

import {validateAppName} from '../../store/index.js'
import {invalidParams, listReply, notFound} from '../http.js'
import {KNOWN_REGIONS, KNOWN_STACKS, presentApp} from '../present.js'
import {appParam} from '../support.js'
import {apiLog, converge} from '../../events.js'
import {objectBody, optionalArray, optionalBoolean, optionalString} from '../validate.js'

const APP_RANGE = {defaultField: 'name', fields: ['id', 'name', 'updated_at']}

/** Features an app may toggle (fixed ids); the supervisor reads `preboot`. */
const APP_FEATURES: Record<string, {description: string; displayName: string; id: string}> = {
  preboot: {
    description: 'Provide seamless web dyno deploys: new web dynos start before old ones stop.',
    displayName: 'Preboot',
    id: '4ba9b2c6-4f6a-4b8e-9a51-7e0a8b6f1c01',
  },
}

/** A feature by name or id, or 404. */
function featureName(nameOrId: string): string {
  const found = Object.entries(APP_FEATURES).find(([name, f]) => name === nameOrId || f.id === nameOrId)
  if (!found) throw notFound("Couldn't find that feature.")
  return found[0]
}

function checkStack(stack: string | undefined, field: string): void {
  if (stack !== undefined && !KNOWN_STACKS.includes(stack)) {
    throw invalidParams(`Invalid field "${field}": unknown stack "${stack}"; use one of: ${KNOWN_STACKS.join(', ')}.`)
  }
}

export function registerAppRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx
  const present = (app: ReturnType<typeof store.getApp>) => presentApp(ctx.config, app, store.account())

  const list = () => store.listApps().map(app => present(app))
  router.get('/apps', c => listReply(c, list(), APP_RANGE))
  router.get('/users/:user/apps', c => {
    const account = store.account()
    if (![account.email, account.id, '~'].includes(c.params.user)) throw notFound("Couldn't find that user.")
    return listReply(c, list(), APP_RANGE)
  })

  router.post('/apps', c => {
    const body = objectBody(c.body, ['feature_flags', 'name', 'region', 'stack'])
    const name = optionalString(body, 'name')
    const region = optionalString(body, 'region')
    const stack = optionalString(body, 'stack')
    const flags = optionalArray(body, 'feature_flags')
    if (flags?.some(f => typeof f !== 'string')) throw invalidParams('Invalid field "feature_flags": expected an array of strings.')
    if (region !== undefined && !KNOWN_REGIONS.includes(region)) {
      throw invalidParams(`Invalid field "region": unknown region "${region}"; the local platform has only "us".`)
    }

    checkStack(stack, 'stack')
    if (name !== undefined) validateAppName(name)
    const app = store.createApp({name, stack})
    for (const flag of (flags as string[] | undefined) ?? []) if (flag in APP_FEATURES) store.setFeature(app.id, flag, true)
    apiLog(ctx, app.id, `Initial release by user ${store.account().email}`)
    apiLog(ctx, app.id, `Release v1 created by user ${store.account().email}`)
    apiLog(ctx, app.id, `Enable Logplex by user ${store.account().email}`)
    apiLog(ctx, app.id, `Release v2 created by user ${store.account().email}`)
    return {body: present(app), status: 201}
  })

  router.get('/apps/:app', c => ({body: present(appParam(ctx, c.params.app))}))

  router.patch('/apps/:app', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['build_stack', 'maintenance', 'name'])
    const name = optionalString(body, 'name')
    const maintenance = optionalBoolean(body, 'maintenance')
    const buildStack = optionalString(body, 'build_stack')
    checkStack(buildStack, 'build_stack')
    const updated = store.updateApp(app.id, {buildStack, maintenance, name})
    if (name !== undefined && name !== app.name) apiLog(ctx, app.id, `Rename from ${app.name} to ${name} by user ${store.account().email}`)
    if (maintenance !== undefined && maintenance !== app.maintenance) {
      apiLog(ctx, app.id, `${maintenance ? 'Enable' : 'Disable'} maintenance mode by user ${store.account().email}`)
    }

    return {body: present(updated)}
  })

  router.delete('/apps/:app', async c => {
    // The add-on manager first (loaded only if add-ons exist), so nothing runs between the lookup and the delete.
    const addons = ctx.addons.any() ? await ctx.addons.manager() : undefined
    const found = appParam(ctx, c.params.app)
    const files = [...store.listSlugs(found.id).map(s => s.blobPath), ctx.paths.repoFor(found.id), ctx.paths.cacheFor(found.id)]
    addons?.onAppDeleted(found.id)
    const app = store.deleteApp(found.id)
    const body = present(app)
    // The supervisor finds no desired state any more and stops everything; then the app's logs and files go.
    ctx.supervisor
      .converge(app.id)
      .catch(error => console.error(`[ferry] stopping dynos of deleted app ${app.name} failed:`, error))
      .finally(async () => {
        ctx.logs.purge(app.id)
        for (const file of files) await rm(file, {force: true, recursive: true}).catch(() => {})
      })
    return {body}
  })

  const presentFeature = (app: {createdAt: string; id: string}, name: string) => {
    const state = store.features(app.id).find(f => f.name === name)
    return {
      created_at: app.createdAt,
      description: APP_FEATURES[name].description,
      display_name: APP_FEATURES[name].displayName,
      doc_url: `https://devcenter.heroku.com/articles/${name}`,
      enabled: state?.enabled ?? false,
      feedback_email: '',
      id: APP_FEATURES[name].id,
      name,
      state: 'general',
      updated_at: state?.updatedAt ?? app.createdAt,
    }
  }

  router.get('/apps/:app/features', c => {
    const app = appParam(ctx, c.params.app)
    return listReply(c, Object.keys(APP_FEATURES).map(name => presentFeature(app, name)), {fields: ['id', 'name']})
  })
  router.get('/apps/:app/features/:feature', c => {
    const app = appParam(ctx, c.params.app)
    return {body: presentFeature(app, featureName(c.params.feature))}
  })
  router.patch('/apps/:app/features/:feature', c => {
    const app = appParam(ctx, c.params.app)
    const name = featureName(c.params.feature)
    const body = objectBody(c.body, ['enabled'], {required: true})
    const enabled = optionalBoolean(body, 'enabled')
    if (enabled === undefined) throw invalidParams('Missing required field "enabled" in request body.')
    store.setFeature(app.id, name, enabled)
    apiLog(ctx, app.id, `${enabled ? 'Enable' : 'Disable'} ${name} by user ${store.account().email}`)
    converge(ctx, app.id)
    return {body: presentFeature(app, name)}
  })
}
