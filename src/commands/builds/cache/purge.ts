import {FerryCommand} from '../../../cli/base.js'
import {appFlags} from '../../../cli/flags.js'
import {action} from '../../../cli/output.js'

export default class BuildsCachePurge extends FerryCommand {
  static description = "empty an app's build cache (the next build starts from scratch)"
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(BuildsCachePurge)
    const app = await this.resolveApp(flags)
    await action(`Purging build cache for ${app}`, () => this.api.builds.purgeCache(app))
  }
}
