import {Args} from '@oclif/core'

import {attachmentNames, formatPrice, formatState} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class AddonsInfo extends FerryCommand {
  static args = {addon: Args.string({description: 'add-on name or id, or its attachment name on the app (DATABASE)', required: true})}
  static description = 'show detailed information for an add-on'
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AddonsInfo)
    let app: string | undefined
    try {
      app = await this.resolveApp(flags)
    } catch {
      // An add-on name is global: no app needed.
    }

    const addon = await this.api.addons.info(args.addon, app)
    const attachments = await this.api.addons.attachments()
    if (flags.json) return this.log(toJson({...addon, attachments: attachments.filter(t => t.addon.id === addon.id)}))
    this.log(styledHeader(addon.name))
    this.log(styledObject({
      Attachments: attachmentNames(addon, attachments),
      'Installed at': addon.created_at,
      'Max Price': formatPrice(addon, false),
      'Owning app': addon.app.name,
      Plan: addon.plan.name,
      Price: formatPrice(addon, true),
      State: formatState(addon.state),
    }))
  }
}
