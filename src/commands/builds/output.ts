import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildOrLatest} from '../../cli/builds.js'
import {appFlags} from '../../cli/flags.js'

export default class BuildsOutput extends FerryCommand {
  static args = {id: Args.string({description: 'build id; default: the latest build'})}
  static description = 'show the output of a build (follows it while it runs)'
  static flags = appFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuildsOutput)
    const app = await this.resolveApp(flags)
    const build = await buildOrLatest(this.api, app, args.id)
    if (!build) return this.log(`${app} has no builds.`)
    await this.api.builds.streamOutput(build.output_stream_url, text => process.stdout.write(text))
  }
}
