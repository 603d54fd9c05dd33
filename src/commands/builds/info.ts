import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildDuration, buildOrLatest} from '../../cli/builds.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class BuildsInfo extends FerryCommand {
  static args = {id: Args.string({description: 'build id; default: the latest build'})}
  static description = 'view information about a build'
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuildsInfo)
    const app = await this.resolveApp(flags)
    const build = await buildOrLatest(this.api, app, args.id)
    if (!build) return this.log(`${app} has no builds.`)
    if (flags.json) return this.log(toJson(build))
    this.log(styledHeader(`Build ${build.id}`))
    this.log(styledObject({
      Buildpacks: build.buildpacks?.map(b => b.name) ?? [],
      'Created At': build.created_at,
      Duration: buildDuration(build) || undefined,
      Release: build.release?.id,
      Slug: build.slug?.id,
      'Source Version': build.source_blob.version ?? undefined,
      Stack: build.stack,
      Status: build.status,
      User: build.user.email,
    }))
  }
}
