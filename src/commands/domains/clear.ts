import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {action} from '../../cli/output.js'

export default class DomainsClear extends FerryCommand {
  static description = 'remove all custom domains from an app (its <app>.localhost stays)'
  static examples = ['$ ferry domains:clear']
  static flags = appFlags

  async run(): Promise<void> {
    const {flags} = await this.parse(DomainsClear)
    const app = await this.resolveApp(flags)
    await action(`Removing all domains from ⬢ ${app}`, async () => {
      for (const d of await this.api.domains.list(app)) if (d.kind === 'custom') await this.api.domains.delete(app, d.hostname)
    })
  }
}
