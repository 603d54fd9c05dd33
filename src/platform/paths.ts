// Where the local platform keeps its state: $FERRY_HOME/data, else $XDG_DATA_HOME/ferry, else ~/.local/share/ferry.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The platform's data directory for an environment (defaults to process.env). */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FERRY_HOME) return resolve(env.FERRY_HOME, 'data')
  const xdg = env.XDG_DATA_HOME
  if (xdg && xdg.startsWith('/')) return join(xdg, 'ferry')
  return join(env.HOME || homedir(), '.local', 'share', 'ferry')
}

export interface PlatformPaths {
  builds: string
  cache: string
  /** Per-app build cache (`cache/<app id>`). */
  cacheFor: (appId: string) => string
  dataDir: string
  db: string
  daemonInfo: string
  /** HOME of every git the platform runs (git/run.ts): platform-owned, so no operator's git config applies. */
  gitHome: string
  lock: string
  logs: string
  releases: string
  /** Unpacked slug of a release (`releases/<release id>`). */
  releaseDir: (releaseId: string) => string
  /** The bare git repository of an app (`repos/<key>.git`; the deploy pipeline keys it by app id so renames keep it). */
  repoFor: (appKey: string) => string
  repos: string
  routerPortFile: string
  portFile: string
  run: string
  slugFor: (slugId: string) => string
  slugs: string
  sources: string
  token: string
}

/** Every path under a data directory. Nothing is created here; the daemon creates directories on start. */
export function platformPaths(dataDir: string): PlatformPaths {
  const p = (...parts: string[]) => join(dataDir, ...parts)
  return {
    builds: p('builds'),
    cache: p('cache'),
    cacheFor: appId => p('cache', appId),
    daemonInfo: p('run', 'daemon.json'),
    dataDir,
    db: p('ferry.db'),
    gitHome: p('run', 'git-home'),
    lock: p('run', 'daemon.lock'),
    logs: p('logs'),
    portFile: p('run', 'port'),
    releaseDir: releaseId => p('releases', releaseId),
    releases: p('releases'),
    repoFor: appKey => p('repos', `${appKey}.git`),
    repos: p('repos'),
    routerPortFile: p('run', 'router-port'),
    run: p('run'),
    slugFor: slugId => p('slugs', `${slugId}.tgz`),
    slugs: p('slugs'),
    sources: p('sources'),
    token: p('run', 'token'),
  }
}

/** Directories the daemon creates on start. */
export function platformDirs(paths: PlatformPaths): string[] {
  return [paths.dataDir, paths.run, paths.gitHome, paths.repos, paths.slugs, paths.releases, paths.cache, paths.logs, paths.builds, paths.sources]
}

/**
 * The package's root: the first directory up from `moduleUrl` holding a package.json (the same for a module of the
 * build, of the sources and of the daemon bundle, which live at different depths). Undefined when there is none.
 */
export function packageRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }

  return dir
}
