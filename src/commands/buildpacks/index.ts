import {FerryCommand} from '../../cli/base.js'
import {buildpackDisplayName} from '../../cli/builds.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader} from '../../cli/output.js'

export default class Buildpacks extends FerryCommand {
  static description = "display the app's buildpacks (none: buildpacks are detected at build time)"
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Buildpacks)
    const app = await this.resolveApp(flags)
    const list = await this.api.buildpacks.list(app)
    if (flags.json) return this.log(toJson(list))
    if (list.length === 0) return this.log(`${app} has no Buildpacks.`)
    const names = list.map(b => buildpackDisplayName(b.buildpack.url))
    if (names.length === 1) {
      this.log(styledHeader(`${app} Classic Buildpack (from the Heroku Buildpack Registry)`))
      this.log(names[0])
      return
    }

    this.log(styledHeader(`${app} Classic Buildpacks (from the Heroku Buildpack Registry)`))
    for (const [i, name] of names.entries()) this.log(`${i + 1}. ${name}`)
  }
}
