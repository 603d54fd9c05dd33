// Which app a command acts on: --app, else FERRY_APP, else the git remote (--remote, default `ferry` then `heroku`).
import {InputError} from './errors.js'
import {appFromGitUrl, gitRemotes} from './git.js'

export interface AppSource {app?: string; remote?: string}

export const NO_APP_MESSAGE =
  'No app specified: pass --app APP (-a APP), set FERRY_APP, or run inside a git repo with a `ferry` (or `heroku`) remote (choose one with --remote).'

export async function resolveApp(flags: AppSource, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<string> {
  if (flags.app) return flags.app
  if (env.FERRY_APP) return env.FERRY_APP
  const remotes = await gitRemotes(cwd)
  const names = flags.remote ? [flags.remote] : ['ferry', 'heroku']
  for (const name of names) {
    const url = remotes.get(name)
    const app = url ? appFromGitUrl(url) : undefined
    if (app) return app
  }

  if (flags.remote) throw new InputError(`No app found in git remote "${flags.remote}": pass --app APP or add the remote with \`ferry git:remote -a APP -r ${flags.remote}\`.`)
  throw new InputError(NO_APP_MESSAGE)
}
