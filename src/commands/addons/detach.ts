import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class AddonsDetach extends FerryCommand {
  static args = {attachment: Args.string({description: 'attachment name on the app (DATABASE, or DATABASE_URL)', required: true})}
  static description = 'detach an existing add-on resource from an app (unsets its config var, a new release)'
  static flags = {...appFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AddonsDetach)
    const app = await this.resolveApp(flags)
    const key = args.attachment.replace(/_URL$/i, '').toUpperCase()
    const attachment = (await this.api.addons.attachments(app)).find(t => t.name === key || t.id === args.attachment)
    if (!attachment) throw new InputError(`${app} has no add-on attached as ${key}. Run "ferry addons -a ${app}" to list them.`)
    await action(`Detaching ${attachment.name} to ${attachment.addon.name} from ${app}`, () => this.api.addons.detach(attachment.id))
    this.log(`Unsetting ${attachment.name}_URL config var and restarting ${app}... done`)
  }
}
