import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildpacksChanged, sameBuildpack} from '../../cli/buildpacks.js'
import {buildpackArgument} from '../../cli/builds.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class BuildpacksSet extends FerryCommand {
  static args = {buildpack: Args.string({description: 'buildpack: a directory, a git/file URL or a registry name (heroku/nodejs)', required: true})}
  static description = "set an app's buildpack (replaces the first one, or the one at --index)"
  static flags = {...appFlags, json, index: Flags.integer({char: 'i', description: 'the 1-based index of the buildpack to replace', min: 1})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuildpacksSet)
    const app = await this.resolveApp(flags)
    const url = buildpackArgument(args.buildpack)
    const current = (await this.api.buildpacks.list(app)).map(b => b.buildpack.url)
    const index = (flags.index ?? 1) - 1
    if (current.some((u, i) => i !== index && sameBuildpack(u, url))) throw new InputError(`The buildpack ${args.buildpack} is already set on your app.`)
    const next = [...current]
    if (index >= next.length) next.push(url)
    else next[index] = url
    const result = await this.api.buildpacks.set(app, next)
    this.log(flags.json ? toJson(result) : buildpacksChanged('set', app, result.map(b => b.buildpack.url)))
  }
}
