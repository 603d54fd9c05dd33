import {Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, shellQuote, styledHeader, styledObject} from '../../cli/output.js'

export default class Config extends FerryCommand {
  static description = 'display the config vars for an app'
  static flags = {...appFlags, json, shell: Flags.boolean({char: 's', description: 'output config vars in shell format'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Config)
    const app = await this.resolveApp(flags)
    const vars = await this.api.configVars.get(app)
    const keys = Object.keys(vars).sort()
    if (flags.json) return this.log(toJson(Object.fromEntries(keys.map(k => [k, vars[k]]))))
    if (flags.shell) return keys.forEach(k => this.log(`${k}=${shellQuote(vars[k])}`))
    this.log(styledHeader(`${app} Config Vars`))
    if (keys.length > 0) this.log(styledObject(vars, keys))
  }
}
