import {MaintenanceSwitch} from '../../cli/switches.js'

export default class MaintenanceOff extends MaintenanceSwitch {
  static description = 'take the app out of maintenance mode'
  static examples = ['$ ferry maintenance:off']
  protected readonly on = false
}
