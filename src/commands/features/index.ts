import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, styledHeader} from '../../cli/output.js'

export default class Features extends FerryCommand {
  static description = 'list the app features (e.g. preboot) and whether they are enabled'
  static examples = ['$ ferry features', '$ ferry features:enable preboot']
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Features)
    const app = await this.resolveApp(flags)
    const features = await this.api.appFeatures.list(app)
    if (flags.json) return this.log(toJson(features))
    const width = Math.max(0, ...features.map(f => f.name.length))
    this.log(styledHeader(`App Features ${app}`))
    for (const f of features.sort((a, b) => a.name.localeCompare(b.name))) this.log(`[${f.enabled ? '+' : ' '}] ${f.name.padEnd(width)}  ${f.description}`)
  }
}
