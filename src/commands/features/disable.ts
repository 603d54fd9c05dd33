import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class FeaturesDisable extends FerryCommand {
  static args = {feature: Args.string({description: 'name of the app feature (e.g. preboot)', required: true})}
  static description = 'disable an app feature'
  static examples = ['$ ferry features:disable preboot']
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FeaturesDisable)
    const app = await this.resolveApp(flags)
    const feature = await action(`Disabling ${args.feature} for ${app}`, () => this.api.appFeatures.update(app, args.feature, false))
    if (flags.json) this.log(toJson(feature))
  }
}
