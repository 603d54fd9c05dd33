// Where the host's PostgreSQL and Redis binaries are (Debian: postgresql → /usr/lib/postgresql/<N>/bin, redis-server → /usr/bin).
import {existsSync, readdirSync} from 'node:fs'
import {delimiter, join} from 'node:path'

const PG_INSTALL = 'PostgreSQL is not installed on this machine: install it (Debian: apt-get install postgresql) and retry.'
const REDIS_INSTALL = 'Redis is not installed on this machine: install it (Debian: apt-get install redis-server) and retry.'

function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }

  return undefined
}

/**
 * The directory holding initdb/postgres/pg_ctl/pg_dump: `configured` (the platform config's postgresBin,
 * FERRY_POSTGRES_BIN) when given, else the newest /usr/lib/postgresql/N/bin, else initdb's directory on PATH.
 */
export function postgresBinDir(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) {
    if (!existsSync(join(configured, 'postgres'))) throw new Error(`FERRY_POSTGRES_BIN=${configured} has no postgres binary.`)
    return configured
  }

  let versions: string[] = []
  try {
    versions = readdirSync('/usr/lib/postgresql').filter(v => existsSync(join('/usr/lib/postgresql', v, 'bin', 'postgres')))
  } catch {}

  versions.sort((a, b) => Number(b) - Number(a))
  if (versions.length > 0) return join('/usr/lib/postgresql', versions[0], 'bin')
  const initdb = onPath('initdb', env)
  if (initdb && existsSync(join(initdb, '..', 'postgres'))) return join(initdb, '..')
  throw new Error(PG_INSTALL)
}

export function redisServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const found = onPath('redis-server', env) ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined)
  if (!found) throw new Error(REDIS_INSTALL)
  return found
}

/** Why the add-on servers cannot run here (a one-line install hint), or undefined when both are installed. */
export function missingAddonBinaries(configured?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    postgresBinDir(configured, env)
    redisServerBinary(env)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
