// Add-ons, attachments and the service catalogue (schema.json: add-on, add-on-attachment, add-on-service, plan),
// plus the resolve actions the official CLI uses and ferry's own /ferry/addons/{id}/info|reset for pg:* / redis:*.
import type {PlatformContext} from '../../context.js'
import type {Ctx, Router} from '../http.js'

import {findService, presentPlan, presentService, resolvePlan, SERVICES} from '../../addons/catalog.js'
import {presentAddon, presentAttachment} from '../../addons/present.js'
import type {AddonRecord} from '../../addons/store.js'
import {invalidParams, notFound} from '../../errors.js'
import {listReply} from '../http.js'
import {appParam} from '../support.js'
import {objectBody, objectOf, optionalString, requiredString} from '../validate.js'

export function registerAddonRoutes(router: Router, ctx: PlatformContext): void {
  // Registered lazily (server/index.ts LAZY_ROUTES.addons), after the manager loaded: see addons/lazy.ts.
  const manager = () => {
    if (!ctx.addons.loaded) throw new Error('The add-on manager is not loaded: add-on routes are registered through LAZY_ROUTES.addons.')
    return ctx.addons.loaded
  }

  const records = () => manager().records

  // Accept-Expansion: addon_service,plan (the official CLI asks for it) replaces the {id, name} refs by full objects.
  const present = (addon: AddonRecord, c?: Ctx) => expand(presentAddon(addon, records().attachments({addonId: addon.id})), c)
  const attachmentBody = (id: string) => {
    const attachment = records().getAttachment(id)
    return presentAttachment(attachment, records().get(attachment.addonId))
  }

  const fields = {fields: ['id', 'name']}

  // ---- add-ons ----
  router.get('/apps/:app/addons', c => {
    const app = appParam(ctx, c.params.app)
    // Owned and attached ones, like Heroku's list by app.
    const attachedIds = new Set(records().attachments({appId: app.id}).map(t => t.addonId))
    const addons = records().list().filter(a => a.appId === app.id || attachedIds.has(a.id))
    return listReply(c, addons.map(a => present(a, c)), fields)
  })
  router.get('/apps/:app/addons/:addon', c => ({body: present(records().get(c.params.addon, appParam(ctx, c.params.app).id), c)}))
  router.get('/addons', c => listReply(c, records().list().map(a => present(a, c)), fields))
  router.get('/addons/:addon', c => ({body: present(records().get(c.params.addon), c)}))

  router.post('/apps/:app/addons', async c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['attachment', 'config', 'confirm', 'name', 'plan'], {required: true})
    // `plan` is a plan identity: "heroku-postgresql:essential-0" or {name} / {id} (the official CLI sends {name}).
    const planRef = typeof body.plan === 'object' && body.plan !== null ? objectOf(body.plan, ['id', 'name'], 'field "plan"') : undefined
    const plan = planRef
      ? (optionalString(planRef, 'name', 'field "plan"') ?? optionalString(planRef, 'id', 'field "plan"') ?? requiredString(planRef, 'name', 'field "plan"'))
      : requiredString(body, 'plan')
    const attachment = body.attachment === undefined ? {} : objectOf(body.attachment, ['name'], 'field "attachment"')
    const {addon} = await manager().create(app, {
      attachmentName: optionalString(attachment, 'name', 'field "attachment"'),
      name: optionalString(body, 'name'),
      spec: plan,
    })
    return {body: present(addon, c), status: 201}
  })

  router.delete('/apps/:app/addons/:addon', async c => {
    const app = appParam(ctx, c.params.app)
    const addon = records().get(c.params.addon, app.id)
    if (addon.appId !== app.id) throw invalidParams(`Add-on ${addon.name} belongs to app ${addon.appName}; detach it from ${app.name} instead (addons:detach).`)
    const body = present(addon, c)
    await manager().destroy(addon)
    return {body: {...body, config_vars: [], state: 'deprovisioned'}}
  })

  // ---- attachments ----
  router.get('/addon-attachments', c => listReply(c, records().attachments().map(t => attachmentBody(t.id)), fields))
  router.get('/addon-attachments/:id', c => ({body: attachmentBody(c.params.id)}))
  router.get('/addons/:addon/addon-attachments', c => {
    const addon = records().get(c.params.addon)
    return listReply(c, records().attachments({addonId: addon.id}).map(t => presentAttachment(t, addon)), fields)
  })
  router.get('/apps/:app/addon-attachments', c => {
    const app = appParam(ctx, c.params.app)
    return listReply(c, records().attachments({appId: app.id}).map(t => attachmentBody(t.id)), fields)
  })
  router.get('/apps/:app/addon-attachments/:attachment', c => {
    const app = appParam(ctx, c.params.app)
    const found = records().attachments({appId: app.id}).find(t => t.id === c.params.attachment || t.name === c.params.attachment.toUpperCase())
    if (!found) throw notFound(`Couldn't find an add-on attachment named ${c.params.attachment} on ${app.name}.`)
    return {body: attachmentBody(found.id)}
  })

  router.post('/addon-attachments', c => {
    const body = objectBody(c.body, ['addon', 'app', 'confirm', 'name', 'namespace', 'namespace_config'], {required: true})
    const app = appParam(ctx, requiredString(body, 'app'))
    const addon = records().get(requiredString(body, 'addon'))
    const attachment = manager().attach(addon, app, optionalString(body, 'name'))
    return {body: presentAttachment(attachment, addon), status: 201}
  })

  router.delete('/addon-attachments/:id', c => {
    const attachment = records().getAttachment(c.params.id)
    const addon = records().get(attachment.addonId)
    const body = presentAttachment(attachment, addon)
    manager().detach(attachment)
    return {body}
  })

  // ---- catalogue ----
  const service = (idOrName: string) => {
    const found = findService(idOrName)
    if (!found) throw notFound(`Couldn't find the add-on service "${idOrName}". Available: ${SERVICES.map(s => s.name).join(', ')}.`)
    return found
  }

  router.get('/addon-services', c => listReply(c, SERVICES.map(s => presentService(s)), fields))
  router.get('/addon-services/:service', c => ({body: presentService(service(c.params.service))}))
  router.get('/addon-services/:service/plans', c => {
    const s = service(c.params.service)
    return listReply(c, s.plans.map(p => presentPlan(s, p)), fields)
  })
  router.get('/addon-services/:service/plans/:plan', c => {
    const s = service(c.params.service)
    const plan = s.plans.find(p => p.id === c.params.plan || p.name === c.params.plan || `${s.name}:${p.name}` === c.params.plan)
    if (!plan) throw notFound(`Couldn't find the plan "${c.params.plan}" of ${s.name}.`)
    return {body: presentPlan(s, plan)}
  })

  // ---- resolve actions (official CLI: an add-on or attachment by name, id or attachment name, optionally per app) ----
  router.post('/actions/addons/resolve', c => {
    const body = objectBody(c.body, ['addon', 'addon_service', 'app'], {required: true})
    const appName = optionalString(body, 'app')
    const app = appName ? appParam(ctx, appName) : undefined
    const addon = records().lookup(requiredString(body, 'addon'), app?.id)
    const wanted = optionalString(body, 'addon_service')
    if (!addon || (wanted && findService(wanted)?.name !== addon.service)) throw notFound(`Couldn't find that add-on (${body.addon}).`, 'add_on')
    return {body: [present(addon, c)]}
  })

  router.post('/actions/addon-attachments/resolve', c => {
    const body = objectBody(c.body, ['addon_attachment', 'addon_service', 'app'], {required: true})
    const key = requiredString(body, 'addon_attachment')
    const appName = optionalString(body, 'app')
    const app = appName ? appParam(ctx, appName) : undefined
    const wanted = optionalString(body, 'addon_service')
    const matches = records()
      .attachments(app ? {appId: app.id} : {})
      .filter(t => t.id === key || t.name === key.toUpperCase() || t.addonName === key)
      .filter(t => !wanted || findService(wanted)?.name === records().get(t.addonId).service)
    if (matches.length === 0) throw notFound(`Couldn't find that add-on attachment (${key}).`, 'add_on attachment')
    return {body: matches.map(t => attachmentBody(t.id))}
  })

  // ---- the Heroku Data API's database info, which `heroku pg:info` reads (HEROKU_DATA_HOST=127.0.0.1) ----
  router.get('/client/v11/databases/:addon', async c => {
    const addon = records().get(c.params.addon)
    if (addon.service !== 'heroku-postgresql') throw notFound(`${addon.name} is not a heroku-postgresql add-on.`)
    const server = await manager().info(addon)
    const plan = addon.plan.replace(/^[^:]+:/, '')
    return {
      body: {
        addon_id: addon.id,
        info: [{name: 'Plan', values: [plan.replaceAll('-', ' ').replace(/^\w/, ch => ch.toUpperCase())]}, ...server.info, {name: 'Created', values: [addon.createdAt]}],
        name: addon.name,
        plan,
        resource_url: addon.url,
        waiting: false,
      },
    }
  })

  // ---- ferry: pg:backups of an app (numbered per app: b001 …) ----
  const attachmentOf = (appId: string, key: string) => {
    const found = records().attachments({appId}).find(t => t.name === key.replace(/_URL$/i, '').toUpperCase() || t.addonName === key || t.addonId === key)
    if (!found) throw notFound(`Couldn't find an add-on attached to the app as ${key}.`)
    return found
  }

  router.get('/ferry/apps/:app/pg-backups', c => ({body: manager().backups.list(appParam(ctx, c.params.app).id)}))
  router.post('/ferry/apps/:app/pg-backups', async c => {
    const app = appParam(ctx, c.params.app)
    const attachment = attachmentOf(app.id, requiredString(objectBody(c.body, ['database'], {required: true}), 'database'))
    return {body: await manager().capture(app.id, records().get(attachment.addonId), attachment.name), status: 201}
  })
  router.post('/ferry/apps/:app/pg-backups/restore', async c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['backup', 'database'], {required: true})
    const attachment = attachmentOf(app.id, requiredString(body, 'database'))
    const num = optionalString(body, 'backup')
    const backup = manager().backups.lookup(app.id, num)
    if (!backup) throw notFound(num ? `Couldn't find backup ${num} of ${app.name}. Run "ferry pg:backups" to list them.` : `${app.name} has no backups yet: run "ferry pg:backups:capture" first.`)
    await manager().restore(app.id, backup, records().get(attachment.addonId))
    return {body: backup}
  })

  // ---- ferry: the server behind an add-on (pg:info, redis:info, pg:reset) ----
  router.get('/ferry/addons/:addon/info', async c => ({body: await manager().info(records().get(c.params.addon))}))
  router.post('/ferry/addons/:addon/reset', async c => {
    const addon = records().get(c.params.addon)
    await manager().reset(addon)
    return {body: present(addon)}
  })
}

/** Replaces `plan` and `addon_service` refs by the full objects when the request's Accept-Expansion names them. */
function expand<T extends {addon_service: {id: string; name: string}; plan: {id: string; name: string}}>(body: T, c?: Ctx): T {
  const wanted = new Set(String(c?.req.headers['accept-expansion'] ?? '').split(',').map(s => s.trim()))
  const resolved = resolvePlan(body.plan.name)
  if (!resolved) return body
  return {
    ...body,
    ...(wanted.has('addon_service') ? {addon_service: presentService(resolved.service)} : {}),
    ...(wanted.has('plan') ? {plan: presentPlan(resolved.service, resolved.plan)} : {}),
  }
}
