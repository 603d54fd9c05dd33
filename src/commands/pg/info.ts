import {Args} from '@oclif/core'

import {attachmentNames, resolveAddon} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class PgInfo extends FerryCommand {
  static aliases = ['pg']
  static args = {database: Args.string({description: 'config var or add-on name (default: every PostgreSQL add-on of the app)'})}
  static description = "show the app's PostgreSQL databases: plan, status, version, size, tables, connections"
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgInfo)
    const app = await this.resolveApp(flags)
    const attachments = await this.api.addons.attachments(app)
    // DATABASE first, then by attachment name.
    const pg = attachments.filter(t => t.addon.plan?.name.startsWith('heroku-postgresql')).sort((a, b) => (a.name === 'DATABASE' ? -1 : b.name === 'DATABASE' ? 1 : a.name.localeCompare(b.name)))
    const names = args.database ? [args.database] : [...new Set(pg.map(t => t.name))]
    if (names.length === 0) await resolveAddon(this.api, app, 'heroku-postgresql')
    const all = await this.api.addons.attachments()
    const results = []
    for (const name of names) {
      const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-postgresql', name)
      const server = await this.api.addons.serverInfo(addon.id)
      results.push({addon, attachment, server})
    }

    if (flags.json) return this.log(toJson(results.map(r => ({addon: r.addon, info: r.server.info}))))
    for (const {addon, attachment, server} of results) {
      const shared = attachmentNames(addon, all).filter(n => !n.startsWith(`${app}::`))
      this.log(styledHeader(`${attachment.name}_URL`))
      this.log(styledObject({
        Plan: addon.plan.name.replace(/^[^:]+:/, ''),
        ...Object.fromEntries(server.info.map(row => [row.name, row.values])),
        'Data Encryption': 'In Use',
        'Shared With': shared.length > 0 ? shared : undefined,
        'Add-on': addon.name,
      }))
      this.log('')
    }
  }
}
