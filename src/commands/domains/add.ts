import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {action, json as toJson} from '../../cli/output.js'

export default class DomainsAdd extends FerryCommand {
  static args = {hostname: Args.string({description: 'full hostname of the domain (e.g. www.example.com)', required: true})}
  static description = 'add a domain to an app: the router routes requests for that Host to it'
  static examples = ['$ ferry domains:add www.example.com']
  static flags = {...appFlags, json}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DomainsAdd)
    const app = await this.resolveApp(flags)
    const domain = await action(`Adding ${args.hostname} to ⬢ ${app}`, () => this.api.domains.create(app, args.hostname))
    if (flags.json) return this.log(toJson(domain))
    this.log(`Configure your app's DNS provider to point to the DNS Target ${domain.cname}.`)
    this.log(`Locally: add "127.0.0.1 ${domain.hostname}" to /etc/hosts, then use the port of the app's web URL (ferry apps:info).`)
  }
}
