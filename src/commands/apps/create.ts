import {Args, Flags} from '@oclif/core'
import {realpathSync} from 'node:fs'

import {FerryCommand} from '../../cli/base.js'
import {json} from '../../cli/flags.js'
import {configureCredentialHelper, gitRemotes, gitTopLevel, setRemote} from '../../cli/git.js'
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
    const top = flags['no-remote'] ? undefined : await gitTopLevel(cwd)
    if (top !== undefined && realpathSync(top) !== realpathSync(cwd)) {
      // `git push ferry main` pushes the whole repository, not this directory (examples/ inside a checkout: the whole
      // checkout would be deployed). No remote: say why and how to deploy just this directory.
      const how = `Deploy this directory from a repository of its own (copy it out, then \`git init\`), or run \`ferry git:remote -a ${app.name}\` in ${top} to deploy the whole repository.`
      warn(`No git remote added: this directory is inside the git repository ${top}, and \`git push\` would deploy all of it. ${how}`)
    } else if (top !== undefined) {
      const existing = (await gitRemotes(cwd)).get(flags.remote)
      if (existing === undefined) await setRemote(cwd, flags.remote, app.git_url)
      else if (existing !== app.git_url) {
        // Never repoint a remote silently (it may be another app's, or real Heroku's): say so and how to change it.
        const fix = `Run \`ferry git:remote -a ${app.name}\` to point it at ${app.name}, or create with --remote NAME for another remote.`
        warn(`Git remote ${flags.remote} already points at ${existing}; left as it is. ${fix}`)
      }

      await configureCredentialHelper(cwd, app.git_url)
    }

    this.log(flags.json ? toJson(app) : `${app.web_url} | ${app.git_url}`)
  }
}
