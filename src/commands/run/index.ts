import {Args, Flags} from '@oclif/core'

import {EXIT_STATUS_MARKER, openRendezvous, RendezvousOutput} from '../../api/rendezvous.js'
import {FerryCommand} from '../../cli/base.js'
import {InputError} from '../../cli/errors.js'
import {appFlags} from '../../cli/flags.js'
import {buildCommand, parseEnvFlags} from '../../cli/run.js'

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1'

export default class Run extends FerryCommand {
  static args = {command: Args.string({description: 'command to run', required: true})}
  static description = 'run a one-off process inside a dyno (attached: stdin/stdout stream both ways; exits with its status)'
  static examples = ['$ ferry run bash', "$ ferry run 'echo $DATABASE_URL'", '$ ferry run -e DEBUG=1 -- node script.js --flag', '$ echo hi | ferry run cat']
  static flags = {
    ...appFlags,
    detached: Flags.boolean({description: 'run in the background; output goes to the logs'}),
    env: Flags.string({char: 'e', description: 'environment variables to set (use ";" to split several)', multiple: true}),
    'exit-code': Flags.boolean({char: 'x', description: 'pass the exit code of the command (always on with the local platform)'}),
    'no-tty': Flags.boolean({description: 'force the command to not run in a tty'}),
    size: Flags.string({char: 's', description: 'dyno size'}),
    type: Flags.string({description: 'process type (default run)'}),
  }

  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Run)
    const app = this.resolveApp(flags)
    const args = argv as string[]
    if (args.length === 0) throw new InputError('Usage: ferry run COMMAND (e.g. ferry run bash).')
    const command = buildCommand(args)
    const env = {...parseEnvFlags(flags.env)}
    if (process.env.TERM) env.TERM = process.env.TERM
    if (process.stdout.isTTY) {
      env.COLUMNS = String(process.stdout.columns)
      env.LINES = String(process.stdout.rows)
    }

    if (flags.detached) {
      process.stderr.write(`Running ${command} on ${app}... `)
      const dyno = await this.api.oneOffDynos.create(app, {attach: false, command, env, size: flags.size, type: flags.type})
      process.stderr.write(`done, ${dyno.name} (${dyno.size})\n`)
      this.log(`Run ferry logs --app ${app} --dyno ${dyno.name} to view the output.`)
      return
    }

    const tty = Boolean(process.stdin.isTTY) && !flags['no-tty']
    // ferry's platform reports the exit status itself; elsewhere (Heroku) `-x` uses the CLI's echo marker.
    const local = isLoopback(new URL((await this.api.http.connect()).url).hostname)
    const sent = !local && flags['exit-code'] ? `${command}; echo "${EXIT_STATUS_MARKER} $?"` : command
    process.stderr.write(`Running ${command} on ${app}... `)
    const dyno = await this.api.oneOffDynos.create(app, {attach: true, command: sent, env, force_no_tty: tty ? undefined : true, size: flags.size, type: flags.type})
    if (!dyno.attach_url) throw new InputError(`The backend did not return an attach URL for ${dyno.name}; try ferry run --detached.`)
    process.stderr.write(`connecting, ${dyno.name}... `)
    const status = await this.attach(dyno.attach_url, tty, dyno.name, local)
    if (status === undefined && flags['exit-code']) throw new InputError('No exit code returned.')
    this.exit(status ?? 0)
  }

  /** Pipes the terminal to the dyno until the server closes; resolves with the exit status. */
  private async attach(url: string, tty: boolean, name: string, local: boolean): Promise<number | undefined> {
    const {closed, socket} = await openRendezvous(url, local ? 'exit_status=1' : '')
    const output = new RendezvousOutput()
    const mapCrLf = !process.stdout.isTTY
    let up = false
    socket.on('data', (chunk: Buffer) => {
      let text = output.push(chunk)
      if (!up) {
        up = true
        process.stderr.write(`up, ${name}\n`)
      }

      if (mapCrLf) text = text.replaceAll('\r\n', '\n')
      if (text) process.stdout.write(text)
    })
    socket.on('error', () => {})
    const stdin = process.stdin
    let interrupted = false
    const onSignal = () => {
      interrupted = true
      socket.destroy()
    }

    const ctrlC: number[] = []
    const onInput = (chunk: Buffer) => {
      socket.write(chunk)
      if (!tty || !chunk.includes(3)) return
      // Like the heroku CLI: Ctrl-C goes to the dyno; four within a second force a disconnect.
      const now = Date.now()
      ctrlC.push(now)
      while (ctrlC.length > 0 && now - ctrlC[0] > 1000) ctrlC.shift()
      if (ctrlC.length >= 4) onSignal()
    }

    const onEnd = () => socket.write('\u0004')

    if (tty) stdin.setRawMode(true)
    stdin.on('data', onInput)
    if (!tty) stdin.on('end', onEnd)
    stdin.resume()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      await closed
    } finally {
      if (tty) stdin.setRawMode(false)
      stdin.off('data', onInput)
      stdin.off('end', onEnd)
      stdin.pause()
      stdin.unref?.()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }

    const rest = output.flush()
    if (rest) process.stdout.write(mapCrLf ? rest.replaceAll('\r\n', '\n') : rest)
    if (!up) process.stderr.write(`up, ${name}\n`)
    if (interrupted) return 130
    return output.status
  }
}
