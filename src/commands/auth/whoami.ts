import {FerryCommand} from '../../cli/base.js'

export default class AuthWhoami extends FerryCommand {
  static aliases = ['whoami']
  static description = 'display the current logged in user'

  async run(): Promise<void> {
    await this.parse(AuthWhoami)
    const account = await this.api.account.get()
    this.log(account.email)
  }
}
