import {Flags} from '@oclif/core'

import type {LogSessionCreateBody} from '../api/types.js'

import {chooseBackend, connectBackend} from '../api/backends.js'
import {type Api, createApi} from '../api/client.js'
import {LogStreamEnded, LogStreamError, streamLogs} from '../api/log-stream.js'
import {FerryCommand} from '../cli/base.js'
import {InputError} from '../cli/errors.js'
import {appFlags} from '../cli/flags.js'
import {logLineJson, renderLogLine} from '../cli/logs.js'
import {notice} from '../cli/output.js'

export default class Logs extends FerryCommand {
  static description = 'display recent log output (use --tail to follow)'
  static examples = ['$ ferry logs -n 200', '$ ferry logs --tail --dyno web', '$ ferry logs --source heroku --dyno router']
  static flags = {
    ...appFlags,
    'dyno-name': Flags.string({aliases: ['dyno'], char: 'd', description: 'only show output from this dyno (web.1) or process type (web)'}),
    json: Flags.boolean({description: 'output one JSON object per line'}),
    num: Flags.integer({char: 'n', default: 100, description: 'number of lines to display', min: 0}),
    'process-type': Flags.string({char: 'p', description: 'only show output from this process type (web)'}),
    source: Flags.string({char: 's', description: 'only show output from this source', options: ['app', 'heroku']}),
    tail: Flags.boolean({char: 't', description: 'continually stream logs (Ctrl-C to stop)'}),
  }

  private fresh: Api | undefined

  async run(): Promise<void> {
    const {flags} = await this.parse(Logs)
    const app = await this.resolveApp(flags)
    if (flags['dyno-name'] && flags['process-type']) throw new InputError('Use either --dyno-name or --process-type, not both.')
    const dyno = flags['dyno-name'] ?? flags['process-type']
    const body = {dyno, lines: flags.num, source: flags.source, tail: flags.tail}
    const session = await this.api.logSessions.create(app, body)
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await streamLogs({
        onLine: ({id, text}) => process.stdout.write(`${flags.json ? logLineJson(text, id) : renderLogLine(text)}\n`),
        // After the session expired (e.g. the daemon restarted) a new one resumes from the last id seen.
        renew: () => this.renewSession(app, {...body, lines: 0}),
        signal: controller.signal,
        tail: flags.tail,
        url: session.logplex_url,
      })
    } catch (error) {
      if (error instanceof LogStreamEnded) return notice(`${error.message} The log tail ends; run \`ferry logs --tail\` again once it is started.`)
      if (error instanceof LogStreamError) throw new InputError(error.message)
      throw error
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      await this.fresh?.close()
    }
  }

  /** A new session through a freshly resolved backend: a restarted local platform may listen on another port. */
  private async renewSession(app: string, body: LogSessionCreateBody): Promise<string> {
    await this.fresh?.close()
    this.fresh = createApi({
      // A tail never starts the platform: one that was stopped stays stopped (after a crash, whatever starts it next).
      connect: async () => connectBackend(await chooseBackend(process.env), {start: false}),
      userAgent: `ferry/${this.config.version} ${process.platform}`,
    })
    return (await this.fresh.logSessions.create(app, body)).logplex_url
  }
}
