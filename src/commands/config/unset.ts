import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class ConfigUnset extends FerryCommand {
  static aliases = ['config:remove']
  static description = 'unset one or more config vars (creates a release)'
  static examples = ['$ ferry config:unset RAILS_ENV -a demo']
  static flags = {...appFlags, json}
  static strict = false
  static usage = 'config:unset KEY1 [KEY2 ...]'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ConfigUnset)
    const keys = argv as string[]
    if (keys.length === 0) throw new InputError('Usage: ferry config:unset KEY1 [KEY2 ...]: at least one key is required.')
    const app = await this.resolveApp(flags)
    const {config} = await action(`Unsetting ${keys.join(', ')} and restarting ${app}`, async () => {
      const config = await this.api.configVars.update(app, Object.fromEntries(keys.map(k => [k, null])))
      const [latest] = await this.api.releases.list(app, {max: 1, order: 'desc'})
      return {config, version: latest?.version}
    }, r => (r.version === undefined ? undefined : `v${r.version}`))
    if (flags.json) this.log(toJson(config))
  }
}
