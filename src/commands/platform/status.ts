import {findDaemon, readDaemonInfo} from '../../api/launcher.js'
import {dataDir} from '../../api/paths.js'
import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class PlatformStatus extends FerryCommand {
  static description = 'show whether the local platform runs, where, and how dynos are isolated'
  static flags = {json}

  async run(): Promise<void> {
    const {flags} = await this.parse(PlatformStatus)
    const data = dataDir()
    const daemon = await findDaemon(data)
    const stale = daemon ? undefined : readDaemonInfo(data)
    if (flags.json) return this.log(toJson(daemon ? {running: true, ...daemon.status} : {dataDir: data, running: false}))
    this.log(styledHeader('Local platform'))
    if (!daemon) {
      return this.log(styledObject({
        Running: 'no (starts on demand; `ferry platform:start`)',
        'Data dir': data,
        Note: stale ? `stale daemon.json (pid ${stale.pid} not answering)` : undefined,
      }))
    }

    const s = daemon.status
    this.log(styledObject({
      Running: 'yes',
      PID: s.pid,
      URL: s.url,
      'Router URL': s.routerUrl,
      'Router engine': s.routerEngine === 'native' ? 'native (ferry-router)' : s.routerEngine === 'node' ? 'node (FERRY_ROUTER_ENGINE=node, or ferry-router not built)' : s.routerEngine,
      'Data dir': s.dataDir,
      Isolation: s.isolation === 'none' ? 'none (install bubblewrap)' : s.isolation,
      Version: s.version,
      Apps: s.apps,
      Dynos: s.dynos,
      'Started at': s.startedAt,
    }))
  }
}
