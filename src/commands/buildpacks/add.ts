import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildpacksChanged, sameBuildpack} from '../../cli/buildpacks.js'
import {buildpackArgument} from '../../cli/builds.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class BuildpacksAdd extends FerryCommand {
  static args = {buildpack: Args.string({description: 'buildpack: a directory, a git/file URL or a registry name (heroku/nodejs)', required: true})}
  static description = 'add a buildpack to an app'
  static examples = ['$ ferry buildpacks:add heroku/nodejs', '$ ferry buildpacks:add ./my-buildpack --index 1']
  static flags = {...appFlags, json, index: Flags.integer({char: 'i', description: 'the 1-based index to insert the buildpack at', min: 1})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuildpacksAdd)
    const app = await this.resolveApp(flags)
    const url = buildpackArgument(args.buildpack)
    const current = (await this.api.buildpacks.list(app)).map(b => b.buildpack.url)
    if (current.some(u => sameBuildpack(u, url))) throw new InputError(`The buildpack ${args.buildpack} is already set on your app.`)
    const next = [...current]
    next.splice(flags.index === undefined ? next.length : Math.min(flags.index - 1, next.length), 0, url)
    const result = await this.api.buildpacks.set(app, next)
    this.log(flags.json ? toJson(result) : buildpacksChanged('added', app, result.map(b => b.buildpack.url)))
  }
}
