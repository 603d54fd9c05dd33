import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {configureCredentialHelper, gitRemotes, isGitRepo, setRemote} from '../../cli/git.js'
import {warn} from '../../cli/input.js'
import {action, json as toJson} from '../../cli/output.js'

export default class AppsCreate extends FerryCommand {
  static aliases = ['create']
  static args = {app: Args.string({description: 'name of app to create (generated when omitted)'})}
  static description = 'create a new app (and a git remote when run inside a git repository)'
  static examples = ['$ ferry apps:create demo', '$ ferry create']
  static flags = {
    json,
    'no-remote': Flags.boolean({description: 'do not create a git remote'}),
    region: Flags.string({description: 'region of the app (default us)'}),
    remote: Flags.string({char: 'r', default: 'ferry', description: 'the git remote to create'}),
    stack: Flags.string({char: 's', description: 'the stack to create the app on'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AppsCreate)
    const body = {name: args.app, region: flags.region, stack: flags.stack}
    const app = await action(args.app ? `Creating ${args.app}` : 'Creating app', () => this.api.apps.create(body), a => (args.app ? undefined : a.name))
    const cwd = process.cwd()
    if (!flags['no-remote'] && isGitRepo(cwd)) {
      const existing = gitRemotes(cwd).get(flags.remote)
      if (existing === undefined) setRemote(cwd, flags.remote, app.git_url)
      else if (existing !== app.git_url) {
        // Never repoint a remote silently (it may be another app's, or real Heroku's): say so and how to change it.
        const fix = `Run \`ferry git:remote -a ${app.name}\` to point it at ${app.name}, or create with --remote NAME for another remote.`
        warn(`Git remote ${flags.remote} already points at ${existing}; left as it is. ${fix}`)
      }

      configureCredentialHelper(cwd, app.git_url)
    }

    this.log(flags.json ? toJson(app) : `${app.web_url} | ${app.git_url}`)
  }
}
