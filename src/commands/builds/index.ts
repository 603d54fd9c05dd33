import {Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildDuration} from '../../cli/builds.js'
import {appFlags, json} from '../../cli/flags.js'
import {formatDate, json as toJson, styledHeader, table} from '../../cli/output.js'

export default class Builds extends FerryCommand {
  static description = 'list builds of an app'
  static flags = {...appFlags, json, num: Flags.integer({char: 'n', default: 15, description: 'number of builds to show', min: 1})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Builds)
    const app = await this.resolveApp(flags)
    const builds = await this.api.builds.list(app, flags.num)
    if (flags.json) return this.log(toJson(builds))
    if (builds.length === 0) return this.log(`${app} has no builds.`)
    this.log(styledHeader(`${app} Builds`))
    const now = new Date()
    this.log(await table(builds, [
      {get: b => b.id, header: 'ID', key: 'id'},
      {get: b => formatDate(b.created_at, now), header: 'Created At', key: 'created_at'},
      {get: b => buildDuration(b), header: 'Duration', key: 'duration'},
      {get: b => b.status, header: 'Status', key: 'status'},
      {get: b => b.user.email, header: 'User', key: 'user'},
      {get: b => b.source_blob.version ?? '', header: 'Source Version', key: 'version'},
    ]))
  }
}
