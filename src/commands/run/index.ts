import {Flags} from '@oclif/core'

import {EXIT_STATUS_MARKER} from '../../api/rendezvous.js'
import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags} from '../../cli/flags.js'
import {beginAction} from '../../cli/output.js'
import {commandArg, detachedHint, oneOffFlags, oneOffRequest, startDetached} from '../../cli/run.js'
import {attachTerminal} from '../../cli/run-attach.js'

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1'

export default class Run extends FerryCommand {
  static args = commandArg
  static description = 'run a one-off process inside a dyno (attached: stdin/stdout stream both ways; exits with its status)'
  static examples = ['$ ferry run bash', "$ ferry run 'echo $DATABASE_URL'", '$ ferry run -e DEBUG=1 -- node script.js --flag', '$ echo hi | ferry run cat']
  static flags = {
    ...appFlags,
    detached: Flags.boolean({description: 'run in the background; output goes to the logs'}),
    'exit-code': Flags.boolean({char: 'x', description: 'pass the exit code of the command (always on with the local platform)'}),
    'no-tty': Flags.boolean({description: 'force the command to not run in a tty'}),
    ...oneOffFlags,
  }

  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Run)
    const app = await this.resolveApp(flags)
    const request = oneOffRequest(argv, flags, 'ferry run COMMAND (e.g. ferry run bash)')
    const {command, env} = request
    if (process.env.TERM) env.TERM = process.env.TERM
    if (process.stdout.isTTY) {
      env.COLUMNS = String(process.stdout.columns)
      env.LINES = String(process.stdout.rows)
    }

    if (flags.detached) return this.log(detachedHint(app, await startDetached(this.api, app, request)))

    const tty = Boolean(process.stdin.isTTY) && !flags['no-tty']
    // ferry's platform reports the exit status itself; elsewhere (Heroku) `-x` uses the CLI's echo marker.
    const local = isLoopback(new URL((await this.api.connection()).url).hostname)
    const sent = !local && flags['exit-code'] ? `${command}; echo "${EXIT_STATUS_MARKER} $?"` : command
    // Heroku's line: `Running CMD on APP... up, run.N`, ended when the dyno's output starts (output written while an
    // action line is pending is held back by oclif).
    const up = beginAction(`Running ${command} on ${app}`)
    const dyno = await this.api.oneOffDynos.create(app, {attach: true, command: sent, env, force_no_tty: tty ? undefined : true, size: flags.size, type: flags.type})
    if (!dyno.attach_url) throw new InputError(`The backend did not return an attach URL for ${dyno.name}; try ferry run --detached.`)
    const status = await attachTerminal(dyno.attach_url, {local, onUp: () => up(`up, ${dyno.name}`), tty})
    if (status === undefined && flags['exit-code']) throw new InputError('No exit code returned.')
    this.exit(status ?? 0)
  }
}
