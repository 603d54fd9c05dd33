import {Args, Flags} from '@oclif/core'

import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'
import {InputError} from '../../cli/errors.js'
import {gitRemotes, removeRemote} from '../../cli/git.js'
import {prompt} from '../../cli/input.js'
import {action} from '../../cli/output.js'

export default class AppsDestroy extends FerryCommand {
  static args = {app: Args.string({description: 'name of app to destroy (or use --app)'})}
  static description = 'permanently destroy an app'
  static flags = {...appFlags, confirm: Flags.string({char: 'c', description: 'the app name, to confirm without a prompt (required when stdin is not a terminal)'})}
  static hiddenAliases = ['destroy', 'apps:delete']

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AppsDestroy)
    const name = args.app ?? (await this.resolveApp(flags))
    const app = await this.api.apps.info(name)
    let confirmation = flags.confirm
    if (confirmation === undefined) {
      if (!process.stdin.isTTY) throw new InputError(`Destroying ${name} needs confirmation: pass --confirm ${name}.`)
      confirmation = await prompt(`WARNING: This will delete ${name} including all add-ons.\nTo proceed, type ${name} or re-run this command with --confirm ${name}\n> `)
    }

    if (confirmation !== name) throw new InputError(`Confirmation ${confirmation} did not match ${name}. Aborted.`)
    await action(`Destroying ${name} (including all add-ons)`, () => this.api.apps.destroy(name))
    const cwd = process.cwd()
    for (const [remote, url] of await gitRemotes(cwd)) if (url === app.git_url) await removeRemote(cwd, remote)
  }
}
