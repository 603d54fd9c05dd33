import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {gitCredential} from '../../cli/git-credential.js'
import {readStdin} from '../../cli/input.js'

// bin/run.js answers `git:credentials get|store|erase` itself (bin/fast-path.js); this runs with other arguments or
// FERRY_NO_FAST_PATH, and must print the same.
export default class GitCredentials extends FerryCommand {
  static args = {operation: Args.string({description: 'git credential operation: get, store or erase', required: true})}
  static description = 'git credential helper: answers `get` with the platform token for the platform git host'
  static hidden = true

  async run(): Promise<void> {
    const {args} = await this.parse(GitCredentials)
    process.stdout.write(await gitCredential(args.operation, await readStdin()))
  }
}
