import {Args} from '@oclif/core'

import type {Dyno} from '../../api/types.js'

import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags, json} from '../../cli/flags.js'
import {formatDate, json as toJson, styledHeader} from '../../cli/output.js'

export default class Ps extends FerryCommand {
  static args = {type: Args.string({description: 'only show dynos of these process types'})}
  static description = 'list dynos for an app'
  static flags = {...appFlags, json}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Ps)
    const app = this.resolveApp(flags)
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

    const now = new Date()
    const line = (d: Dyno) => `${d.name}: ${d.state} ${formatDate(d.updated_at, now)}`
    const oneOffs = selected.filter(d => d.type === 'run')
    if (oneOffs.length > 0) {
      this.log(styledHeader(`run: one-off processes (${oneOffs.length})`))
      this.log(oneOffs.map(d => `${d.name} (${d.size ?? '1X'}): ${d.state} ${formatDate(d.updated_at, now)}: ${d.command}`).join('\n') + '\n')
    }

    const groups = new Map<string, Dyno[]>()
    for (const d of selected.filter(x => x.type !== 'run')) groups.set(d.command, [...(groups.get(d.command) ?? []), d])
    for (const [command, group] of groups) {
      this.log(styledHeader(`${group[0].type} (${group[0].size ?? '1X'}): ${command} (${group.length})`))
      this.log(group.map(d => line(d)).join('\n') + '\n')
    }
  }
}
