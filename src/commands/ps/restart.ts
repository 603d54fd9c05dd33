import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {dynoTarget, dynoTargetFlags} from '../../cli/dyno-target.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class PsRestart extends FerryCommand {
  static aliases = ['dyno:restart']
  static args = {dyno: Args.string({description: 'name of the dyno or process type to restart (deprecated: use --dyno / --process-type)'})}
  static description = 'restart an app dyno or process type (all dynos without a target)'
  static examples = ['$ ferry ps:restart', '$ ferry ps:restart --process-type web', '$ ferry ps:restart --dyno web.1']
  static flags = {...appFlags, ...dynoTargetFlags}
  static hiddenAliases = ['restart']

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PsRestart)
    const app = await this.resolveApp(flags)
    const target = dynoTarget(flags, args.dyno)
    if (!target) return void (await action(`Restarting all dynos on ${app}`, () => this.api.dynos.restartAll(app)))
    if ('dyno' in target) return void (await action(`Restarting dyno ${target.dyno} on ${app}`, () => this.api.dynos.restart(app, target.dyno)))
    await action(`Restarting all ${target.type} dynos on ${app}`, () => this.api.dynos.restartType(app, target.type))
  }
}
