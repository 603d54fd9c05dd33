import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class MaintenanceOn extends FerryCommand {
  static description = 'put the app into maintenance mode (the router answers every request with a 503 maintenance page, code H80)'
  static examples = ['$ ferry maintenance:on']
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(MaintenanceOn)
    const app = await this.resolveApp(flags)
    await action(`Enabling maintenance mode for ⬢ ${app}`, () => this.api.apps.update(app, {maintenance: true}))
  }
}
