import {Args, Flags} from '@oclif/core'

import {formatPrice} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class AddonsCreate extends FerryCommand {
  static args = {'service:plan': Args.string({description: 'unique identifier or unique name of the add-on service plan (heroku-postgresql, heroku-redis:mini)', required: true})}
  static description = 'create a new add-on resource and attach it to the app (sets DATABASE_URL / REDIS_URL, a new release)'
  static examples = ['ferry addons:create heroku-postgresql', 'ferry addons:create heroku-redis:mini --as CACHE']
  static flags = {
    ...appFlags,
    as: Flags.string({description: 'name for the initial add-on attachment (its config var is <NAME>_URL)'}),
    confirm: Flags.string({description: 'overwrite existing config vars or existing add-on attachments'}),
    json,
    name: Flags.string({description: 'name for the add-on resource'}),
    wait: Flags.boolean({description: 'watch add-on creation status and exit when complete (creation is always synchronous here)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AddonsCreate)
    const app = await this.resolveApp(flags)
    const spec = args['service:plan']
    const addon = await action(
      `Creating ${spec} on ${app}`,
      () => this.api.addons.create(app, {attachment: flags.as ? {name: flags.as} : undefined, name: flags.name, plan: spec}),
      a => formatPrice(a, false),
    )
    if (flags.json) return this.log(toJson(addon))
    this.log(`Created ${addon.name} as ${addon.config_vars.join(', ')}`)
    this.log(`Use ferry addons:info ${addon.name} to view details`)
  }
}
