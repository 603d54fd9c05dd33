import {FerryCommand} from '../../../cli/base.js'
import {appFlags, json} from '../../../cli/flags.js'
import {formatSize, json as toJson, styledHeader, table} from '../../../cli/output.js'

export default class PgBackups extends FerryCommand {
  static description = "list the app's database backups (pg_dump files kept by the platform)"
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {flags} = await this.parse(PgBackups)
    const app = await this.resolveApp(flags)
    const backups = await this.api.addons.backups.list(app)
    if (flags.json) return this.log(toJson(backups))
    this.log(styledHeader('Backups'))
    if (backups.length === 0) return this.log(`No backups. Capture one with: ferry pg:backups:capture -a ${app}`)
    this.log(await table([...backups].reverse(), [
      {header: 'ID', key: 'num'},
      {get: b => b.created_at, header: 'Created at', key: 'created_at'},
      {get: b => `Completed ${b.finished_at}`, header: 'Status', key: 'status'},
      {get: b => formatSize(b.size), header: 'Size', key: 'size'},
      {get: b => `${b.source} (${b.addon.name})`, header: 'Database', key: 'source'},
    ]))
  }
}
