import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'
import {describeRelease, releaseOrLatest} from '../../cli/releases.js'

export default class ReleasesInfo extends FerryCommand {
  static args = {release: Args.string({description: 'release version (v4 or 4) or id; default: the latest'})}
  static description = 'view detailed information for a release'
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ReleasesInfo)
    const app = await this.resolveApp(flags)
    const release = await releaseOrLatest(this.api, app, args.release)
    if (!release) return this.log(`${app} has no releases.`)
    const vars = await this.api.releases.configVars(app, release.version)
    if (flags.json) return this.log(toJson({...release, config_vars: vars}))
    this.log(styledHeader(`Release v${release.version}`))
    this.log(styledObject({
      'Add-ons': release.addon_plan_names,
      By: release.user.email,
      Change: describeRelease(release),
      'Eligible for Rollback?': release.eligible_for_rollback ? 'Yes' : 'No',
      When: release.created_at,
    }))
    this.log(`\n${styledHeader(`v${release.version} Config vars`)}`)
    const keys = Object.keys(vars).sort()
    if (keys.length > 0) this.log(styledObject(vars, keys))
  }
}
