import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {styledHeader, table, json as toJson} from '../../cli/output.js'

export default class Domains extends FerryCommand {
  static description = "list the app's domains: its default <app>.localhost and the custom ones the router also routes to it"
  static examples = ['$ ferry domains']
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {flags} = await this.parse(Domains)
    const app = await this.resolveApp(flags)
    const domains = await this.api.domains.list(app)
    if (flags.json) return this.log(toJson(domains))
    this.log(styledHeader(`⬢ ${app} Heroku Domain`))
    this.log(domains.find(d => d.kind === 'heroku')?.hostname ?? '')
    const custom = domains.filter(d => d.kind === 'custom')
    if (custom.length === 0) return
    this.log()
    this.log(styledHeader(`⬢ ${app} Custom Domains`))
    this.log(await table(custom, [
      {header: 'Domain Name', key: 'hostname'},
      // Heroku's rule: an apex domain (one dot) takes an ALIAS/ANAME record, a subdomain a CNAME.
      {get: d => (d.hostname.split('.').length === 2 ? 'ALIAS or ANAME' : 'CNAME'), header: 'DNS Record Type', key: 'kind'},
      {header: 'DNS Target', key: 'cname'},
    ]))
  }
}
