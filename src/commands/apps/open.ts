import {Args} from '@oclif/core'
import {spawn} from 'node:child_process'

import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'

export default class AppsOpen extends FerryCommand {
  static aliases = ['open']
  static args = {path: Args.string({description: 'path to open (e.g. /admin)'})}
  static description = "open the app's web URL in a browser (prints the URL when not on a terminal)"
  static examples = ['$ ferry open', '$ ferry open /admin']
  static flags = appFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AppsOpen)
    const app = await this.api.apps.info(await this.resolveApp(flags))
    const url = new URL((args.path ?? '').replace(/^\//, ''), app.web_url).toString()
    this.log(url)
    if (!process.stdout.isTTY || process.env.FERRY_NO_BROWSER) return
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open'
    const child = spawn(opener, [url], {detached: true, stdio: 'ignore'})
    child.on('error', () => process.stderr.write(`Could not start a browser (${opener}); open ${url} yourself.\n`))
    child.unref()
  }
}
