// The base of every ferry command: a lazily created API client (this.api), app resolution, error → exit code.
import type {Input, ParserOutput} from '@oclif/core/interfaces'

import {Command} from '@oclif/core'

import {type Api, createApi} from '../api/client.js'
import {chooseBackend, connectBackend} from '../api/backends.js'
import {type AppSource, resolveApp} from './app.js'
import {describeError} from './errors.js'
import {failAction, notice} from './output.js'

export abstract class FerryCommand extends Command {
  private appName?: string
  private client?: Api

  /** The Platform API of the current backend; nothing is resolved (or started) until the first request. */
  protected get api(): Api {
    this.client ??= createApi({
      async connect() {
        const choice = await chooseBackend(process.env)
        return connectBackend(choice, {onStarted: url => notice(`Started local platform at ${url}`)})
      },
      userAgent: `ferry/${this.config.version} ${process.platform}`,
    })
    return this.client
  }

  /**
   * oclif's parse, with `argv` rebuilt from the raw tokens in their order: oclif 4 drops an argument whose text equals
   * a flag's value (`ferry run -a jobs echo jobs` ran `jobs echo`; `redis:cli -a jobs LLEN jobs` sent `jobs LLEN`).
   */
  protected async parse<F extends Record<string, any>, B extends Record<string, any>, A extends Record<string, any>>(options?: Input<F, B, A>, argv?: string[]): Promise<ParserOutput<F, B, A>> {
    const output = await super.parse(options, argv)
    output.argv = output.raw.filter(token => token.type === 'arg').map(token => token.input)
    return output
  }

  /** The app from --app, FERRY_APP or the git remote; an input error listing the ways otherwise. */
  protected async resolveApp(flags: AppSource): Promise<string> {
    this.appName = await resolveApp(flags)
    return this.appName
  }

  /** Prints one line to stderr (` ›   Error: …`), no stack trace; exit 1 for bad input, 2 for API/backend errors. */
  protected async catch(error: Error & {exitCode?: number}): Promise<any> {
    if ((error as {code?: string}).code === 'EEXIT') throw error
    const {exit, message} = describeError(error, {app: this.appName})
    failAction()
    process.stderr.write(` ›   Error: ${message}\n`)
    this.exit(exit)
  }

  protected async finally(error: Error | undefined): Promise<any> {
    await this.client?.close()
    return super.finally(error)
  }
}
