import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'
import {commandArg, detachedHint, oneOffFlags, oneOffRequest, startDetached} from '../../cli/run.js'

export default class RunDetached extends FerryCommand {
  static args = commandArg
  static description = 'run a one-off dyno in the background; its output goes to the logs'
  static examples = ['$ ferry run:detached node scripts/migrate.js']
  static flags = {...appFlags, json, ...oneOffFlags}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RunDetached)
    const app = await this.resolveApp(flags)
    const dyno = await startDetached(this.api, app, oneOffRequest(argv, flags, 'ferry run:detached COMMAND'))
    this.log(flags.json ? toJson(dyno) : detachedHint(app, dyno))
  }
}
