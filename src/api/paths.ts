// Where ferry keeps its files: settings under the config dir, platform state under the data dir.
// $FERRY_HOME wins (tests always set it); otherwise the XDG base directories (absolute values only, per the spec).
import os from 'node:os'
import path from 'node:path'

import {platformPaths, resolveDataDir} from '../platform/paths.js'

type Env = NodeJS.ProcessEnv

/** Settings (backend choice, stored tokens): `$FERRY_HOME/config`, else `$XDG_CONFIG_HOME/ferry` (`~/.config/ferry`). */
export function configDir(env: Env = process.env): string {
  if (env.FERRY_HOME) return path.resolve(env.FERRY_HOME, 'config')
  const xdg = env.XDG_CONFIG_HOME
  if (xdg && xdg.startsWith('/')) return path.join(xdg, 'ferry')
  return path.join(env.HOME || os.homedir(), '.config', 'ferry')
}

/** Platform data (ferry.db, repos/, slugs/, run/…): `$FERRY_HOME/data`, else `$XDG_DATA_HOME/ferry` (`~/.local/share/ferry`). */
export function dataDir(env: Env = process.env): string {
  return resolveDataDir(env)
}

/** The daemon's files under a data dir: discovery file, token, log. */
export function daemonFiles(data: string): {info: string; lock: string; log: string; run: string; token: string} {
  const paths = platformPaths(data)
  return {info: paths.daemonInfo, lock: paths.lock, log: path.join(paths.run, 'daemon.log'), run: paths.run, token: paths.token}
}
