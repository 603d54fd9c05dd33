import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'
import {parseScaleArgs} from '../../cli/scale-args.js'

export default class PsScale extends FerryCommand {
  static aliases = ['dyno:scale']
  static description = 'scale dyno quantity up or down (no arguments: show the formation)'
  static examples = ['$ ferry ps:scale web=3 worker+1', '$ ferry ps:scale web=2:Standard-1X', '$ ferry ps:scale']
  static flags = {...appFlags, json}
  static hiddenAliases = ['scale']
  static strict = false
  static usage = 'ps:scale [TYPE1=N|TYPE1+N|TYPE1-N[:SIZE] ...]'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(PsScale)
    const updates = parseScaleArgs(argv as string[])
    const app = await this.resolveApp(flags)
    if (updates.length === 0) {
      const formation = await this.api.formation.list(app)
      if (flags.json) return this.log(toJson(formation))
      if (formation.length === 0) throw new InputError(`No process types on ${app}. Upload a Procfile to add process types: https://devcenter.heroku.com/articles/procfile`)
      return this.log(formation.map(f => `${f.type}=${f.quantity}:${f.size}`).sort().join(' '))
    }

    const result = await action('Scaling dynos', () => this.api.formation.batchUpdate(app, updates), result => {
      const updated = updates.map(u => result.find(f => f.type === u.type)).filter(f => f !== undefined)
      return `now running ${updated.map(f => `${f.type} at ${f.quantity}:${f.size}`).join(', ')}`
    })
    if (flags.json) this.log(toJson(result))
  }
}
