import {Args} from '@oclif/core'

import {resolveAddon} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class RedisInfo extends FerryCommand {
  static aliases = ['redis']
  static args = {database: Args.string({description: 'config var or add-on name (default: REDIS)'})}
  static description = "show the app's Redis: plan, version, memory, clients, keys"
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RedisInfo)
    const app = await this.resolveApp(flags)
    const {addon, attachment} = await resolveAddon(this.api, app, 'heroku-redis', args.database)
    const server = await this.api.addons.serverInfo(addon.id)
    if (flags.json) return this.log(toJson({addon, info: server.info}))
    this.log(styledHeader(`${addon.name} (${attachment.name}_URL)`))
    this.log(styledObject({Plan: addon.plan.name.replace(/^[^:]+:/, ''), ...Object.fromEntries(server.info.map(row => [row.name, row.values]))}))
  }
}
