// The CLI's git: remotes and the repository-local credential helper, through simple-git in the working directory.
// simple-git is imported on first use (~35 ms): a command given --app or FERRY_APP never loads it. Never touches the
// global git config; git runs with the user's environment (their config, SSH and proxy settings apply).
import type {SimpleGit} from 'simple-git'

import {accessSync, constants, realpathSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * simple-git in `cwd`. simple-git refuses to write a `credential.*.helper` unless told to: only the two calls that
 * install ferry's own helper (configureCredentialHelper, clone) allow it.
 */
async function git(cwd: string, options: {credentialHelper?: boolean} = {}): Promise<SimpleGit> {
  const {simpleGit} = await import('simple-git')
  return simpleGit({baseDir: cwd, unsafe: {allowUnsafeCredentialHelper: options.credentialHelper === true}})
}

async function tryGit<T>(cwd: string, fn: (g: SimpleGit) => Promise<T>): Promise<T | undefined> {
  try {
    return await fn(await git(cwd))
  } catch {
    return undefined
  }
}

export async function isGitRepo(cwd: string): Promise<boolean> {
  return (await tryGit(cwd, g => g.revparse(['--git-dir']))) !== undefined
}

/** The top directory of the git work tree holding `cwd`, or undefined outside one. */
export async function gitTopLevel(cwd: string): Promise<string | undefined> {
  return (await tryGit(cwd, g => g.revparse(['--show-toplevel'])))?.trim() || undefined
}

/** Remote name → fetch URL (`git remote -v`, as the heroku CLI reads them); empty outside a repository. */
export async function gitRemotes(cwd: string): Promise<Map<string, string>> {
  const remotes = await tryGit(cwd, g => g.getRemotes(true))
  return new Map((remotes ?? []).filter(r => r.refs.fetch).map(r => [r.name, r.refs.fetch]))
}

/** What git would commit in `dir`: tracked and untracked-but-not-ignored files, relative to dir; undefined outside a work tree. */
export async function workTreeFiles(dir: string): Promise<string[] | undefined> {
  if ((await gitTopLevel(dir)) === undefined) return undefined
  const out = await tryGit(dir, g => g.raw(['ls-files', '-z', '--cached', '--others', '--exclude-standard']))
  return out?.split('\0').filter(f => f !== '')
}

/** The app name of a remote URL ending in `/<app>.git`. */
export function appFromGitUrl(url: string): string | undefined {
  return /[/:]([a-z][\w-]*)\.git\/?$/i.exec(url)?.[1]
}

/** Adds or updates a remote; returns 'added' or 'updated'. */
export async function setRemote(cwd: string, name: string, url: string): Promise<'added' | 'updated'> {
  const g = await git(cwd)
  if ((await gitRemotes(cwd)).has(name)) {
    await g.remote(['set-url', name, url])
    return 'updated'
  }

  await g.addRemote(name, url)
  return 'added'
}

export async function removeRemote(cwd: string, name: string): Promise<void> {
  await (await git(cwd)).removeRemote(name)
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

/** `credential.<origin>.helper=<ferry>` for the app's git URL. */
function credentialHelperConfig(gitUrl: string, env: NodeJS.ProcessEnv): [key: string, value: string] {
  return [`credential.${new URL(gitUrl).origin}.helper`, credentialHelperCommand(env)]
}

/** Configures `credential.<origin>.helper` in the repository's own config (never --global). */
export async function configureCredentialHelper(cwd: string, gitUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const g = await git(cwd, {credentialHelper: true})
  await g.raw(['config', '--local', '--replace-all', ...credentialHelperConfig(gitUrl, env)])
}

/**
 * `git clone -o <remote>`, git's own output passed through. The credential helper is set with `--config`: git writes it
 * into the new repository before the first fetch, so the clone itself authenticates with it.
 */
export async function clone(url: string, dir: string, remote: string): Promise<void> {
  const g = await git(process.cwd(), {credentialHelper: true})
  g.outputHandler((_command, stdout, stderr) => {
    stdout.pipe(process.stdout)
    stderr.pipe(process.stderr)
  })
  const progress = process.stderr.isTTY ? ['--progress'] : []
  await g.clone(url, dir, ['--origin', remote, '--config', credentialHelperConfig(url, process.env).join('='), ...progress])
}
