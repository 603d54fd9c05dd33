// Add-on store records → Platform API objects (schema.json: add-on, add-on-attachment).
import type {Addon, AddonAttachment} from '../../api/types.js'

import {resolvePlan} from './catalog.js'
import type {AddonRecord, AddonStore, AttachmentRecord} from './store.js'

function planRef(addon: AddonRecord) {
  const resolved = resolvePlan(addon.plan)
  return {cents: resolved?.plan.cents ?? 0, plan: {id: resolved?.plan.id ?? addon.plan, name: addon.plan}, service: resolved?.service}
}

export function presentAddon(addon: AddonRecord, attachments: AttachmentRecord[]): Addon {
  const {cents, plan, service} = planRef(addon)
  return {
    actions: [],
    addon_service: {id: service?.id ?? addon.service, name: addon.service},
    app: {id: addon.appId, name: addon.appName},
    billed_price: {cents, contract: false, unit: 'month'},
    billing_entity: {id: addon.appId, name: addon.appName, type: 'app'},
    config_vars: attachments.filter(t => t.addonId === addon.id && t.appId === addon.appId).map(t => `${t.name}_URL`),
    created_at: addon.createdAt,
    id: addon.id,
    name: addon.name,
    plan,
    provider_id: addon.id,
    provision_message: null,
    state: addon.state,
    updated_at: addon.updatedAt,
    web_url: null,
  }
}

export function presentAttachment(attachment: AttachmentRecord, addon: AddonRecord): AddonAttachment {
  return {
    addon: {app: {id: addon.appId, name: addon.appName}, id: addon.id, name: addon.name, plan: planRef(addon).plan},
    addon_service: {id: planRef(addon).service?.id ?? addon.service, name: addon.service},
    app: {id: attachment.appId, name: attachment.appName},
    config_vars: [`${attachment.name}_URL`],
    created_at: attachment.createdAt,
    id: attachment.id,
    log_input_url: null,
    name: attachment.name,
    namespace: null,
    updated_at: attachment.updatedAt,
    web_url: null,
  }
}

/**
 * For a release's addon_plan_names: the plans of the add-ons attached to the app at a time (an attachment made in
 * the same second as a release belongs to it: attaching makes the release). Detached add-ons are not remembered.
 */
export function addonPlansAt(records: AddonStore, appId: string): (at: string) => string[] {
  const attachments = records.attachments({appId})
  if (attachments.length === 0) return () => []
  const plans = new Map(records.list().map(a => [a.id, a.plan]))
  return at => [...new Set(attachments.filter(t => t.createdAt <= at).map(t => plans.get(t.addonId) ?? ''))].filter(Boolean).sort()
}
