import {Args, Flags} from '@oclif/core'

import {confirmDestructive} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class AddonsDestroy extends FerryCommand {
  static aliases = ['addons:remove']
  static args = {addon: Args.string({description: 'add-on name, or its attachment name on the app (DATABASE)', required: true})}
  static description = 'permanently destroy an add-on resource: its data is deleted and its config vars unset (a new release)'
  static flags = {
    ...appFlags,
    confirm: Flags.string({char: 'c', description: 'the app name, to confirm without a prompt (required when stdin is not a terminal)'}),
    force: Flags.boolean({char: 'f', description: 'allow destruction even if connected to other apps'}),
    json,
    wait: Flags.boolean({description: 'watch add-on destruction status and exit when complete (always synchronous here)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AddonsDestroy)
    const app = await this.resolveApp(flags)
    const addon = await this.api.addons.info(args.addon, app)
    const owner = addon.app.name
    if (owner !== app) throw new InputError(`${addon.name} belongs to ${owner}; run "ferry addons:detach" to remove it from ${app}, or destroy it with -a ${owner}.`)
    const others = (await this.api.addons.attachments()).filter(t => t.addon.id === addon.id && t.app.name !== owner)
    if (others.length > 0 && !flags.force) {
      throw new InputError(`${addon.name} is also attached to ${others.map(t => t.app.name).join(', ')}; pass --force to destroy it anyway.`)
    }

    await confirmDestructive(owner, flags.confirm, `Destroying ${addon.name} deletes its data`, `This command will affect the app ${owner}`)
    const gone = await action(`Destroying ${addon.name} on ${owner}`, () => this.api.addons.destroy(owner, addon.id))
    if (flags.json) this.log(toJson(gone))
  }
}
