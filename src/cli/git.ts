// Small git helpers (remotes, credential helper) run with `git -C <dir>`; never touches the global config.
import {execFileSync} from 'node:child_process'
import {accessSync, constants, realpathSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim()
}

function tryGit(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args)
  } catch {
    return undefined
  }
}

export function isGitRepo(cwd: string): boolean {
  return tryGit(cwd, ['rev-parse', '--git-dir']) !== undefined
}

/** The top directory of the git work tree holding `cwd`, or undefined outside one. */
export function gitTopLevel(cwd: string): string | undefined {
  return tryGit(cwd, ['rev-parse', '--show-toplevel'])?.trim() || undefined
}

/** Remote name → fetch URL. */
export function gitRemotes(cwd: string): Map<string, string> {
  const remotes = new Map<string, string>()
  const out = tryGit(cwd, ['config', '--get-regexp', String.raw`^remote\..*\.url$`]) ?? ''
  for (const line of out.split('\n')) {
    const m = /^remote\.(.+)\.url\s+(.*)$/.exec(line.trim())
    if (m) remotes.set(m[1], m[2])
  }

  return remotes
}

/** The app name of a remote URL ending in `/<app>.git`. */
export function appFromGitUrl(url: string): string | undefined {
  return /[/:]([a-z][\w-]*)\.git\/?$/i.exec(url)?.[1]
}

/** Adds or updates a remote; returns 'added' or 'updated'. */
export function setRemote(cwd: string, name: string, url: string): 'added' | 'updated' {
  if (gitRemotes(cwd).has(name)) {
    git(cwd, ['remote', 'set-url', name, url])
    return 'updated'
  }

  git(cwd, ['remote', 'add', name, url])
  return 'added'
}

export function removeRemote(cwd: string, name: string): void {
  git(cwd, ['remote', 'remove', name])
}

/** Shell-quote for git's `!` helper command (single quotes). */
const sq = (s: string) => `'${s.replaceAll("'", String.raw`'\''`)}'`

/**
 * The helper command git runs, with `get`, `store` or `erase` appended. `get` runs `ferry git:credentials get`: through
 * `ferry` on PATH when that is this very CLI (the entry then survives a move of the checkout or of node), else this
 * node + this CLI's bin/run.js. `store` and `erase` (ferry keeps no credentials) are answered by the shell alone: git
 * runs them after every push, and a node start there would only cost time.
 */
export function credentialHelperCommand(env: NodeJS.ProcessEnv = process.env): string {
  const runJs = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
  const home = env.FERRY_HOME ? `FERRY_HOME=${sq(path.resolve(env.FERRY_HOME))} ` : ''
  const ferry = onPath('ferry', env) === realpath(runJs) ? 'ferry' : `${sq(process.execPath)} ${sq(runJs)}`
  return `!f() { if [ "$1" = get ]; then ${home}${ferry} git:credentials get; else cat >/dev/null; fi; }; f`
}

function realpath(file: string): string | undefined {
  try {
    return realpathSync(file)
  } catch {
    return undefined
  }
}

/** The real path of the program a shell finds for `name` on env.PATH (absolute entries only), if any. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir.startsWith('/')) continue
    try {
      accessSync(path.join(dir, name), constants.X_OK)
      return realpath(path.join(dir, name))
    } catch {}
  }

  return undefined
}

/** Configures `credential.<origin>.helper` in the repository's own config (never --global). */
export function configureCredentialHelper(cwd: string, gitUrl: string, env: NodeJS.ProcessEnv = process.env): void {
  const {origin} = new URL(gitUrl)
  git(cwd, ['config', '--local', '--replace-all', `credential.${origin}.helper`, credentialHelperCommand(env)])
}

export function clone(url: string, dir: string, remote: string): void {
  execFileSync('git', ['clone', '-o', remote, url, dir], {stdio: ['ignore', 'inherit', 'inherit']})
}
