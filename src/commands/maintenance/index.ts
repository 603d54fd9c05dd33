import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class Maintenance extends FerryCommand {
  static description = 'display the current maintenance status of app'
  static examples = ['$ ferry maintenance']
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Maintenance)
    const app = await this.api.apps.info(await this.resolveApp(flags))
    this.log(flags.json ? toJson({app: app.name, maintenance: app.maintenance}) : app.maintenance ? 'on' : 'off')
  }
}
