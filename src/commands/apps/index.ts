import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {json as toJson, styledHeader, table} from '../../cli/output.js'

export default class Apps extends FerryCommand {
  static description = 'list your apps'
  static flags = {json}
  static hiddenAliases = ['list', 'apps:list']

  async run(): Promise<void> {
    const {flags} = await this.parse(Apps)
    const [apps, account] = await Promise.all([this.api.apps.list(), this.api.account.get()])
    apps.sort((a, b) => a.name.localeCompare(b.name))
    if (flags.json) return this.log(toJson(apps))
    if (apps.length === 0) return this.log('You have no apps.')
    const label = (name: string, region: string) => (region === 'us' ? name : `${name} (${region})`)
    const own = apps.filter(a => a.owner.email === account.email)
    const others = apps.filter(a => a.owner.email !== account.email)
    if (own.length > 0) this.log(`${styledHeader(`${account.email} Apps`)}\n${own.map(a => label(a.name, a.region.name)).join('\n')}`)
    if (others.length > 0) {
      this.log(`${own.length > 0 ? '\n' : ''}${styledHeader('Collaborated Apps')}`)
      this.log(await table(others, [{get: a => label(a.name, a.region.name), header: 'Name', key: 'name'}, {get: a => a.owner.email, header: 'Email', key: 'email'}]))
    }
  }
}
