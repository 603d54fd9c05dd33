import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {releaseOrLatest} from '../../cli/releases.js'

export default class ReleasesOutput extends FerryCommand {
  static args = {release: Args.string({description: 'release version (v4 or 4) or id; default: the latest'})}
  static description = 'view the release command output (follows it while it runs)'
  static flags = appFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ReleasesOutput)
    const app = await this.resolveApp(flags)
    const release = await releaseOrLatest(this.api, app, args.release)
    if (!release) return this.log(`${app} has no releases.`)
    // Heroku's wording: a release without a release command has no output stream.
    if (!release.output_stream_url) {
      this.warn(`Release v${release.version} has no release output available.`)
      return
    }

    await this.api.builds.streamOutput(release.output_stream_url, text => process.stdout.write(text))
  }
}
