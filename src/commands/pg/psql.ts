import {Args, Flags} from '@oclif/core'

import {psqlBinary, resolveAddon, runAttached} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'

export default class PgPsql extends FerryCommand {
  static args = {database: Args.string({description: 'config var or add-on name (default: DATABASE)'})}
  static description = "open a psql shell to the app's database (the host's psql), or run one query with -c"
  static examples = ['ferry pg:psql', 'ferry pg:psql -c "select count(*) from items"', 'ferry pg:psql HEROKU_POSTGRESQL_RED -f schema.sql']
  static flags = {
    ...appFlags,
    command: Flags.string({char: 'c', description: 'SQL command to run'}),
    file: Flags.string({char: 'f', description: 'SQL file to run'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PgPsql)
    const app = await this.resolveApp(flags)
    const {attachment, url} = await resolveAddon(this.api, app, 'heroku-postgresql', args.database)
    // The password goes to psql through PGPASSWORD, not argv (other users of the host can read argv).
    const target = new URL(url)
    const password = decodeURIComponent(target.password)
    target.password = ''
    const psqlArgs = ['--set', 'sslmode=disable', target.toString()]
    if (flags.command) psqlArgs.push('-c', flags.command)
    if (flags.file) psqlArgs.push('-f', flags.file)
    if (!flags.command && !flags.file) process.stderr.write(`--> Connecting to ${attachment.addon.name}\n`)
    const code = await runAttached(await psqlBinary(), psqlArgs, {...process.env, PGAPPNAME: `${app} ferry pg:psql`, PGPASSWORD: password})
    if (code !== 0) this.exit(code)
  }
}
