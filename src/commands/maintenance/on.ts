import {MaintenanceSwitch} from '../../cli/switches.js'

export default class MaintenanceOn extends MaintenanceSwitch {
  static description = 'put the app into maintenance mode (the router answers every request with a 503 maintenance page, code H80)'
  static examples = ['$ ferry maintenance:on']
  protected readonly on = true
}
