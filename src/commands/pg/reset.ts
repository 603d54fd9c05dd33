import {Args, Flags} from '@oclif/core'

import {confirmDestructive, resolveAddon} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class PgReset extends FerryCommand {
  static args = {database: Args.string({description: 'config var or add-on name (default: DATABASE)'})}
  static description = 'delete all data in a database (its URL stays the same)'
  static flags = {...appFlags, confirm: Flags.string({char: 'c', description: 'the app name, to confirm without a prompt (required when stdin is not a terminal)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgReset)
    const app = await this.resolveApp(flags)
    const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-postgresql', args.database)
    await confirmDestructive(app, flags.confirm, `Resetting ${attachment.name} deletes all its data`, `${addon.name} will lose all of its data`)
    await action(`Resetting ${addon.name}`, () => this.api.addons.reset(addon.id))
  }
}
