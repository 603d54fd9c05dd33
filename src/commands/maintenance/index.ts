import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'

export default class Maintenance extends FerryCommand {
  static description = 'display the current maintenance status of app'
  static examples = ['$ ferry maintenance']
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(Maintenance)
    const app = await this.api.apps.info(this.resolveApp(flags))
    this.log(app.maintenance ? 'on' : 'off')
  }
}
