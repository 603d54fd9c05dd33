import {Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {describeRelease} from '../../cli/releases.js'
import {formatDate, json as toJson, styledHeader, table} from '../../cli/output.js'

export default class Releases extends FerryCommand {
  static description = 'display the releases for an app'
  static flags = {...appFlags, json, num: Flags.integer({char: 'n', default: 15, description: 'number of releases to show', min: 1})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Releases)
    const app = await this.resolveApp(flags)
    const releases = await this.api.releases.list(app, {max: flags.num, order: 'desc'})
    if (flags.json) return this.log(toJson(releases))
    if (releases.length === 0) return this.log(`${app} has no releases.`)
    const current = releases.find(r => r.current)
    this.log(styledHeader(`${app} Releases${current ? ` - Current: v${current.version}` : ''}`))
    const now = new Date()
    this.log(await table(releases, [
      {get: r => `v${r.version}`, header: 'v', key: 'version'},
      {get: describeRelease, header: 'description', key: 'description'},
      {get: r => r.user.email, header: 'user', key: 'user'},
      {get: r => formatDate(r.created_at, now), header: 'created_at', key: 'created_at'},
    ]))
  }
}
