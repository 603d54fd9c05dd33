import {Args, Flags} from '@oclif/core'

import {confirmDestructive, resolveAddon} from '../../../cli/addons.js'
import {FerryCommand} from '../../../cli/base.js'
import {appFlags} from '../../../cli/flags.js'
import {action} from '../../../cli/output.js'

export default class PgBackupsRestore extends FerryCommand {
  static args = {
    backup: Args.string({description: 'backup id (b001; default: the latest)'}),
    database: Args.string({description: 'config var or add-on name to restore into (default: DATABASE)'}),
  }

  static description = 'restore a backup into a database: its current data is replaced'
  static flags = {...appFlags, confirm: Flags.string({char: 'c', description: 'the app name, to confirm without a prompt (required when stdin is not a terminal)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgBackupsRestore)
    const app = await this.resolveApp(flags)
    // `pg:backups:restore DATABASE` (no backup id) restores the latest one into DATABASE.
    const [backup, database] = args.backup && !/^b\d+$/i.test(args.backup) ? [undefined, args.backup] : [args.backup, args.database]
    const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-postgresql', database)
    await confirmDestructive(app, flags.confirm, `Restoring into ${attachment.name} replaces its data`, `${addon.name} will lose all of its data`)
    const restored = await action(`Restoring ${backup ?? 'the latest backup'} into ${attachment.name} (${addon.name})`, () =>
      this.api.addons.backups.restore(app, attachment.name, backup))
    this.log(`Restored ${restored.num} into ${attachment.name}`)
  }
}
