import {chooseBackend, herokuApiUrl, parseBackend, remoteToken, Settings} from '../../api/backends.js'
import {findDaemon} from '../../api/launcher.js'
import {dataDir} from '../../api/paths.js'
import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {json as toJson, table} from '../../cli/output.js'

export default class Backends extends FerryCommand {
  static description = 'list the Platform API backends ferry can use (the current one is marked *)'
  static flags = {json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Backends)
    const current = await chooseBackend(process.env)
    const daemon = await findDaemon(dataDir())
    const rows = [
      {name: 'local', status: daemon ? 'running' : 'not running (starts on demand)', url: daemon?.url ?? ''},
      {name: 'heroku', status: (await remoteToken(parseBackend('heroku'))) ? 'token available' : 'no token', url: herokuApiUrl()},
    ]
    const settings = await Settings.load()
    for (const name of new Set([current.name, settings.backend].filter(n => n && n !== 'local' && n !== 'heroku') as string[])) {
      rows.push({name, status: (await remoteToken(parseBackend(name))) ? 'token available' : 'no token', url: name})
    }

    const listed = rows.map(r => ({...r, current: r.name === current.name}))
    if (flags.json) return this.log(toJson(listed.map(r => ({...r, source: r.current ? current.source : undefined}))))
    this.log(await table(listed, [
      {get: r => (r.current ? '*' : ''), header: ' ', key: 'current'},
      {header: 'backend', key: 'name'},
      {header: 'url', key: 'url'},
      {header: 'status', key: 'status'},
    ]))
  }
}
