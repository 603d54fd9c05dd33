import {Args} from '@oclif/core'

import {resolveAddon, runAttached} from '../../cli/addons.js'
import {FerryCommand} from '../../cli/base.js'
import {appFlags} from '../../cli/flags.js'

export default class RedisCli extends FerryCommand {
  static args = {database: Args.string({description: 'config var or add-on name (default: REDIS); then an optional Redis command'})}
  static description = "open redis-cli on the app's Redis (the host's redis-cli), or run one command"
  static examples = ['ferry redis:cli', 'ferry redis:cli PING', 'ferry redis:cli HEROKU_REDIS_RED GET key']
  static flags = {...appFlags}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RedisCli)
    const app = await this.resolveApp(flags)
    const words = argv as string[]
    // The first word names the add-on when it is one of the app's (REDIS, HEROKU_REDIS_RED, redis-curly-123), else it starts the command.
    let resolved
    try {
      resolved = words.length > 0 ? await resolveAddon(this.api, app, 'heroku-redis', words[0]) : undefined
    } catch {}

    const command = resolved ? words.slice(1) : words
    resolved ??= await resolveAddon(this.api, app, 'heroku-redis')
    if (command.length === 0) process.stderr.write(`Connecting to ${resolved.addon.name} (${resolved.attachment.name}_URL):\n`)
    // The password reaches redis-cli through REDISCLI_AUTH, not argv.
    const url = new URL(resolved.url)
    const env = {...process.env, REDISCLI_AUTH: decodeURIComponent(url.password)}
    const code = await runAttached('redis-cli', ['-h', url.hostname, '-p', url.port, ...command], env)
    if (code !== 0) this.exit(code)
  }
}
