import {daemonRunning, readDaemonInfo, stopDaemon} from '../../api/launcher.js'
import {dataDir} from '../../api/paths.js'
import {FerryCommand} from '../../cli/base.js'
import {action} from '../../cli/output.js'

export default class PlatformStop extends FerryCommand {
  static description = 'stop the local platform (its dynos stop too)'

  async run(): Promise<void> {
    await this.parse(PlatformStop)
    const info = readDaemonInfo(dataDir())
    if (!info || !daemonRunning(info)) return this.log('Local platform is not running')
    await action(`Stopping local platform (pid ${info.pid})`, () => stopDaemon())
  }
}
