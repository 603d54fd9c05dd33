import {FerryCommand} from '../../cli/base.js'
import {buildpacksChanged} from '../../cli/buildpacks.js'
import {appFlags} from '../../cli/flags.js'

export default class BuildpacksClear extends FerryCommand {
  static description = 'clear all buildpacks set on the app (the next build detects them)'
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(BuildpacksClear)
    const app = await this.resolveApp(flags)
    await this.api.buildpacks.set(app, [])
    const vars = await this.api.configVars.get(app).catch(() => ({}) as Record<string, string>)
    this.log(buildpacksChanged('cleared', app, []))
    for (const key of ['BUILDPACK_URL', 'LANGUAGE_PACK_URL']) {
      if (vars[key]) this.warn(`The ${key} config var is still set and will be used for the next release`)
    }
  }
}
