import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'
import {renderDynos} from '../../cli/ps.js'

export default class Ps extends FerryCommand {
  static args = {type: Args.string({description: 'only show dynos of these process types'})}
  static description = 'list dynos for an app'
  static flags = {...appFlags, json}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Ps)
    const app = await this.resolveApp(flags)
    const types = argv as string[]
    const [dynos, formation] = await Promise.all([this.api.dynos.list(app), this.api.formation.list(app)])
    const selected = dynos.filter(d => types.length === 0 || types.includes(d.type)).sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
    for (const t of types) if (!dynos.some(d => d.type === t)) throw new InputError(`No ${t} dynos on ${app}`)
    if (flags.json) return this.log(toJson(selected))
    if (selected.length === 0) {
      this.log(`No dynos on ${app}`)
      const scaled = formation.filter(f => f.quantity > 0)
      if (scaled.length > 0) this.log(`Formation: ${scaled.map(f => `${f.type}=${f.quantity}:${f.size}`).join(' ')} (dynos not running yet)`)
      return
    }

    this.log(renderDynos(selected))
  }
}
