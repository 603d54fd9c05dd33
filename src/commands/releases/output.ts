import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {releaseRef} from '../../cli/releases.js'

export default class ReleasesOutput extends FerryCommand {
  static args = {release: Args.string({description: 'release version (v4 or 4) or id; default: the latest'})}
  static description = 'view the release command output (follows it while it runs)'
  static flags = appFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ReleasesOutput)
    const app = await this.resolveApp(flags)
    const release = args.release
      ? await this.api.releases.info(app, releaseRef(args.release))
      : (await this.api.releases.list(app, {max: 1, order: 'desc'}))[0]
    if (!release) return this.log(`${app} has no releases.`)
    // Heroku's wording: a release without a release command has no output stream.
    if (!release.output_stream_url) {
      this.warn(`Release v${release.version} has no release output available.`)
      return
    }

    await this.api.builds.streamOutput(release.output_stream_url, text => process.stdout.write(text))
  }
}
