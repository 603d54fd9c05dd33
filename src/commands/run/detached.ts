import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'
import {buildCommand, parseEnvFlags, startDetached} from '../../cli/run.js'

export default class RunDetached extends FerryCommand {
  static args = {command: Args.string({description: 'command to run', required: true})}
  static description = 'run a one-off dyno in the background; its output goes to the logs'
  static examples = ['$ ferry run:detached node scripts/migrate.js']
  static flags = {
    ...appFlags,
    json,
    env: Flags.string({char: 'e', description: 'environment variables to set (use ";" to split several)', multiple: true}),
    size: Flags.string({char: 's', description: 'dyno size'}),
    type: Flags.string({description: 'process type (default run)'}),
  }

  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RunDetached)
    const app = await this.resolveApp(flags)
    const args = argv as string[]
    if (args.length === 0) throw new InputError('Usage: ferry run:detached COMMAND.')
    const command = buildCommand(args)
    const dyno = await startDetached(this.api, app, {command, env: parseEnvFlags(flags.env), size: flags.size, type: flags.type})
    if (flags.json) return this.log(toJson(dyno))
    this.log(`Run ferry logs --app ${app} --dyno ${dyno.name} to view the output.`)
  }
}
