import {Flags} from '@oclif/core'

import {createApi} from '../api/client.js'
import {parseBackend, Settings} from '../api/backends.js'
import {FerryCommand} from '../cli/base.js'
import {InputError} from '../cli/errors.js'
import {readStdin} from '../cli/input.js'

export default class Login extends FerryCommand {
  static description = 'store an API token for the heroku backend or a Platform API URL (the local backend needs no login)'
  static examples = ['$ ferry login --backend heroku --token $HEROKU_API_KEY', '$ echo $TOKEN | ferry login --backend https://ferry.example.com']
  static flags = {
    backend: Flags.string({description: 'heroku or the URL of a Platform API'}),
    token: Flags.string({description: 'the API token (else read from stdin)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Login)
    if (!flags.backend) {
      throw new InputError('Say which backend to log in to: `ferry login --backend heroku` (the Heroku API; token from the dashboard or `heroku auth:token`) or `ferry login --backend https://HOST` (any Platform API). The local platform needs no login.')
    }

    const choice = parseBackend(flags.backend)
    if (choice.kind === 'local') throw new InputError('The local backend needs no login: its token is created by the platform (see `ferry auth:token`).')
    const token = (flags.token ?? (await readStdin()).split('\n')[0]).trim()
    if (!token) throw new InputError('No token given: pass --token TOKEN or pipe it on stdin.')
    const api = createApi({connect: async () => ({token, url: choice.url!}), userAgent: `ferry/${this.config.version} ${process.platform}`})
    try {
      const account = await api.account.get()
      const settings = await Settings.load()
      settings.setToken(new URL(choice.url!).origin, token)
      this.log(`Logged in to ${choice.url} as ${account.email}`)
    } finally {
      await api.close()
    }
  }
}
