import {Args} from '@oclif/core'

import {resolveAddon} from '../../../cli/addons.js'
import {FerryCommand} from '../../../cli/base.js'
import {appFlags, json} from '../../../cli/flags.js'
import {action, json as toJson} from '../../../cli/output.js'

export default class PgBackupsCapture extends FerryCommand {
  static args = {database: Args.string({description: 'config var or add-on name (default: DATABASE)'})}
  static description = 'capture a new backup of a database (pg_dump)'
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgBackupsCapture)
    const app = await this.resolveApp(flags)
    const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-postgresql', args.database)
    const backup = await action(`Backing up ${attachment.name} (${addon.name})`, () => this.api.addons.backups.capture(app, attachment.name))
    if (flags.json) return this.log(toJson(backup))
    this.log(`Backed up ${attachment.name} to ${backup.num}`)
  }
}
