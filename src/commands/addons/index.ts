import {Flags} from '@oclif/core'

import type {Addon} from '../../api/types.js'

import {formatPrice, formatState} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, table} from '../../cli/output.js'

export default class Addons extends FerryCommand {
  static description = 'list your add-ons and attachments (those of the app, else of every app)'
  static flags = {...appFlags, all: Flags.boolean({char: 'A', description: 'show add-ons and attachments for all apps'}), json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Addons)
    let app: string | undefined
    if (!flags.all) {
      try {
        app = await this.resolveApp(flags)
      } catch {
        // Outside an app's repository without -a: every app's add-ons, like heroku.
      }
    }

    const [addons, attachments] = await Promise.all([this.api.addons.list(app), this.api.addons.attachments()])
    const withAttachments = addons.map(a => ({...a, attachments: attachments.filter(t => t.addon.id === a.id)}))
    if (flags.json) return this.log(toJson(withAttachments))
    if (addons.length === 0) return this.log(app ? `No add-ons for app ${app}.` : 'No add-ons.')
    if (!app) {
      return this.log(await table(withAttachments, [
        {get: a => a.app.name, header: 'Owning App', key: 'app'},
        {header: 'Add-on', key: 'name'},
        {get: a => a.plan.name, header: 'Plan', key: 'plan'},
        {get: a => formatPrice(a, true), header: 'Price', key: 'price'},
        {get: a => formatPrice(a, false), header: 'Max Price', key: 'max'},
        {get: a => formatState(a.state), header: 'State', key: 'state'},
      ]))
    }

    // One row per add-on, then one per attachment (`└─ as DATABASE`), like heroku's table.
    type Row = {addon?: Addon; name: string}
    const rows: Row[] = withAttachments.flatMap(a => [
      {addon: a, name: `${a.addon_service.name} (${a.name})`},
      ...a.attachments.map((t, i) => ({name: ` ${i === a.attachments.length - 1 ? '└─' : '├─'} as ${t.name}${t.app.name === app ? '' : ` on ${t.app.name} app`}`})),
    ])
    const billed = (a: Addon | undefined, hourly: boolean) => (a === undefined ? '' : a.app.name === app ? formatPrice(a, hourly) : `(billed to ${a.app.name} app)`)
    this.log(await table(rows, [
      {header: 'Add-on', key: 'name'},
      {get: r => r.addon?.plan.name.replace(/^[^:]+:/, ''), header: 'Plan', key: 'plan'},
      {get: r => billed(r.addon, true), header: 'Price', key: 'price'},
      {get: r => billed(r.addon, false), header: 'Max Price', key: 'max'},
      {get: r => (r.addon ? formatState(r.addon.state) : ''), header: 'State', key: 'state'},
    ]))
    this.log(`The table above shows add-ons and the attachments to the current app (${app}) or other apps.`)
  }
}
