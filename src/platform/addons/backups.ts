// pg:backups: pg_dump (custom format) of an add-on's database into <data dir>/addons/backups/<app id>/bNNN.dump,
// numbered per app like Heroku's (b001, b002 …), with a small JSON beside each; restore = empty the database, then
// pg_restore. Both run as the daemon with the add-on's own role (its URL), so a backup holds exactly what the app can
// see; the files live outside the PostgreSQL server's sandbox, which cannot touch them.
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {PgBackup} from '../../api/types.js'
import type {AddonRecord} from './store.js'

import {isoTimestamp} from '../time.js'
import {postgresBinDir} from './binaries.js'

export type Backup = PgBackup

const NUM_RE = /^b\d{3,}$/

export class PgBackups {
  constructor(
    private readonly platformDataDir: string,
    /** The config's postgresBin (FERRY_POSTGRES_BIN); unset = found on this host. */
    private readonly configuredBin?: string,
  ) {}

  private dir(appId: string): string {
    return join(this.platformDataDir, 'addons', 'backups', appId)
  }

  list(appId: string): Backup[] {
    const dir = this.dir(appId)
    if (!existsSync(dir)) return []
    return readdirSync(dir)
      .filter(f => f.endsWith('.json'))
      .map(f => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Backup)
      .sort((a, b) => a.num.localeCompare(b.num, 'en', {numeric: true}))
  }

  /** A backup by number (`b001`); the latest when none is given. undefined when there is none. */
  lookup(appId: string, num?: string): Backup | undefined {
    const all = this.list(appId)
    return num === undefined ? all.at(-1) : all.find(b => b.num === num.toLowerCase())
  }

  async capture(appId: string, addon: AddonRecord, source: string): Promise<Backup> {
    const dir = this.dir(appId)
    mkdirSync(dir, {mode: 0o700, recursive: true})
    const last = this.list(appId).at(-1)
    const num = `b${String((last ? Number(last.num.slice(1)) : 0) + 1).padStart(3, '0')}`
    const file = join(dir, `${num}.dump`)
    const createdAt = isoTimestamp(new Date(), false)
    const {collect} = await import('./proc.js')
    const {code, output} = await collect(join(postgresBinDir(this.configuredBin), 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', `--file=${file}`, addon.url])
    if (code !== 0) {
      rmSync(file, {force: true})
      throw new Error(`pg_dump failed: ${output.trim().split('\n').at(-1)}`)
    }

    const backup: Backup = {
      addon: {id: addon.id, name: addon.name}, created_at: createdAt, finished_at: isoTimestamp(new Date(), false), num, size: statSync(file).size, source, status: 'completed',
    }
    writeFileSync(join(dir, `${num}.json`), JSON.stringify(backup, null, 2), {mode: 0o600})
    return backup
  }

  /** Loads a backup into an add-on's database, which the caller has emptied first. */
  async restore(appId: string, backup: Backup, addon: AddonRecord): Promise<void> {
    if (!NUM_RE.test(backup.num)) throw new Error(`bad backup ${backup.num}`)
    const file = join(this.dir(appId), `${backup.num}.dump`)
    const {collect} = await import('./proc.js')
    const {code, output} = await collect(join(postgresBinDir(this.configuredBin), 'pg_restore'), ['--no-owner', '--no-acl', '--exit-on-error', `--dbname=${addon.url}`, file])
    if (code !== 0) throw new Error(`pg_restore failed: ${output.trim().split('\n').at(-1)}`)
  }

  /** The app is gone: its backups go too. */
  removeApp(appId: string): void {
    rmSync(this.dir(appId), {force: true, recursive: true})
  }
}
