import path from 'node:path'

import {chooseBackend} from '../../api/backends.js'
import {configDir, daemonFiles, dataDir} from '../../api/paths.js'
import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {json} from '../../cli/flags.js'
import {herokuEnv} from '../../cli/heroku-env.js'
import {json as toJson, shellQuote} from '../../cli/output.js'

export default class HerokuEnv extends FerryCommand {
  static description = 'print the environment that lets the official heroku CLI and git drive the local platform'
  static examples = ['$ eval "$(ferry heroku:env)" && heroku apps && heroku git:remote -a demo && git push heroku main']
  static flags = {json}

  async run(): Promise<void> {
    const {flags} = await this.parse(HerokuEnv)
    const backend = await chooseBackend(process.env)
    if (backend.kind !== 'local') {
      throw new InputError(`heroku:env is for the local platform; the backend here is ${backend.name}. Run it with FERRY_BACKEND=local, or use the heroku CLI as it is for real Heroku.`)
    }

    const {token, url} = await this.api.connection()
    const certPath = path.join(daemonFiles(dataDir()).run, 'tls', 'cert.pem')
    const vars = herokuEnv({certPath, dir: path.join(configDir(), 'heroku'), env: process.env, token, url})
    if (flags.json) return this.log(toJson(Object.fromEntries(vars)))
    this.log(vars.map(([key, value]) => `export ${key}=${shellQuote(value)}`).join('\n'))
  }
}
