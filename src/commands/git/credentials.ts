import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {credentialsFor} from '../../cli/credentials.js'
import {readStdin} from '../../cli/input.js'

export default class GitCredentials extends FerryCommand {
  static args = {operation: Args.string({description: 'git credential operation: get, store or erase', required: true})}
  static description = 'git credential helper: answers `get` with the platform token for the platform git host'
  static hidden = true

  async run(): Promise<void> {
    const {args} = await this.parse(GitCredentials)
    const request = Object.fromEntries((await readStdin()).split('\n').filter(l => l.includes('=')).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    if (args.operation !== 'get') return
    const token = await credentialsFor(request.protocol, request.host)
    if (!token) return
    this.log(`protocol=${request.protocol}\nhost=${request.host}\nusername=ferry\npassword=${token}`)
  }
}
