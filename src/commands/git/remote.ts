import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {app} from '../../cli/flags.js'
import {configureCredentialHelper, isGitRepo, setRemote} from '../../cli/git.js'
import {Flags} from '@oclif/core'

export default class GitRemote extends FerryCommand {
  static description = 'add (or update) a git remote for an app, with a credential helper for `git push`'
  static examples = ['$ ferry git:remote -a demo', '$ ferry git:remote -a demo -r staging']
  static flags = {app: {...app, required: true}, remote: Flags.string({char: 'r', default: 'ferry', description: 'the git remote to create'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(GitRemote)
    const cwd = process.cwd()
    if (!(await isGitRepo(cwd))) throw new InputError('Not a git repository: run `git init` first (or use `ferry git:clone -a APP`).')
    const info = await this.api.apps.info(await this.resolveApp(flags))
    await setRemote(cwd, flags.remote, info.git_url)
    await configureCredentialHelper(cwd, info.git_url)
    this.log(`set git remote ${flags.remote} to ${info.git_url}`)
  }
}
