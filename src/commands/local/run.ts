import {Args, Flags} from '@oclif/core'
import {spawn} from 'node:child_process'

import path from 'node:path'

import {LocalCommand, portFlag} from '../../cli/local-command.js'
import {basePort, exitStatus, loadEnvFiles, LocalError} from '../../local/index.js'

export default class LocalRun extends LocalCommand {
  static args = {
    command: Args.string({description: 'command to run; one argument runs through /bin/sh -c, several run directly', required: true}),
  }
  static description = `Loads the env files like "ferry local" (plus PORT = the base port) and runs one command in the foreground.
Put "--" before a command that has its own flags: ferry local:run -- node -e "console.log(process.env.PORT)".`
  static examples = ['<%= config.bin %> local:run "npm test"', '<%= config.bin %> local:run -e .env.test -- node scripts/migrate.js --dry-run']
  static flags = {
    env: Flags.string({char: 'e', description: 'env file to load (default .env); repeat or use a comma list for several', multiple: true, multipleNonGreedy: true}),
    port: Flags.string({char: 'p', description: 'PORT for the command (default: PORT from the env file, else $PORT, else 5006)'}),
    procfile: Flags.string({char: 'f', description: 'Procfile whose directory is the app root (default ./Procfile)'}),
  }
  static strict = false
  static summary = 'Run a one-off command with the app\'s local environment'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(LocalRun)
    const words = argv as string[]
    const cwd = process.cwd()
    const root = flags.procfile ? path.dirname(path.resolve(cwd, flags.procfile)) : cwd
    const {notices, vars} = await loadEnvFiles({cwd, envFiles: flags.env}, root)
    for (const notice of notices) process.stderr.write(`${notice}\n`)
    const port = basePort(flags.port === undefined ? undefined : portFlag(flags.port), vars, process.env)
    const env = {...process.env, ...vars, PORT: String(port)}
    const [file, args] = words.length === 1 ? ['/bin/sh', ['-c', words[0]]] : [words[0], words.slice(1)]
    const child = spawn(file, args, {cwd: root, env, stdio: 'inherit'})
    // The child shares the terminal: Ctrl-C reaches it directly; ferry just waits for it (and forwards SIGTERM/SIGHUP).
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    const ignore = () => {}
    process.on('SIGINT', ignore)
    process.on('SIGTERM', forward)
    process.on('SIGHUP', forward)
    try {
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') reject(new LocalError('NotFound', `Command "${words[0]}" not found. Check the name, or pass a shell command line as one quoted argument.`))
          else reject(error)
        })
        child.once('exit', (c, signal) => resolve(exitStatus(c, signal)))
      })
      if (code !== 0) this.exit(code)
    } finally {
      process.off('SIGINT', ignore)
      process.off('SIGTERM', forward)
      process.off('SIGHUP', forward)
    }
  }
}
