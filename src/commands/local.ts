import {Args, Flags} from '@oclif/core'

import {LocalCommand, portFlag} from '../cli/local-command.js'
import {assertPortsFree, colorEnabled, LocalError, planLocal, processEnv, runProcesses} from '../local/index.js'

export default class Local extends LocalCommand {
  static aliases = ['local:start']
  static args = {
    types: Args.string({description: 'process types to start, with optional counts: web, web=2, web=1,worker=2 (default: one of each except release)'}),
  }
  static description = `Reads the Procfile and .env of the working copy and starts the processes directly: no build, no sandbox, no platform.
PORT is numbered like heroku local: base --port (else PORT from the env file, else $PORT, else 5006), +1 per extra instance, +100 per process type.
Ctrl-C stops everything (SIGTERM, then SIGKILL after --timeout). When a process exits the others are stopped, unless --restart.`
  static examples = [
    '<%= config.bin %> local',
    '<%= config.bin %> local web=2 worker=1',
    '<%= config.bin %> local -m web=2,worker=1 -e .env.test -p 7000',
    '<%= config.bin %> local --start-cmd "node server.js"',
  ]
  static flags = {
    env: Flags.string({char: 'e', description: 'env file to load (default .env); repeat or use a comma list for several', multiple: true, multipleNonGreedy: true}),
    formation: Flags.string({char: 'm', description: 'process counts, e.g. web=2,worker=1', multiple: true, multipleNonGreedy: true}),
    port: Flags.string({char: 'p', description: 'base port (default: PORT from the env file, else $PORT, else 5006)'}),
    procfile: Flags.string({char: 'f', description: 'Procfile to use (default ./Procfile); processes run in its directory'}),
    restart: Flags.boolean({description: 'restart a process that exits (with backoff) instead of stopping the others'}),
    'start-cmd': Flags.string({char: 's', description: 'command to run as web when there is no Procfile'}),
    timeout: Flags.string({char: 't', default: '5', description: 'seconds to wait after SIGTERM before SIGKILL'}),
  }
  static strict = false
  static summary = 'Run the app locally from its Procfile'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Local)
    const timeout = Number(flags.timeout)
    if (!/^\d+(\.\d+)?$/.test(flags.timeout.trim()) || !Number.isFinite(timeout)) {
      throw new LocalError('Invalid', `Invalid --timeout "${flags.timeout}"; give a number of seconds, e.g. --timeout 10.`)
    }

    const plan = await planLocal({
      callerEnv: process.env,
      cwd: process.cwd(),
      envFiles: flags.env,
      port: flags.port === undefined ? undefined : portFlag(flags.port),
      procfile: flags.procfile,
      selection: [...(flags.formation ?? []), ...(argv as string[])],
      startCmd: flags['start-cmd'],
    })
    for (const notice of plan.notices) process.stderr.write(`${notice}\n`)
    if (plan.specs.length === 0) throw new LocalError('Invalid', 'No processes to start: every selected type has a count of 0.')
    await assertPortsFree(plan.specs)

    const code = await runProcesses({
      color: colorEnabled(process.stdout, process.env),
      cwd: plan.root,
      env: spec => processEnv(spec, process.env, plan.envFileVars),
      out: process.stdout,
      restart: flags.restart,
      specs: plan.specs,
      timeoutMs: timeout * 1000,
    })
    if (code !== 0) this.exit(code)
  }
}
