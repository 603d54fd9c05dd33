import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {warn} from '../../cli/input.js'
import {action, json as toJson} from '../../cli/output.js'
import {releaseRef} from '../../cli/releases.js'

export default class ReleasesRollback extends FerryCommand {
  static aliases = ['rollback']
  static args = {release: Args.string({description: 'release to roll back to (v4 or 4); default: the previous release'})}
  static description = 'roll back to a previous release (creates a new release with its code and config vars)'
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ReleasesRollback)
    const app = await this.resolveApp(flags)
    let target
    if (args.release) {
      target = await this.api.releases.info(app, releaseRef(args.release))
    } else {
      target = (await this.api.releases.list(app, {max: 10, order: 'desc'})).filter(r => r.eligible_for_rollback)[1]
      if (!target) throw new InputError(`No eligible release found for ${app} to roll back to.`)
    }

    const release = await action(`Rolling back ${app} to v${target.version}`, () => this.api.releases.create(app, {release: target.id}), r => `v${r.version}`)
    if (flags.json) this.log(toJson(release))
    warn("Rollback affects code and config vars; it doesn't add or remove addons.")
    warn(`To undo, run: ferry rollback v${release.version - 1}`)
  }
}
