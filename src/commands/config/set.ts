import {FerryCommand} from '../../cli/base.js'
import {parseConfigPairs} from '../../cli/config-args.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, styledObject, json as toJson} from '../../cli/output.js'

export default class ConfigSet extends FerryCommand {
  static description = 'set one or more config vars (creates a release)'
  static examples = ['$ ferry config:set RAILS_ENV=staging WEB_CONCURRENCY=3 -a demo']
  static flags = {...appFlags, json}
  static hiddenAliases = ['config:add']
  static strict = false
  static usage = 'config:set KEY1=VALUE1 [KEY2=VALUE2 ...]'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ConfigSet)
    const vars = parseConfigPairs(argv as string[])
    const app = await this.resolveApp(flags)
    const keys = Object.keys(vars)
    const config = await action(`Setting ${keys.join(', ')} and restarting ${app}`, async () => {
      const result = await this.api.configVars.update(app, vars)
      const [latest] = await this.api.releases.list(app, {max: 1, order: 'desc'})
      return {result, version: latest?.version}
    }, r => (r.version === undefined ? undefined : `v${r.version}`))
    if (flags.json) return this.log(toJson(config.result))
    const shown = keys.filter(k => config.result[k])
    if (shown.length > 0) this.log(styledObject(config.result, shown))
  }
}
