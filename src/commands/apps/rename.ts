import {Args} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags, json} from '../../cli/flags.js'
import {gitRemotes, setRemote} from '../../cli/git.js'
import {warn} from '../../cli/input.js'
import {action, json as toJson} from '../../cli/output.js'

export default class AppsRename extends FerryCommand {
  static args = {newname: Args.string({description: 'new unique name of app', required: true})}
  static description = 'rename an app'
  static flags = {...appFlags, json}
  static hiddenAliases = ['rename']

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AppsRename)
    const old = await this.resolveApp(flags)
    const before = await this.api.apps.info(old)
    const app = await action(`Renaming ${old} to ${args.newname}`, () => this.api.apps.update(old, {name: args.newname}))
    if (flags.json) this.log(toJson(app))
    else this.log(`${app.web_url} | ${app.git_url}`)
    const cwd = process.cwd()
    for (const [name, url] of await gitRemotes(cwd)) {
      if (url !== before.git_url) continue
      await setRemote(cwd, name, app.git_url)
      if (!flags.json) this.log(`Git remote ${name} updated`)
    }

    warn("Don't forget to update git remotes for all other local checkouts of the app.")
  }
}
