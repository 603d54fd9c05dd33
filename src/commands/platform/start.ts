import {Flags} from '@oclif/core'

import {ensureDaemon, findDaemon, startForeground} from '../../api/launcher.js'
import {dataDir} from '../../api/paths.js'
import {FerryCommand} from '../../cli/base.js'

export default class PlatformStart extends FerryCommand {
  static description = 'start the local platform (it also starts by itself when a command needs it)'
  static examples = ['$ ferry platform:start', '$ ferry platform:start --foreground --port 5000']
  static flags = {
    foreground: Flags.boolean({description: 'run in this terminal until Ctrl-C instead of in the background'}),
    port: Flags.integer({description: 'API port (default FERRY_PORT, else any free port)', max: 65_535, min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(PlatformStart)
    if (flags.port !== undefined) process.env.FERRY_PORT = String(flags.port)
    const running = await findDaemon(dataDir())
    if (running) return this.log(`Local platform already running at ${running.url} (pid ${running.info.pid})`)
    if (!flags.foreground) {
      await ensureDaemon({onStarted: url => process.stderr.write(`Started local platform at ${url}\n`)})
      return
    }

    const platform = await startForeground({dataDir: dataDir(), port: flags.port})
    this.log(`Local platform running at ${platform.info.url} (pid ${process.pid}); press Ctrl-C to stop`)
    await new Promise<void>(resolve => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    })
    process.stderr.write('Stopping local platform...\n')
    await platform.close()
  }
}
