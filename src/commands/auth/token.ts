import {FerryCommand} from '../../cli/base.js'

export default class AuthToken extends FerryCommand {
  static description = 'print the API token of the current backend'

  async run(): Promise<void> {
    await this.parse(AuthToken)
    const {token} = await this.api.connection()
    this.log(token)
  }
}
