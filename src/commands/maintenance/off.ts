import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class MaintenanceOff extends FerryCommand {
  static description = 'take the app out of maintenance mode'
  static examples = ['$ ferry maintenance:off']
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(MaintenanceOff)
    const app = await this.resolveApp(flags)
    await action(`Disabling maintenance mode for ⬢ ${app}`, () => this.api.apps.update(app, {maintenance: false}))
  }
}
