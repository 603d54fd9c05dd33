import {Flags} from '@oclif/core'

import type {Addon, Dyno} from '../../api/types.js'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {formatSize, json as toJson, styledHeader, styledObject} from '../../cli/output.js'

export default class AppsInfo extends FerryCommand {
  static description = 'show detailed app information'
  static flags = {...appFlags, json, shell: Flags.boolean({char: 's', description: 'output more shell friendly key/value pairs'})}
  static hiddenAliases = ['info']

  async run(): Promise<void> {
    const {flags} = await this.parse(AppsInfo)
    const name = await this.resolveApp(flags)
    const [app, dynos, addons] = await Promise.all([
      this.api.apps.info(name),
      this.api.dynos.list(name).catch(() => [] as Dyno[]),
      this.api.addons.list(name).catch(() => [] as Addon[]),
    ])
    const plans = addons.map(a => a.plan.name).sort()
    const counts: Record<string, number> = {}
    for (const d of dynos) counts[d.type] = (counts[d.type] ?? 0) + 1
    if (flags.json) return this.log(toJson({addons, app, collaborators: [], dynos, pipeline_coupling: null}))
    const info: Record<string, unknown> = {
      Addons: plans,
      'Auto Cert Mgmt': app.acm,
      'Git URL': app.git_url,
      'Web URL': app.web_url,
      'Repo Size': formatSize(app.repo_size),
      'Slug Size': formatSize(app.slug_size),
      Owner: app.owner.email,
      Region: app.region.name,
      Dynos: Object.keys(counts).length > 0 ? Object.entries(counts).map(([t, n]) => `${t}: ${n}`).join(', ') : undefined,
      Stack: app.build_stack.name === app.stack.name ? app.stack.name : `${app.stack.name} (next build will use ${app.build_stack.name})`,
    }
    if (flags.shell) {
      const shell: Record<string, unknown> = {auto_cert_mgmt: app.acm, addons: plans.join(','), collaborators: '', git_url: app.git_url, web_url: app.web_url,
        repo_size: info['Repo Size'], slug_size: info['Slug Size'], owner: app.owner.email, region: app.region.name,
        dynos: `{ ${Object.entries(counts).map(([t, n]) => `${t}: ${n}`).join(', ')} }`, stack: app.stack.name}
      return this.log(Object.entries(shell).map(([k, v]) => `${k}=${v}`).join('\n'))
    }

    this.log(`${styledHeader(app.name)}\n${styledObject(info)}`)
  }
}
