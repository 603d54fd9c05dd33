// One PostgreSQL cluster per platform (data under <data dir>/addons/postgres/), started on the first
// heroku-postgresql add-on. Each add-on is a database owned by its own login role with a random password; CONNECT
// on every database is revoked from PUBLIC, so an app's role cannot open another app's database.
// Why one cluster: initdb + start costs ~1 s and ~25 MB, a CREATE DATABASE ~0.15 s (measured on the 2-core CI
// machine); one cluster per add-on would pay the first for every add-on.
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {postgresBinDir} from './binaries.js'
import {choosePort, waitUntil} from '../ports.js'
import {collect, runSandboxed, SupervisedProcess} from './proc.js'

/** Role and database of an add-on, derived from its id (no user input reaches SQL identifiers). */
export function pgNames(addonId: string): {db: string; role: string} {
  const hex = addonId.replaceAll('-', '').toLowerCase()
  if (!/^[\da-f]{32}$/.test(hex)) throw new Error(`bad add-on id ${addonId}`)
  return {db: `d${hex.slice(0, 14)}`, role: `u${hex.slice(0, 14)}`}
}

export interface PsqlResult {code: null | number; output: string}

export class PostgresCluster {
  readonly dir: string
  port = 0
  private readonly bin: string
  private proc?: SupervisedProcess
  private starting?: Promise<void>

  constructor(
    private readonly platformDataDir: string,
    /** The config's postgresBin (FERRY_POSTGRES_BIN); unset = found on this host. */
    configuredBin?: string,
  ) {
    this.dir = join(platformDataDir, 'addons', 'postgres')
    this.bin = postgresBinDir(configuredBin)
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get running(): boolean {
    return this.proc?.running ?? false
  }

  /** Starts the cluster once (initdb on first use); later calls wait for the same start. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.start().catch(error => {
      this.starting = undefined
      throw error
    })
    return this.starting
  }

  private get superPassword(): string {
    return readFileSync(join(this.dir, 'superuser-password'), 'utf8').trim()
  }

  private async start(): Promise<void> {
    const data = join(this.dir, 'data')
    const hide = [this.platformDataDir]
    if (!existsSync(join(data, 'PG_VERSION'))) {
      rmSync(data, {force: true, recursive: true})
      mkdirSync(data, {mode: 0o700, recursive: true})
      writeFileSync(join(this.dir, 'superuser-password'), randomBytes(24).toString('hex'), {mode: 0o600})
      // initdb reads the password from a file inside the sandbox's writable dir, removed right after.
      const pwfile = join(this.dir, 'initdb-pw')
      writeFileSync(pwfile, this.superPassword, {mode: 0o600})
      try {
        await runSandboxed({
          args: ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions'],
          command: join(this.bin, 'initdb'),
          dataDir: this.dir,
          hide,
        })
      } catch (error) {
        rmSync(data, {force: true, recursive: true})
        throw error
      } finally {
        rmSync(pwfile, {force: true})
      }
    }

    const portFile = join(this.dir, 'port')
    let remembered: number | undefined
    try {
      remembered = Number.parseInt(readFileSync(portFile, 'utf8'), 10) || undefined
    } catch {}

    this.port = await choosePort(remembered)
    writeFileSync(portFile, `${this.port}\n`)
    // A postmaster.pid left by a killed server whose process is gone would only delay the start; postgres handles it.
    this.proc = new SupervisedProcess({
      args: [
        '-D',
data,
'-c',
'listen_addresses=127.0.0.1',
'-c',
`port=${this.port}`,
'-c',
'unix_socket_directories=',
        '-c',
'shared_buffers=16MB',
'-c',
'max_connections=100',
'-c',
'logging_collector=off',
      ],
      command: join(this.bin, 'postgres'),
      dataDir: this.dir,
      hide,
      logFile: join(this.dir, 'server.log'),
      name: 'postgres',
      stopSignal: 'SIGINT',
    })
    this.proc.start()
    await this.waitReady()
  }

  /** Resolves once the server accepts queries (after a start or a crash restart). */
  waitReady(timeoutMs = 30_000): Promise<void> {
    return waitUntil(async () => (await this.psql(['select 1'])).code === 0, timeoutMs, 'PostgreSQL')
  }

  /** Runs statements as the superuser (each -c is its own transaction, so CREATE DATABASE works). */
  psql(statements: string[], database = 'postgres'): Promise<PsqlResult> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database]
    for (const sql of statements) args.push('-c', sql)
    const env = {LANG: 'C.UTF-8', PATH: process.env.PATH, PGCONNECT_TIMEOUT: '5', PGPASSWORD: this.superPassword}
    return collect(join(this.bin, 'psql'), args, {env})
  }

  private async exec(statements: string[], database?: string): Promise<string> {
    const result = await this.psql(statements, database)
    if (result.code !== 0) throw new Error(`PostgreSQL: ${result.output.trim()}`)
    return result.output
  }

  url(addonId: string, password: string): string {
    const {db, role} = pgNames(addonId)
    return `postgres://${role}:${password}@127.0.0.1:${this.port}/${db}`
  }

  /** Creates the add-on's role and database; returns its URL. */
  async createDatabase(addonId: string, password: string): Promise<string> {
    await this.ensureStarted()
    const {db, role} = pgNames(addonId)
    await this.exec([
      // Every database, including postgres and template1, is closed to roles that do not own it.
      'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC',
      'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC',
      `CREATE ROLE ${role} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`,
      `CREATE DATABASE ${db} OWNER ${role}`,
      `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
    ])
    await this.exec([`ALTER SCHEMA public OWNER TO ${role}`], db)
    return this.url(addonId, password)
  }

  /** Drops the database and the role (connections are terminated first). */
  async dropDatabase(addonId: string): Promise<void> {
    await this.ensureStarted()
    const {db, role} = pgNames(addonId)
    await this.exec([`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, `DROP ROLE IF EXISTS ${role}`])
  }

  /** pg:reset: an empty database with the same name, owner and URL. */
  async resetDatabase(addonId: string): Promise<void> {
    await this.ensureStarted()
    const {db, role} = pgNames(addonId)
    await this.exec([`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, `CREATE DATABASE ${db} OWNER ${role}`, `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`])
    await this.exec([`ALTER SCHEMA public OWNER TO ${role}`], db)
  }

  /** pg:info rows of one add-on's database. */
  async info(addonId: string): Promise<Array<{name: string; values: string[]}>> {
    await this.ensureStarted()
    const {db} = pgNames(addonId)
    const out = await this.exec([
      `SELECT current_setting('server_version'), pg_size_pretty(pg_database_size('${db}')), (SELECT count(*) FROM pg_stat_activity WHERE datname = '${db}')`,
    ])
    const tables = await this.exec(["SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"], db)
    const [version, size, connections] = out.trim().split('|')
    return [
      {name: 'Status', values: ['Available']},
      {name: 'PG Version', values: [version]},
      {name: 'Data Size', values: [size]},
      {name: 'Tables', values: [tables.trim()]},
      {name: 'Connections', values: [`${connections}/100`]},
    ]
  }

  async stop(): Promise<void> {
    this.starting = undefined
    await this.proc?.stop()
    this.proc = undefined
  }

  /** Registers a callback for crash restarts (the manager logs them; URLs do not change: same port). */
  onRestart(fn: () => void): void {
    if (this.proc) this.proc.onRestart = fn
  }
}
