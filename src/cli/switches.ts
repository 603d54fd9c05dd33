// Commands that come in on/off pairs: each pair has one implementation here, and its two commands say only which way
// they switch (and their help).
import {Args} from '@oclif/core'

import {FerryCommand} from './base.js'
import {appFlags, json} from './flags.js'
import {action, json as toJson} from './output.js'

/** features:enable / features:disable. */
export abstract class FeatureSwitch extends FerryCommand {
  static args = {feature: Args.string({description: 'name of the app feature (e.g. preboot)', required: true})}
  static flags = {...appFlags, json}
  protected abstract readonly enable: boolean

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FeatureSwitch)
    const app = await this.resolveApp(flags)
    const verb = this.enable ? 'Enabling' : 'Disabling'
    const feature = await action(`${verb} ${args.feature} for ${app}`, () => this.api.appFeatures.update(app, args.feature, this.enable))
    if (flags.json) this.log(toJson(feature))
  }
}

/** maintenance:on / maintenance:off (on: the router answers every request with the H80 maintenance page). */
export abstract class MaintenanceSwitch extends FerryCommand {
  static flags = appFlags
  protected abstract readonly on: boolean

  async run(): Promise<void> {
    const {flags} = await this.parse(MaintenanceSwitch)
    const app = await this.resolveApp(flags)
    await action(`${this.on ? 'Enabling' : 'Disabling'} maintenance mode for ⬢ ${app}`, () => this.api.apps.update(app, {maintenance: this.on}))
  }
}
