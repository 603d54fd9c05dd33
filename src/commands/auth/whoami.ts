import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {json as toJson} from '../../cli/output.js'

export default class AuthWhoami extends FerryCommand {
  static aliases = ['whoami']
  static description = 'display the current logged in user'
  static flags = {json}

  async run(): Promise<void> {
    const {flags} = await this.parse(AuthWhoami)
    const account = await this.api.account.get()
    this.log(flags.json ? toJson(account) : account.email)
  }
}
