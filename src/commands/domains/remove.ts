import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class DomainsRemove extends FerryCommand {
  static args = {hostname: Args.string({description: 'full hostname of the domain', required: true})}
  static description = 'remove a domain from an app'
  static examples = ['$ ferry domains:remove www.example.com']
  static flags = appFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DomainsRemove)
    const app = await this.resolveApp(flags)
    await action(`Removing ${args.hostname} from ⬢ ${app}`, () => this.api.domains.delete(app, args.hostname))
  }
}
