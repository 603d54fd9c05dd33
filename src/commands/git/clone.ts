import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {FerryCommand} from '../../cli/base.js'
import {app} from '../../cli/flags.js'
import {clone} from '../../cli/git.js'

export default class GitClone extends FerryCommand {
  static args = {directory: Args.string({description: 'where to clone the app (default: the app name)'})}
  static description = "clone an app's repository"
  static examples = ['$ ferry git:clone -a demo']
  static flags = {app: {...app, required: true}, remote: Flags.string({char: 'r', default: 'ferry', description: 'the git remote to create'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(GitClone)
    const info = await this.api.apps.info(await this.resolveApp(flags))
    const dir = path.resolve(args.directory ?? info.name)
    await clone(info.git_url, dir, flags.remote)
  }
}
