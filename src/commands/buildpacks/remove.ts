import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {buildpacksChanged, sameBuildpack} from '../../cli/buildpacks.js'
import {buildpackArgument} from '../../cli/builds.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class BuildpacksRemove extends FerryCommand {
  static args = {buildpack: Args.string({description: 'the buildpack to remove'})}
  static description = 'remove a buildpack from an app'
  static flags = {...appFlags, json, index: Flags.integer({char: 'i', description: 'the 1-based index of the buildpack to remove', min: 1})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BuildpacksRemove)
    if ((args.buildpack === undefined) === (flags.index === undefined)) throw new InputError('Pass either a buildpack or --index N to remove.')
    const app = await this.resolveApp(flags)
    const current = (await this.api.buildpacks.list(app)).map(b => b.buildpack.url)
    if (current.length === 0) throw new InputError(`No buildpacks were found on ${app}.`)
    let index: number
    if (flags.index === undefined) {
      const url = buildpackArgument(args.buildpack!)
      index = current.findIndex(u => sameBuildpack(u, url) || sameBuildpack(u, args.buildpack!))
      if (index === -1) throw new InputError(`Buildpack ${args.buildpack} not found on ${app}. Run "ferry buildpacks" to list them.`)
    } else {
      index = flags.index - 1
      if (index >= current.length) throw new InputError(`Invalid index ${flags.index}: ${app} has ${current.length} buildpack(s).`)
    }

    const next = current.filter((_, i) => i !== index)
    const result = await this.api.buildpacks.set(app, next)
    this.log(flags.json ? toJson(result) : buildpacksChanged('removed', app, result.map(b => b.buildpack.url)))
  }
}
