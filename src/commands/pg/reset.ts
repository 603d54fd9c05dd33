import {Args, Flags} from '@oclif/core'

import {resolveAddon} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags} from '../../cli/flags.js'
import {prompt} from '../../cli/input.js'
import {action} from '../../cli/output.js'

export default class PgReset extends FerryCommand {
  static args = {database: Args.string({description: 'config var or add-on name (default: DATABASE)'})}
  static description = 'delete all data in a database (its URL stays the same)'
  static flags = {...appFlags, confirm: Flags.string({char: 'c', description: 'the app name, to confirm without a prompt (required when stdin is not a terminal)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgReset)
    const app = this.resolveApp(flags)
    const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-postgresql', args.database)
    let confirmation = flags.confirm
    if (confirmation === undefined) {
      if (!process.stdin.isTTY) throw new InputError(`Resetting ${attachment.name} deletes all its data and needs confirmation: pass --confirm ${app}.`)
      confirmation = await prompt(`WARNING: Destructive action\n${addon.name} will lose all of its data\nTo proceed, type ${app} or re-run this command with --confirm ${app}\n> `)
    }

    if (confirmation !== app) throw new InputError(`Confirmation ${confirmation} did not match ${app}. Aborted.`)
    await action(`Resetting ${addon.name}`, () => this.api.addons.reset(addon.id))
  }
}
