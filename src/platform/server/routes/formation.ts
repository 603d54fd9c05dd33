// Formation: list, info, batch update and single update (Heroku semantics, platform-api.md §3.11).

import type {PlatformContext} from '../../context.js'
import type {FormationRecord} from '../../store/index.js'
import type {FormationChange} from '../../store/types.js'
import type {Router} from '../http.js'

import {invalidParams, listReply} from '../http.js'
import {presentFormation} from '../present.js'
import {appParam} from '../support.js'
import {apiLog, converge} from '../../events.js'
import {type JsonObject, objectBody, objectOf, requiredString} from '../validate.js'

const UPDATE_FIELDS = ['dyno_size', 'quantity', 'size', 'type']

/** Checks the JSON types of one update; value rules (ranges, sizes, types) are the store's. */
/** A wire formation update as the store's change: `size` wins over `dyno_size` (a name, or {name} / {id}). */
function parseUpdate(raw: JsonObject, where: string, type?: string): FormationChange {
  const update: FormationChange = {type: type ?? requiredString(raw, 'type', where)}
  const {dyno_size: dynoSize, quantity, size} = raw
  if (quantity !== undefined) {
    if (typeof quantity !== 'number' && typeof quantity !== 'string') {
      throw invalidParams(`Invalid field "quantity" in ${where}: expected an integer or a string like "2", "+1", "-1".`)
    }

    update.quantity = quantity
  }

  if (size !== undefined) {
    if (typeof size !== 'string') throw invalidParams(`Invalid field "size" in ${where}: expected a string like "Basic".`)
    update.size = size
  }

  if (dynoSize !== undefined) {
    if (typeof dynoSize === 'string') update.size ??= dynoSize
    else {
      const ref = objectOf(dynoSize, ['id', 'name'], `"dyno_size" of ${where}`)
      if ((ref.id !== undefined && typeof ref.id !== 'string') || (ref.name !== undefined && typeof ref.name !== 'string')) {
        throw invalidParams(`Invalid field "dyno_size" in ${where}: expected {"name": "Basic"} or {"id": "<uuid>"}.`)
      }

      update.size ??= (ref.name ?? ref.id) as string | undefined
    }
  }

  return update
}

function scaledMessage(entries: FormationRecord[], email: string): string {
  return `Scaled to ${entries.map(f => `${f.type}@${f.quantity}:${f.size}`).join(' ')} by user ${email}`
}

export function registerFormationRoutes(router: Router, ctx: PlatformContext): void {
  const {store} = ctx
  const afterScale = (appId: string, updated: FormationRecord[]) => {
    apiLog(ctx, appId, scaledMessage(updated, store.account().email))
    converge(ctx, appId)
  }

  router.get('/apps/:app/formation', c => {
    const app = appParam(ctx, c.params.app)
    return listReply(c, store.formation(app.id).map(f => presentFormation(f)), {defaultField: 'type', fields: ['id', 'type', 'created_at']})
  })

  router.get('/apps/:app/formation/:type', c => {
    const app = appParam(ctx, c.params.app)
    return {body: presentFormation(store.getFormation(app.id, c.params.type))}
  })

  router.patch('/apps/:app/formation', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['updates'], {required: true})
    if (!Array.isArray(body.updates)) throw invalidParams('Invalid field "updates": expected an array of {"type", "quantity", "size"} objects.')
    const updates = body.updates.map((raw, i) => parseUpdate(objectOf(raw, UPDATE_FIELDS, `updates[${i}]`), `updates[${i}]`))
    const updated = store.updateFormation(app.id, updates)
    if (updated.length > 0) afterScale(app.id, updated)
    return {body: store.formation(app.id).map(f => presentFormation(f))}
  })

  router.patch('/apps/:app/formation/:type', c => {
    const app = appParam(ctx, c.params.app)
    const body = objectBody(c.body, ['dyno_size', 'quantity', 'size'], {required: true})
    const [updated] = store.updateFormation(app.id, [parseUpdate(body, 'request body', c.params.type)])
    afterScale(app.id, [updated])
    return {body: presentFormation(updated)}
  })
}
