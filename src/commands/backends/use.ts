import {Args} from '@oclif/core'

import {parseBackend, Settings} from '../../api/backends.js'
import {FerryCommand} from '../../cli/base.js'
import {warn} from '../../cli/input.js'

export default class BackendsUse extends FerryCommand {
  static args = {backend: Args.string({description: 'local, heroku or the URL of a Platform API', required: true})}
  static description = 'choose the backend for later commands (FERRY_API_URL still wins when set)'
  static examples = ['$ ferry backends:use heroku', '$ ferry backends:use local', '$ ferry backends:use https://ferry.example.com']

  async run(): Promise<void> {
    const {args} = await this.parse(BackendsUse)
    const choice = parseBackend(args.backend)
    const settings = await Settings.load()
    settings.backend = choice.name
    this.log(`Using backend ${choice.name}`)
    if (process.env.FERRY_API_URL) warn(`FERRY_API_URL is set (${process.env.FERRY_API_URL}) and overrides this choice.`)
  }
}
