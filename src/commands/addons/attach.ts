import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class AddonsAttach extends FerryCommand {
  static args = {addon: Args.string({description: 'unique identifier or name of the add-on (of any app)', required: true})}
  static description = 'attach an existing add-on resource to an app (sets <NAME>_URL, a new release)'
  static flags = {
    ...appFlags,
    as: Flags.string({description: 'name for the add-on attachment (default DATABASE / REDIS, else a colour name)'}),
    confirm: Flags.string({description: 'overwrite existing add-on attachment with the same name'}),
    json,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AddonsAttach)
    const app = await this.resolveApp(flags)
    const attachment = await action(`Attaching ${args.addon}${flags.as ? ` as ${flags.as.toUpperCase()}` : ''} to ${app}`, () =>
      this.api.addons.attach({addon: args.addon, app, confirm: flags.confirm, name: flags.as}))
    if (flags.json) return this.log(toJson(attachment))
    this.log(`Setting ${attachment.name}_URL config var and restarting ${app}... done`)
  }
}
