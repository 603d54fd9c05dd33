// Add-on rows in the platform store (tables from migration 3). Attaching and detaching change the app's config vars
// through Store.updateConfigVars inside the same transaction, so the attachment, the config and the release
// ("Attach DATABASE (@ref:postgresql-…)") commit together or not at all.
import {randomInt, randomUUID} from 'node:crypto'

import type {ReleaseRecord, Store} from '../store/index.js'

import {isoTimestamp} from '../time.js'
import {invalidError, notFoundError} from '../store/errors.js'
import {type ServiceDef, serviceOf} from './catalog.js'

export interface AddonRecord {
  appId: string
  appName: string
  createdAt: string
  id: string
  name: string
  plan: string
  port: number
  secret: string
  service: string
  state: 'provisioned' | 'provisioning'
  updatedAt: string
  url: string
}

export interface AttachmentRecord {
  addonId: string
  addonName: string
  appId: string
  appName: string
  createdAt: string
  id: string
  name: string
  updatedAt: string
}

const ADDON_SELECT = 'SELECT d.*, a.name AS app_name FROM addons d JOIN apps a ON a.id = d.app_id'
const ATTACHMENT_SELECT = `SELECT t.*, a.name AS app_name, d.name AS addon_name FROM addon_attachments t
  JOIN apps a ON a.id = t.app_id JOIN addons d ON d.id = t.addon_id`

// Add-on names like Heroku's (`postgresql-curly-12345`) and attachment colours (`HEROKU_POSTGRESQL_AMBER`).
const ADJECTIVES = [
  'amorphous',
'angular',
'aerodynamic',
'clean',
'closed',
'concave',
'convex',
'crystalline',
'curly',
'curved',
  'cylindrical',
'deep',
'dimensional',
'encircled',
'flat',
'fluffy',
'horizontal',
'octagonal',
'opaque',
  'parallel',
'perpendicular',
'rectangular',
'reticulated',
'round',
'shallow',
'shaped',
'silhouetted',
'slippery',
  'solid',
'spherical',
'sinuous',
'symmetrical',
'tetrahedral',
'transparent',
'triangular',
'vertical',
]
const COLORS = [
  'AMBER',
'AQUA',
'BLACK',
'BLUE',
'BRONZE',
'BROWN',
'CHARCOAL',
'COBALT',
'COPPER',
'CRIMSON',
'CYAN',
'GOLD',
  'GRAY',
'GREEN',
'JADE',
'LIME',
'MAROON',
'MAUVE',
'NAVY',
'OLIVE',
'ONYX',
'ORANGE',
'PINK',
'PUCE',
'PURPLE',
  'RED',
'ROSE',
'SILVER',
'TEAL',
'WHITE',
'YELLOW',
]

export const ATTACHMENT_NAME_RE = /^[A-Z][\dA-Z_]*$/
export const ADDON_NAME_RE = /^[a-z][\da-z-]{1,58}[\da-z]$/

function addonRecord(row: any): AddonRecord {
  return {
    appId: row.app_id, appName: row.app_name, createdAt: row.created_at, id: row.id, name: row.name, plan: row.plan, port: row.port,
    secret: row.secret, service: row.service, state: row.state, updatedAt: row.updated_at, url: row.url,
  }
}

function attachmentRecord(row: any): AttachmentRecord {
  return {
    addonId: row.addon_id, addonName: row.addon_name, appId: row.app_id, appName: row.app_name, createdAt: row.created_at, id: row.id,
    name: row.name, updatedAt: row.updated_at,
  }
}

export class AddonStore {
  constructor(readonly store: Store) {}

  private sql(text: string) {
    return this.store.sql(text)
  }

  list(appId?: string): AddonRecord[] {
    const order = 'ORDER BY d.created_at, d.rowid'
    const rows = appId === undefined ? this.sql(`${ADDON_SELECT} ${order}`).all() : this.sql(`${ADDON_SELECT} WHERE d.app_id = ? ${order}`).all(appId)
    return rows.map(addonRecord)
  }

  /** By id or name; with appId, the add-on must be owned by or attached to that app (or be named by an attachment of it). */
  lookup(idOrName: string, appId?: string): AddonRecord | null {
    const row = this.sql(`${ADDON_SELECT} WHERE d.id = ? OR d.name = ?`).get(idOrName, idOrName)
    if (row) {
      const addon = addonRecord(row)
      if (appId === undefined || addon.appId === appId || this.attachments({addonId: addon.id}).some(t => t.appId === appId)) return addon
      return null
    }

    if (appId === undefined) return null
    const attachment = this.attachments({appId}).find(t => t.name === idOrName.toUpperCase())
    return attachment ? this.lookup(attachment.addonId) : null
  }

  get(idOrName: string, appId?: string): AddonRecord {
    const addon = this.lookup(idOrName, appId)
    if (!addon) throw notFoundError(`Couldn't find that add-on (${idOrName}). Run "ferry addons" to list add-ons.`)
    return addon
  }

  attachments(filter: {addonId?: string; appId?: string} = {}): AttachmentRecord[] {
    const where: string[] = []
    const args: string[] = []
    for (const [column, value] of [['t.addon_id', filter.addonId], ['t.app_id', filter.appId]] as const) {
      if (value === undefined) continue
      where.push(`${column} = ?`)
      args.push(value)
    }

    const sql = `${ATTACHMENT_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY t.created_at, t.rowid`
    return this.sql(sql).all(...args).map(attachmentRecord)
  }

  getAttachment(id: string): AttachmentRecord {
    const row = this.sql(`${ATTACHMENT_SELECT} WHERE t.id = ?`).get(id)
    if (!row) throw notFoundError(`Couldn't find that add-on attachment (${id}).`)
    return attachmentRecord(row)
  }

  /** A free add-on name: `postgresql-curly-12345`. */
  generateName(service: ServiceDef): string {
    let name: string
    do name = `${service.prefix}-${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${randomInt(10_000, 100_000)}`
    while (this.lookup(name))
    return name
  }

  /** The attachment name a new add-on gets on an app: DATABASE / REDIS first, then HEROKU_POSTGRESQL_<COLOR>. */
  defaultAttachmentName(appId: string, service: ServiceDef): string {
    const taken = new Set(this.attachments({appId}).map(t => t.name))
    const config = this.store.configVars(appId)
    const free = (name: string) => !taken.has(name) && !Object.hasOwn(config, `${name}_URL`)
    if (free(service.defaultAttachment)) return service.defaultAttachment
    const colors = COLORS.filter(c => free(`${service.colorPrefix}_${c}`))
    if (colors.length > 0) return `${service.colorPrefix}_${colors[randomInt(colors.length)]}`
    return `${service.colorPrefix}_${randomInt(1000, 10_000)}`
  }

  /** Checks an add-on name given by the user (422 when malformed or taken). */
  checkName(name: string): void {
    if (!ADDON_NAME_RE.test(name)) throw invalidError(`Invalid add-on name "${name}": use 3 to 60 lowercase letters, digits and dashes, starting with a letter.`)
    if (this.lookup(name)) throw invalidError(`Add-on name "${name}" is already taken.`)
  }

  /** Checks an attachment name for an app (422 when malformed, taken, or when its config var already exists). */
  checkAttachmentName(appId: string, name: string): void {
    if (!ATTACHMENT_NAME_RE.test(name)) {
      throw invalidError(`Invalid attachment name "${name}": use uppercase letters, digits and underscores, starting with a letter (e.g. DATABASE).`)
    }

    if (this.attachments({appId}).some(t => t.name === name)) throw invalidError(`The app already has an add-on attached as ${name}.`)
    if (Object.hasOwn(this.store.configVars(appId), `${name}_URL`)) {
      throw invalidError(`Config var ${name}_URL is already set on the app; unset it or attach under another name (--as).`)
    }
  }

  insert(input: {appId: string; id: string; name: string; plan: string; port: number; secret: string; service: string; url: string}): AddonRecord {
    const at = isoTimestamp(new Date(), false)
    this.store.transaction(() => {
      this.sql('INSERT INTO addons (id, app_id, name, service, plan, state, url, secret, port, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(input.id, input.appId, input.name, input.service, input.plan, 'provisioning', input.url, input.secret, input.port, at, at)
    })
    return this.get(input.id)
  }

  /** Marks it provisioned with its final URL (and port). */
  provisioned(id: string, url: string, port: number): void {
    this.sql("UPDATE addons SET state = 'provisioned', url = ?, port = ?, updated_at = ? WHERE id = ?").run(url, port, isoTimestamp(new Date(), false), id)
  }

  remove(id: string): void {
    this.sql('DELETE FROM addons WHERE id = ?').run(id)
  }

  /** Attaches an add-on to an app as `name` and sets `<name>_URL`: one transaction, one release. */
  attach(addon: AddonRecord, appId: string, name: string): {attachment: AttachmentRecord; release: null | ReleaseRecord} {
    return this.store.transaction(() => {
      this.checkAttachmentName(appId, name)
      const id = randomUUID()
      const at = isoTimestamp(new Date(), false)
      this.sql('INSERT INTO addon_attachments (id, addon_id, app_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, addon.id, appId, name, at, at)
      const {release} = this.store.updateConfigVars(appId, {[`${name}_URL`]: addon.url})
      return {attachment: this.getAttachment(id), release: release && this.describe(release, `Attach ${name} (@ref:${addon.name})`)}
    })
  }

  /** Removes an attachment and unsets its config var: one transaction, one release. */
  detach(attachment: AttachmentRecord): null | ReleaseRecord {
    return this.store.transaction(() => {
      this.sql('DELETE FROM addon_attachments WHERE id = ?').run(attachment.id)
      const {release} = this.store.updateConfigVars(attachment.appId, {[`${attachment.name}_URL`]: null})
      return release && this.describe(release, `Detach ${attachment.name} (@ref:${attachment.addonName})`)
    })
  }

  /** After a server moved to another port: new URL on the add-on and in every attached app's config (a release each). */
  updateUrl(addon: AddonRecord, url: string, port: number): ReleaseRecord[] {
    return this.store.transaction(() => {
      this.sql('UPDATE addons SET url = ?, port = ?, updated_at = ? WHERE id = ?').run(url, port, isoTimestamp(new Date(), false), addon.id)
      const releases: ReleaseRecord[] = []
      for (const t of this.attachments({addonId: addon.id})) {
        const {release} = this.store.updateConfigVars(t.appId, {[`${t.name}_URL`]: url})
        if (release) releases.push(this.describe(release, `Update ${t.name} (@ref:${addon.name}) by ferry: server moved to port ${port}`))
      }

      return releases
    })
  }

  serviceOf(addon: AddonRecord): ServiceDef {
    return serviceOf(addon.service)
  }

  private describe(release: ReleaseRecord, description: string): ReleaseRecord {
    this.sql('UPDATE releases SET description = ? WHERE id = ?').run(description, release.id)
    return {...release, description}
  }
}
