import {Flags} from '@oclif/core'

import {chooseBackend, Settings} from '../api/backends.js'
import {FerryCommand} from '../cli/base.js'
import {InputError} from '../cli/errors.js'

export default class Logout extends FerryCommand {
  static description = 'forget the stored API token of a backend (default: the current one)'
  static flags = {backend: Flags.string({description: 'heroku or the URL of a Platform API'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Logout)
    const choice = await chooseBackend(process.env, flags.backend)
    if (choice.kind === 'local') throw new InputError('The local backend has no stored login; pass --backend heroku or --backend URL.')
    const settings = await Settings.load()
    const origin = new URL(choice.url!).origin
    const had = settings.token(origin) !== undefined
    settings.setToken(origin, undefined)
    this.log(had ? `Logged out of ${choice.url}` : `No stored token for ${choice.url}`)
  }
}
