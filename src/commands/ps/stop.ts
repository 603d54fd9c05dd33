import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {dynoTarget, dynoTargetFlags} from '../../cli/dyno-target.js'
import {InputError} from '../../cli/errors.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class PsStop extends FerryCommand {
  static aliases = ['dyno:stop', 'ps:kill', 'dyno:kill']
  static args = {dyno: Args.string({description: 'name of the dyno or process type to stop (deprecated: use --dyno / --process-type)'})}
  static description = 'stop an app dyno or process type (formation dynos are then replaced; one-off dynos end)'
  static examples = ['$ ferry ps:stop --dyno run.4821', '$ ferry ps:stop --process-type worker']
  static flags = {...appFlags, ...dynoTargetFlags}
  static hiddenAliases = ['stop', 'kill']

  async run(): Promise<void> {
    const {args, flags} = await this.parse(PsStop)
    const app = await this.resolveApp(flags)
    const target = dynoTarget(flags, args.dyno)
    if (!target) throw new InputError('Please specify a process type or dyno name to stop.')
    if ('dyno' in target) return void (await action(`Stopping dyno ${target.dyno} on ${app}`, () => this.api.dynos.stop(app, target.dyno)))
    await action(`Stopping all ${target.type} dynos on ${app}`, () => this.api.dynos.stopType(app, target.type))
  }
}
