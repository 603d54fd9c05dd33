import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson, shellQuote} from '../../cli/output.js'

export default class ConfigGet extends FerryCommand {
  static args = {key: Args.string({description: 'key name of the config var value', required: true})}
  static description = 'display a single config value for an app'
  static flags = {...appFlags, json, shell: Flags.boolean({char: 's', description: 'output config var in shell format'})}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ConfigGet)
    const app = await this.resolveApp(flags)
    const vars = await this.api.configVars.get(app)
    const keys = argv as string[]
    if (flags.json) {
      const entries = keys.map(key => ({key, value: vars[key] ?? null}))
      return this.log(toJson(entries.length === 1 ? entries[0] : entries))
    }

    for (const key of keys) this.log(flags.shell ? `${key}=${shellQuote(vars[key] ?? '')}` : (vars[key] ?? ''))
  }
}
